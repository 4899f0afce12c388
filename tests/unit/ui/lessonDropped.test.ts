// @vitest-environment happy-dom
// Classroom mode hides the settings form, where a setting the lesson's size cannot keep is
// said: the lesson card says it instead (found by a read-only hunt: a link's batch of 256
// vanished at the tiny size without a word).
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { draftOf, useSettings } from '../../../src/store/settings';
import { LessonDropped } from '../../../src/ui/Classroom';
import { stubPage } from '../store/fakeWorker';
import { domRoot } from './domRoot';

const dom = domRoot();
afterEach(() => vi.unstubAllGlobals());

describe('the lesson card', () => {
  it('names a setting the tiny size could not keep, with why', async () => {
    stubPage();
    const config = buildConfig({ preset: 'cdg', overrides: { batchSize: 256 } });
    useSettings.setState({ preset: 'cdg', tiny: false, draft: draftOf(config), applied: config, issues: {}, edited: ['batchSize'] });
    actions.restart();
    await dom.render(createElement(LessonDropped));
    expect(dom.host.querySelector('[data-testid="lesson-dropped"]')).toBeNull();
    actions.setTiny(true);
    await dom.render(createElement(LessonDropped));
    const text = dom.host.querySelector('[data-testid="lesson-dropped"]')?.textContent ?? '';
    expect(text).toMatch(/^Batch size: 256 does not fit the tiny size/);
    expect(useSettings.getState().applied.batchSize).not.toBe(256);
  });
});
