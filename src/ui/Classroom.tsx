// Classroom mode (?classroom=1): a guided sequence of short lessons. Each lesson loads its
// preset at its size (unless that run is already loaded, so a trained run survives two
// lessons on the same preset) and points at the panel to watch: scrolled into view and
// highlighted.
import { useEffect, useRef } from 'react';
import { create } from 'zustand';
import { actions } from '../store/controller';
import { useRun } from '../store/run';
import { useSettings } from '../store/settings';
import { parseUrl, toSearch, type BackendMode } from '../store/url';
import { LESSONS, type Lesson, type PanelId } from './lessons';
import { buildConfig, settingAt, type Config, type PresetName } from '../engine/config';

const PANEL_NAMES: Record<PanelId, string> = {
  'panel-data': 'Data',
  'panel-loss': 'Loss',
  'panel-knn': 'kNN accuracy',
  'panel-cdg': 'CDG gate activity',
  'panel-syncp': 'SyncCP mask evolution',
  'panel-nm': 'N:M patterns',
  'panel-flops': 'FLOPs',
};

/** Read ?classroom=1 into the settings store (before the first render, so the page never flashes the full controls). */
export function initClassroomFromUrl(): void {
  if (typeof location === 'undefined') return;
  const u = parseUrl(location.search);
  useSettings.setState({ classroom: u.classroom });
  linkSearch = location.search;
}

/**
 * A classroom link's preset and settings, kept as they fit the size of the lesson that loads
 * them (`tiny`): one that does not fit (a batch over tiny's training images) would make the
 * whole set fail, and setPreset would then drop them all. Parsed per lesson: at the tiny size
 * alone, a default-size lesson lost a batch of 256 that fits it.
 */
export function lessonSettingsOf(search: string, tiny = true): { preset: PresetName; overrides: Record<string, unknown>; notice?: string } {
  const atSize = new URLSearchParams(search);
  if (tiny) atSize.set('tiny', '1');
  else atSize.delete('tiny');
  const u = parseUrl(`?${atSize}`);
  // What did not fit is said (the link notice): classroom mode hides the form that says it otherwise.
  return { preset: u.preset, overrides: u.overrides, notice: u.notice };
}

/**
 * The settings the classroom link carried, over its preset (a teacher's cdg.density=0.2): a
 * lesson on that preset loads them again after the class went to another preset's lesson
 * and came back (the URL, rewritten from the run, no longer holds them by then).
 */
let linkSearch: string | undefined;

/** The lesson to open first: the first one that runs the preset the link names. */
function firstLesson(): number {
  const preset = useSettings.getState().preset;
  return Math.max(0, LESSONS.findIndex((l) => l.preset === preset));
}

/** The open lesson; null until the card first renders (the URL has been read by then). */
const useLesson = create<{ index: number | null }>(() => ({ index: null }));

/**
 * True when the run is already the lesson's preset at the lesson's size (not an imported run).
 * Its settings may differ from the preset's: in classroom mode only a link sets them, and
 * the teacher's link keeps them across lessons on the same preset, with the run trained so far.
 */
function loaded(lesson: Lesson): boolean {
  return notLessonsRun(lesson, useSettings.getState()) === null;
}

/**
 * Why the run on screen is not the lesson's, or null when it is. The Preset select, the Tiny
 * toggle and the resume offer stay in classroom mode; after one of them the card would
 * describe a run that is not loaded (and Next would drop the one that is), so it says so.
 */
export function notLessonsRun(lesson: Pick<Lesson, 'preset' | 'tiny'>, s: { preset: PresetName; tiny: boolean; importedName?: string }): string | null {
  if (s.importedName) return `“${s.importedName}” is on screen, not this lesson's run`;
  if (s.preset !== lesson.preset) return `${s.preset} is on screen; this lesson runs ${lesson.preset}`;
  const size = (tiny: boolean) => (tiny ? 'the tiny size' : 'the default size');
  if (s.tiny !== lesson.tiny) return `${s.preset} is on screen at ${size(s.tiny)}; this lesson runs it at ${size(lesson.tiny)}`;
  return null;
}

