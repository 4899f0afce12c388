// The top bar's Classroom link: carries a lesson's run, otherwise opens lesson 1 and names the run it leaves.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { classroomLinkOf, lessonSettingsOf, notLessonsRun } from '../../../src/ui/Classroom';
import { parseUrl } from '../../../src/store/url';

const query = (href: string) => href.slice(href.indexOf('?'));

describe('classroomLinkOf', () => {
  it('keeps a lesson preset’s run, its settings included', () => {
    const applied = buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { syncp: { gap: 0.2 } } });
    const l = classroomLinkOf({ preset: 'syncp-2of4', tiny: true, applied, backend: 'cpu' });
    expect(l.kept).toBe(true);
    const u = parseUrl(query(l.href));
    expect(u.classroom).toBe(true);
    expect(u.preset).toBe('syncp-2of4');
    expect(l.title).toMatch(/starting with this run/);
  });

  it('sends a preset no lesson runs to lesson 1 and names the preset', () => {
    const l = classroomLinkOf({ preset: 'byol-dense', tiny: false, applied: buildConfig({ preset: 'byol-dense' }), backend: 'auto' });
    expect(l.kept).toBe(false);
    expect(parseUrl(query(l.href)).preset).toBe('simclr-dense');
    expect(l.title).toMatch(/\(byol-dense has no lesson\)$/);
  });

  it('names a resumed or imported run as the top bar does, even when its preset has a lesson', () => {
    for (const name of ['resumed simclr-dense', 'run-42.json']) {
      const l = classroomLinkOf({ preset: 'simclr-dense', tiny: true, applied: buildConfig({ preset: 'simclr-dense', tiny: true }), backend: 'cpu', importedName: name });
      expect(l.kept).toBe(false);
      expect(l.title).toContain(`“${name}” is no lesson's run`);
      expect(l.title).not.toMatch(/an imported run/);
    }
  });
});

describe('notLessonsRun', () => {
  const lesson = { preset: 'syncp-2of4' as const, tiny: true };
  it('is null only for the lesson’s preset, at the lesson’s size, not imported', () => {
    expect(notLessonsRun(lesson, { preset: 'syncp-2of4', tiny: true })).toBeNull();
    expect(notLessonsRun(lesson, { preset: 'byol-dense', tiny: true })).toBe('byol-dense is on screen; this lesson runs syncp-2of4');
    expect(notLessonsRun(lesson, { preset: 'syncp-2of4', tiny: false })).toMatch(/at the default size; this lesson runs it at the tiny size$/);
    expect(notLessonsRun(lesson, { preset: 'syncp-2of4', tiny: true, importedName: 'run-7.json' })).toBe('“run-7.json” is on screen, not this lesson\'s run');
    // A lesson at the default size (the kNN lesson: learning shows only there).
    const knn = { preset: 'simclr-dense' as const, tiny: false };
    expect(notLessonsRun(knn, { preset: 'simclr-dense', tiny: false })).toBeNull();
    expect(notLessonsRun(knn, { preset: 'simclr-dense', tiny: true })).toMatch(/at the tiny size; this lesson runs it at the default size$/);
  });
});

describe('lessonSettingsOf', () => {
  it('keeps a classroom link\'s settings that fit the tiny size, where its lesson runs: one that does not (batch 300) goes, the rest stay', () => {
    const l = lessonSettingsOf('?preset=simclr-dense&classroom=1&temperature=0.5&batch=300');
    expect(l.preset).toBe('simclr-dense');
    expect(l.overrides).toEqual({ ssl: { temperature: 0.5 } });
    // Built at the tiny size, as the lesson's setPreset does, they fit.
    expect(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: l.overrides }).ssl.temperature).toBe(0.5);
    // A link whose settings all fit keeps them all.
    expect(lessonSettingsOf('?preset=cdg&classroom=1&cdg.density=0.2&seed=4').overrides).toEqual({ cdg: { density: 0.2 }, seed: 4 });
  });

  // Found by a read-only hunt: parsed at the tiny size only, a default-size lesson lost it.
  it('at the size of the lesson that loads them: a batch of 256 stays for a default-size lesson, goes for a tiny one', () => {
    const link = '?preset=simclr-dense&batch=256&classroom=1';
    expect(lessonSettingsOf(link, false).overrides).toEqual({ batchSize: 256 });
    expect(buildConfig({ preset: 'simclr-dense', overrides: lessonSettingsOf(link, false).overrides }).batchSize).toBe(256);
    expect(lessonSettingsOf(link, true).overrides).toEqual({});
    // Said, not dropped silently (classroom mode hides the settings form): the notice names it.
    expect(lessonSettingsOf(link, true).notice).toMatch(/batch/);
    expect(lessonSettingsOf(link, false).notice).toBeUndefined();
    // A link that says tiny=1 is read at the lesson's size all the same.
    expect(lessonSettingsOf(`${link}&tiny=1`, false).overrides).toEqual({ batchSize: 256 });
  });
});
