// Classroom lessons: each loads a preset that exists and points at a panel the app has.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig, isPresetName } from '../../../src/engine/config';
import { LESSONS, PANEL_IDS } from '../../../src/ui/lessons';
import { scheduleOf } from '../../../src/engine/sparsity/scheduleOf';

const panelSources = ['DataPanel', 'LossPanel', 'KnnPanel', 'CdgPanel', 'SyncpPanel', 'NmPanel', 'FlopsPanel'].map((f) => readFileSync(`src/ui/panels/${f}.tsx`, 'utf8')).join('\n');

describe('classroom lessons', () => {
  it('are the five topics of the issue, in order', () => {
    expect(LESSONS.map((l) => l.id)).toEqual(['contrastive', 'knn', 'syncp', 'nm', 'cdg']);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
  });

  it.each(LESSONS.map((l) => [l.id, l] as const))('%s: its preset builds at its size and its panels exist', (_id, lesson) => {
    expect(isPresetName(lesson.preset)).toBe(true);
    expect(() => buildConfig({ preset: lesson.preset, tiny: lesson.tiny })).not.toThrow();
    for (const p of [lesson.panel, ...(lesson.alsoPanels ?? [])]) {
      expect(PANEL_IDS).toContain(p);
      // The panel really carries that test id (Panel id="…" or id="…" on its own line).
      expect(panelSources).toMatch(new RegExp(`id="${p}"`));
    }
    expect(lesson.paragraphs.length).toBeGreaterThan(0);
    expect(lesson.todo).toMatch(/\w/);
  });

  it('each lesson’s preset runs the method it talks about', () => {
    const cfg = (id: string) => { const l = LESSONS.find((x) => x.id === id)!; return buildConfig({ preset: l.preset, tiny: l.tiny }); };
    expect(cfg('contrastive').ssl.method).toBe('simclr');
    expect(cfg('syncp').syncp?.granularity).toBe('unstructured');
    expect(cfg('syncp').syncp?.density).toBe(0.2);
    expect(cfg('syncp').syncp?.gap).toBe(0.3);
    expect(cfg('nm').syncp).toMatchObject({ granularity: 'nm', n: 2, m: 4, gap: 0.3 });
    expect(cfg('cdg').cdg).toMatchObject({ beta: 0.25, density: 0.4 });
  });

  it('numbers in the texts match the configs they load, at their sizes', () => {
    // The kNN lesson at the default size: there kNN rises (learning.spec.ts: +15 points by step ~200 on cpu).
    expect(LESSONS.find((l) => l.id === 'knn')!.tiny).toBe(false);
    const knn = buildConfig({ preset: 'simclr-dense', tiny: false });
    const text = (id: string) => LESSONS.find((l) => l.id === id)!.paragraphs.join(' ') + LESSONS.find((l) => l.id === id)!.todo;
    expect(text('knn')).toContain(`${knn.eval.knnK} neighbours`);
    expect(text('knn')).toContain(`every ${knn.eval.knnEvery} steps`);
    const sp = buildConfig({ preset: 'syncp-unstructured', tiny: true });
    const every = Math.round(sp.syncp!.schedule.every * sp.steps);
    const start = Math.round(sp.syncp!.schedule.start * sp.steps);
    expect(text('syncp')).toContain(`every ${every} steps`);
    expect(text('syncp')).toContain(`step ${start + every}`);
    // Orange (kept by the target only) from the first update that prunes the online branch;
    // grey (pruned in both) only from the first that prunes the target: read off the plan.
    const plan = scheduleOf(sp).syncp!;
    const updates = Array.from({ length: 20 }, (_, i) => start + i * every);
    const firstOnline = updates.find((t) => plan.at(t).online < 1)!;
    const firstTarget = updates.find((t) => plan.at(t).target < 1)!;
    expect(firstTarget).toBeGreaterThan(firstOnline);
    expect(text('syncp')).toContain(`Train past step ${firstOnline}, the first update that prunes, and watch orange appear`);
    // The update at 0-based step t acts after t steps: the app labels it step t + 1 (the
    // mask picture's "masks from the update at step …", the schedule chart's drop).
    expect(text('syncp')).toContain(`grey follows from step ${firstTarget + 1} (the update after step ${firstTarget})`);
    // What is skipped depends on the backend (cdgGate.ts gatedConv: cpu and WebGPU skip, wasm
    // its gradients only, WebGL nothing): the lessons must not say nothing is skipped.
    expect(text('cdg')).toContain('on WebGL it is computed everywhere');
    expect(text('cdg')).not.toContain('still computed everywhere');
    expect(text('nm')).toContain('On WebGPU the 2:4 convolutions run programs that skip the pruned weights');
  });
});