function load(lesson: Lesson): void {
  if (loaded(lesson)) return;
  // setPreset builds at the store's size: switch to the lesson's first, so the run is built once.
  if (useSettings.getState().tiny !== lesson.tiny) useSettings.setState({ tiny: lesson.tiny });
  const link = linkSearch === undefined ? undefined : lessonSettingsOf(linkSearch, lesson.tiny);
  const own = lesson.preset === link?.preset;
  actions.setPreset(lesson.preset, own ? link.overrides : undefined);
  if (own && link.notice) useSettings.setState({ urlNotice: link.notice });
}

/**
 * Settings this lesson's size could not keep (a link's batch of 256 at the tiny size), said
 * on the card: classroom mode hides the settings form, where they are said otherwise.
 */
export function LessonDropped() {
  const issues = useSettings((s) => s.issues);
  const entries = Object.entries(issues);
  if (entries.length === 0) return null;
  return (
    <ul className="lesson-dropped small" data-testid="lesson-dropped" role="status">
      {entries.map(([path, why]) => (
        <li key={path}>
          <strong>{settingAt(path)?.label ?? path}</strong>: {why}
        </li>
      ))}
    </ul>
  );
}

function clearHighlight(): void {
  for (const el of document.querySelectorAll('[data-lesson-highlight]')) el.removeAttribute('data-lesson-highlight');
}

function highlight(lesson: Lesson, scroll: ScrollBehavior | false): void {
  clearHighlight();
  for (const id of [lesson.panel, ...(lesson.alsoPanels ?? [])]) {
    document.querySelector(`[data-testid="${id}"]`)?.setAttribute('data-lesson-highlight', id === lesson.panel ? 'watch' : 'also');
  }
  if (scroll) document.querySelector(`[data-testid="${lesson.panel}"]`)?.scrollIntoView({ behavior: scroll, block: 'start' });
}

function go(index: number): void {
  const i = Math.min(LESSONS.length - 1, Math.max(0, index));
  useLesson.setState({ index: i });
  load(LESSONS[i]);
  // Focus moves to the new lesson's title: left on Next, Space (the lesson says "press Space
  // to start") would press Next again and skip a lesson; screen readers read the new title.
  document.getElementById('lesson-title')?.focus({ preventScroll: true });
}

