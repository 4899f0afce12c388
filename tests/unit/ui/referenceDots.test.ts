// A reference run with a single point in a chart is drawn as a dot: a one-point line draws
// nothing (a zero-length path), while the legend still lists the run.
import { describe, expect, it } from 'vitest';
import { mergeReferences, referenceLines } from '../../../src/ui/panels/references';
import type { ReferenceRun } from '../../../src/store/metrics';

const ref = (id: number, points: ReferenceRun['points']): ReferenceRun => ({ id, slot: id, kind: 'pinned', name: `run ${id}`, points });

describe('referenceLines', () => {
  it('dots a reference with one value in the chart, and only that one', () => {
    const lone = ref(0, [{ step: 100, knn: 0.4 }, { step: 150, loss: 2 }]);
    const line = ref(1, [{ step: 50, knn: 0.3 }, { step: 100, knn: 0.35 }]);
    const data = mergeReferences([{ step: 10, knn: 20 }, { step: 20, knn: 25 }], [lone, line], 'knn', 100);
    const [a, b] = referenceLines([lone, line], data);
    expect((a.props as { dot: unknown }).dot).toEqual({ r: 3 });
    expect((b.props as { dot: unknown }).dot).toBe(false);
  });
});
