// The settings panel's topics, generated from the settings table: every row of SETTINGS
// lands in exactly one topic (tests/unit/ui/settingsGroups.test.ts), and a row that does
// not apply to the current config says why. Pure: no React, no DOM.
import { SETTINGS } from '../engine/config';
import { getAt, type SettingSpec } from '../engine/settingsTable';

export type TopicId = 'ssl' | 'model' | 'data' | 'optim' | 'syncp' | 'cdg' | 'eval';

export interface Topic {
  id: TopicId;
  title: string;
  /** One line under the topic's title. */
  blurb: string;
  /** The settings group of a method that may be off (then the whole topic is offered only when it is on). */
  method?: 'syncp' | 'cdg';
}

export const TOPICS: readonly Topic[] = [
  { id: 'ssl', title: 'SSL method', blurb: 'how the two views of an image are compared' },
  { id: 'model', title: 'Model', blurb: 'the small ResNet, its projector and predictor, and the kernels it runs on' },
  { id: 'data', title: 'Data and augmentation', blurb: 'which images, and how the two views of each are made' },
  { id: 'optim', title: 'Optimiser and schedule', blurb: 'AdamW, the learning-rate schedule, batch and run length' },
  { id: 'syncp', title: 'SyncCP (weight pruning)', blurb: 'granularity, densities, gap, schedule, scores, budget, regrowth', method: 'syncp' },
  { id: 'cdg', title: 'CDG (dual gating)', blurb: 'base path, saliency, gate density, threshold, surrogate gradient, schedule', method: 'cdg' },
  { id: 'eval', title: 'Evaluation', blurb: 'the metrics rows and the kNN monitor' },
];

/** Settings outside the group their path starts with. */
const TOPIC_OF_PATH: Record<string, TopicId> = {
  seed: 'data',
  batchSize: 'optim',
  steps: 'optim',
  'model.predHidden': 'model',
};

const TOPIC_OF_ROOT: Record<string, TopicId> = {
  ssl: 'ssl',
  model: 'model',
  data: 'data',
  augment: 'data',
  optim: 'optim',
  syncp: 'syncp',
  cdg: 'cdg',
  eval: 'eval',
  kernels: 'model',
};

/** The topic a setting is shown under (undefined: a table row no topic claims — a test catches it). */
export function topicOf(spec: SettingSpec): TopicId | undefined {
  return TOPIC_OF_PATH[spec.path] ?? TOPIC_OF_ROOT[spec.path.split('.')[0]];
}

/** The topics with their settings, in table order within each topic. */
export function groupedSettings(settings: readonly SettingSpec[] = SETTINGS): { topic: Topic; settings: SettingSpec[] }[] {
  return TOPICS.map((topic) => ({ topic, settings: settings.filter((s) => topicOf(s) === topic.id) }));
}

/** Whether a method's settings can be edited for this config: only where the method is on. */
export function methodOn(method: 'syncp' | 'cdg', config: unknown): boolean {
  return getAt(config, method) !== null && getAt(config, method) !== undefined;
}

/** The one line that says why the method's topic is not offered ("SyncCP is off in this preset"). */
export function methodOffReason(method: 'syncp' | 'cdg', imported: boolean): string {
  const label = SETTINGS.find((s) => s.method === method)?.methodLabel ?? method;
  return `${label} is off in this ${imported ? 'imported run' : 'preset'}: pick a ${label} preset to set these.`;
}

/**
 * The issues of settings a form does not show (and the config's own), as lines naming the
 * setting: a change in the main column (Dataset → Fashion-MNIST) can be refused for a
 * setting only All settings shows (Held-out images), and must not fail without a word.
 */
export function issuesNotShown(issues: Readonly<Partial<Record<string, string>>>, shown: readonly string[]): string[] {
  return Object.entries(issues)
    .filter((e): e is [string, string] => e[1] !== undefined && !shown.includes(e[0]))
    .map(([path, text]) => {
      const spec = SETTINGS.find((s) => s.path === path);
      return spec ? `${spec.label} (All settings): ${text}` : text;
    });
}

