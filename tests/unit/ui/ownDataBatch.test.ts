// @vitest-environment happy-dom
// A run on own images with a batch over their count trains on all of them a step (the
// trainer takes min(batch, images)): the Data panel says so. Found by a read-only hunt: it
// was silent, while every other dataset refuses such a batch.
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { useRun } from '../../../src/store/run';
import { useSettings } from '../../../src/store/settings';
import { OwnData } from '../../../src/ui/panels/OwnData';
import { domRoot } from './domRoot';

const dom = domRoot();

const info = { source: 'own images', classNames: ['a', 'b'], trainCount: 12, testCount: 4, size: 16, skipped: [], trainOnly: [], testOnly: [] };

async function panel(batch: number, data: 'own' | 'shapes'): Promise<string | null> {
  const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { batchSize: data === 'own' ? batch : 8, data: { name: data } } });
  useSettings.setState({ applied: { ...config, batchSize: batch } });
  useRun.setState({ ownData: info, loadingData: false });
  await dom.render(createElement(OwnData));
  return dom.host.querySelector('[data-testid="own-data-batch"]')?.textContent ?? null;
}

describe('own images and the batch', () => {
  it('a batch over the training images is said, with the count a step really trains on', async () => {
    expect(await panel(32, 'own')).toMatch(/Each step trains on all 12 training images: the batch of 32 is more than there are/);
  });
  it('a batch that fits, or a run on other data, says nothing', async () => {
    expect(await panel(12, 'own')).toBeNull();
    expect(await panel(32, 'shapes')).toBeNull();
  });
});