export function LessonCard() {
  const index = useLesson((s) => s.index) ?? firstLesson();
  const preset = useSettings((s) => s.preset);
  const applied = useSettings((s) => s.applied);
  const tiny = useSettings((s) => s.tiny);
  const backend = useSettings((s) => s.backend);
  const building = useRun((s) => s.building);
  const importedName = useSettings((s) => s.importedName);
  const lesson = LESSONS[index];
  const mismatch = notLessonsRun(lesson, { preset, tiny, importedName });
  const first = useRef(true);
  // A lesson change scrolls to its panel at once, and again when its run has been built:
  // the panels above it change height while the new run builds, which can leave the panel
  // out of view (it did, in a test that clicked on before the build ended).
  const scrollAfterBuild = useRef(false);

  // The first lesson loads its run when the page opens on another one (e.g. ?classroom=1
  // alone). A link that names the lesson's preset keeps the settings it carries (a teacher's
  // cdg.density=0.2): only the size switches to the lesson's, which keeps changed settings.
  useEffect(() => {
    const i = useLesson.getState().index ?? firstLesson();
    useLesson.setState({ index: i });
    const s = useSettings.getState();
    if (s.preset === LESSONS[i].preset && !s.importedName && s.tiny !== LESSONS[i].tiny) actions.setTiny(LESSONS[i].tiny);
    else load(LESSONS[i]);
  }, []);

  // Highlight the lesson's panels (again after every rebuild: a panel may re-render); scroll on a lesson change.
  useEffect(() => {
    const scroll = !first.current;
    first.current = false;
    scrollAfterBuild.current = scroll;
    const t = setTimeout(() => highlight(lesson, scroll ? 'smooth' : false), 0);
    return () => clearTimeout(t);
  }, [lesson]);
  useEffect(() => {
    const built = !building && preset === lesson.preset;
    const scroll = built && scrollAfterBuild.current;
    if (scroll) scrollAfterBuild.current = false;
    const t = setTimeout(() => highlight(lesson, scroll ? 'auto' : false), 0);
    return () => clearTimeout(t);
  }, [lesson, applied, preset, building]);
  useEffect(() => clearHighlight, []);

  const leave = toSearch(preset, tiny, applied, backend, false);
  return (
    <section className="lesson" data-testid="lesson" data-lesson={lesson.id} aria-labelledby="lesson-title" aria-live="polite">
      <div className="lesson-head">
        <span className="lesson-count">
          Lesson {index + 1} of {LESSONS.length}
        </span>
        <a className="lesson-leave small" href={leave} data-testid="leave-classroom">
          Leave classroom mode
        </a>
      </div>
      <h2 id="lesson-title" tabIndex={-1}>
        {lesson.title}
      </h2>
      {lesson.paragraphs.map((p) => (
        <p key={p}>{p}</p>
      ))}
      <p className="lesson-todo">
        <strong>Now:</strong> {lesson.todo}
      </p>
      <p className="lesson-watch">
        Watch:{' '}
        <button className="btn btn-small lesson-show" data-testid="lesson-show" onClick={() => highlight(lesson, 'smooth')} aria-label={`Show the ${PANEL_NAMES[lesson.panel]} panel`}>
          {PANEL_NAMES[lesson.panel]} ↘
        </button>
        {lesson.alsoPanels?.length ? <span className="small muted"> and {lesson.alsoPanels.map((p) => PANEL_NAMES[p]).join(', ')}</span> : null}
        <span className="small muted"> · preset {lesson.preset}, {lesson.tiny ? 'tiny' : 'default'} size</span>
      </p>
      <LessonDropped />
      {mismatch && (
        <p className="lesson-mismatch" data-testid="lesson-mismatch" role="status">
          {mismatch}.{' '}
          <button className="btn btn-small" data-testid="lesson-load" onClick={() => go(index)}>
            Load lesson {index + 1}'s run
          </button>
        </p>
      )}
      <nav className="lesson-nav" aria-label="Lessons">
        <button className="btn" data-testid="lesson-prev" disabled={index === 0} onClick={() => go(index - 1)} aria-label="Previous lesson">
          ◀ Previous
        </button>
        <ol className="lesson-dots">
          {LESSONS.map((l, i) => (
            <li key={l.id}>
              <button className={`lesson-dot${i === index ? ' on' : ''}`} onClick={() => go(i)} aria-label={`Lesson ${i + 1}: ${l.title}`} aria-current={i === index ? 'step' : undefined} />
            </li>
          ))}
        </ol>
        <button className="btn btn-primary" data-testid="lesson-next" disabled={index === LESSONS.length - 1} onClick={() => go(index + 1)} aria-label="Next lesson">
          Next ▶
        </button>
      </nav>
    </section>
  );
}

/** What the Classroom link opens: this run where a lesson runs its preset, else lesson 1's run, and a title that says which. */
export function classroomLinkOf(s: { preset: PresetName; tiny: boolean; applied: Config; backend: BackendMode; importedName?: string }): { kept: boolean; href: string; title: string } {
  // A run no lesson runs (byol-dense, an imported or resumed run) is not what classroom
  // mode opens on: the link names lesson 1's run instead of carrying this one, and says
  // so, naming the run as the top bar does.
  const kept = !s.importedName && LESSONS.some((l) => l.preset === s.preset);
  const first = LESSONS[0];
  const href = kept ? toSearch(s.preset, s.tiny, s.applied, s.backend, true) : toSearch(first.preset, first.tiny, buildConfig({ preset: first.preset, tiny: first.tiny }), s.backend, true);
  const title = kept
    ? 'Larger type, fewer controls and five guided lessons, starting with this run'
    : `Larger type, fewer controls and five guided lessons: opens lesson 1 on its own run (${s.importedName ? `“${s.importedName}” is no lesson's run` : `${s.preset} has no lesson`})`;
  return { kept, href, title };
}

/** A link into classroom mode with this run (the top bar, outside classroom mode). */
export function ClassroomLink() {
  const preset = useSettings((s) => s.preset);
  const tiny = useSettings((s) => s.tiny);
  const applied = useSettings((s) => s.applied);
  const backend = useSettings((s) => s.backend);
  const importedName = useSettings((s) => s.importedName);
  const { kept, href, title } = classroomLinkOf({ preset, tiny, applied, backend, importedName });
  return (
    <a className="btn btn-ghost btn-small" href={href} data-testid="classroom-link" data-keeps-run={kept ? '1' : '0'} title={title}>
      Classroom mode
    </a>
  );
}
