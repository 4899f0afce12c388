// The one typed run configuration: schema (zod), defaults, presets, the --tiny size,
// and readable validation errors. CLI, Worker, URL and run.json imports all go through
// parseConfig, so an impossible setting is rejected in one place with one wording.
import { z } from 'zod';
import { SSL_METHOD_NAMES, sslMethodInfo } from './ssl/methodInfo';
import { buildSchema, clipped, describeIssue, flatten, getAt, group, methodGroup, setting, type SettingSpec } from './settingsTable';
import { MAX_IMAGE_SIDE } from './data/imageSide';
import { FASHION_MNIST_COUNTS } from './data/fashionMnist';
import { effectiveGroups } from './sparsity/channelGroups';

const fraction = z.number().min(0).max(1);
const positiveInt = z.number().int().min(1);

/** A schedule window in fractions of the run, so a shorter --steps still runs all of it. */
function scheduleWindow(start: number, end: number, every: number) {
  return group(
    {
      start: setting(fraction.default(start), { label: 'Schedule start', help: 'fraction of the run where the ramp begins', unit: 'of the run', step: 0.05 }),
      end: setting(fraction.default(end), { label: 'Schedule end', help: 'fraction of the run where the final density is reached', unit: 'of the run', step: 0.05 }),
      every: setting(z.number().gt(0).max(1).default(every), { label: 'Update every', help: 'masks / gate targets change every this fraction of the run', unit: 'of the run', step: 0.01 }),
    },
    [['schedule end must be ≥ start', ['end'], (w) => (w.end as number) >= (w.start as number)]],
  );
}

/**
 * The settings table: every config field once (schema with its default, and what people
 * read about it). ConfigSchema below is built from it.
 */
export const SETTINGS_TABLE = {
  seed: setting(z.number().int().min(0).max(2 ** 31 - 1).default(1), { label: 'Seed', help: 'data, initial weights, batches and augmentations: same seed, same run', key: 'seed' }),
  // 1000: at the default size (16×16, widths [8, 16], batch 32) about 2 min of training on
  // a quiet 2-core cpu; kNN on shapes climbs from ~17% untrained past 37% by step 400 (docs/results.md).
  steps: setting(z.number().int().min(1).max(1_000_000).default(1000), { label: 'Steps', help: 'run length; schedules scale with it', key: 'steps', quick: true, step: 50 }),
  batchSize: setting(z.number().int().min(2).max(512).default(32), { label: 'Batch size', help: 'images per step (×2 views)', key: 'batch', quick: true, step: 1 }),
  data: group({
    name: setting(z.enum(['shapes', 'fashion-mnist', 'own']).default('shapes'), { label: 'Dataset', help: 'synthetic shapes (generated from the seed), a Fashion-MNIST subset, or your own images (uploaded in the Data panel)', key: 'dataset', quick: true }),
    trainCount: setting(positiveInt.max(60_000).default(2000), { label: 'Training images', help: 'images the network trains on (the kNN memory bank is at most 2000 of them); Fashion-MNIST ships 10000' }),
    // 1200: a kNN figure's standard error √(p(1−p)/n) stays ≤ 1.44 points at any p (eval/knn.ts).
    testCount: setting(positiveInt.max(10_000).default(1200), { label: 'Held-out images', help: 'images held out; the kNN monitor classifies up to 2000 of them (1200: standard error ≤ 1.5 points); Fashion-MNIST ships 2000' }),
    /** Side of the square images the network sees; 0 keeps the dataset's own size. */
    // 16: a step costs about a sixteenth of a 32×32 step with the old widths, so a whole run
    // fits in minutes on a cpu; shapes stay legible (they fill half the frame).
    imageSize: setting(z.number().int().min(0).max(MAX_IMAGE_SIDE).default(16), { label: 'Image size', help: 'side of the images the network sees; 0 keeps the dataset’s own', unit: 'px' }),
  }, [
    // Refused rather than quietly cut to what ships, so a run is what its settings say.
    [`Fashion-MNIST ships ${FASHION_MNIST_COUNTS.train} training images (1000 of each class): ask for at most that many`, ['trainCount'], (d) => d.name !== 'fashion-mnist' || (d.trainCount as number) <= FASHION_MNIST_COUNTS.train],
    [`Fashion-MNIST ships ${FASHION_MNIST_COUNTS.test} held-out images (200 of each class): ask for at most that many`, ['testCount'], (d) => d.name !== 'fashion-mnist' || (d.testCount as number) <= FASHION_MNIST_COUNTS.test],
  ]),
  model: group({
    widths: setting(z.array(z.number().int().min(2).max(512)).min(1).max(4).default([8, 16]), { label: 'Stage widths', help: 'channels of each ResNet stage, e.g. 8,16 or 16,32,64' }),
    blocks: setting(z.number().int().min(1).max(3).default(1), { label: 'Blocks per stage', help: 'residual blocks in each stage' }),
    /**
     * Stride of each stage's first block; missing entries are 2. Every stage halves the
     * map (16→8→4 at the default size) so a run trains on a CPU or software WebGPU in minutes.
     */
    strides: setting(z.array(z.number().int().min(1).max(2)).max(4).optional(), { label: 'Stage strides', help: 'stride of each stage’s first block (missing: 2)' }),
    projHidden: setting(positiveInt.max(2048).default(64), { label: 'Projector hidden', help: 'hidden width of the projector MLP' }),
    projDim: setting(positiveInt.max(1024).default(32), { label: 'Projection size', help: 'output size of the projector: the loss compares these' }),
    predHidden: setting(positiveInt.max(2048).default(128), { label: 'Predictor hidden', help: 'hidden width of the predictor MLP (BYOL, SimSiam)', applies: 'predictor-mlp' }),
    /** A BatchNorm without affine terms after the projector's last layer (SimSiam's projector ends so). */
    projOutBn: setting(z.boolean().default(false), { label: 'Projector output BN', help: 'standardise each projection unit over the batch (BatchNorm without scale and shift after the last layer, as SimSiam’s projector)' }),
  }, [
    // Refused rather than ignored (one stride is read per stage), so a link or run.json says what runs.
    ['one stride per stage at most: give no more strides than stage widths', ['strides'], (m) => !m.strides || (m.strides as number[]).length <= (m.widths as number[]).length],
  ]),
  ssl: group({
    method: setting(z.enum(SSL_METHOD_NAMES).default('simclr'), { label: 'Method', help: SSL_METHOD_NAMES.map(sslMethodInfo).map((m) => `${m.label} (${m.summary})`).join(', '), key: 'method', quick: true }),
    temperature: setting(z.number().gt(0).max(10).default(0.2), { label: 'Temperature τ', help: 'NT-Xent sharpness (SimCLR)', key: 'temperature', applies: 'simclr', quick: true, step: 0.05 }),
    /** BYOL EMA momentum m0, cosine-scheduled towards 1. */
    emaStart: setting(z.number().min(0).lt(1).default(0.99), { label: 'EMA momentum m₀', help: 'BYOL target update θt ← m·θt + (1−m)·θo, m cosine-scheduled from m₀ to 1', applies: 'ema-target', step: 0.001 }),
    /** Predictor learning rate = this × the run's (BYOL, SimSiam). */
    predictorLrScale: setting(z.number().gt(0).max(100).default(1), { label: 'Predictor lr ×', help: 'the predictor learns at this multiple of the learning rate (BYOL, SimSiam)', applies: 'predictor-mlp', step: 1 }),
    predictorLrSchedule: setting(z.enum(['cosine', 'fixed']).default('cosine'), { label: 'Predictor lr schedule', help: 'cosine: decays with the run’s learning rate; fixed: stays at its peak after the warm-up (SimSiam)', applies: 'predictor-mlp' }),
    /**
     * How the predictor is made: an MLP trained by the optimizer, or a linear map set every
     * step from F, an EMA of the correlation E[z zᵀ] of the online projections, instead of
     * trained (ssl/directPredictor.ts): DirectCopy W = F/‖F‖ + εI (Wang et al. 2021),
     * DirectPred W = U diag(√s/√s_max + ε) Uᵀ (Tian, Chen, Ganguli 2021).
     */
    predictor: setting(z.enum(['mlp', 'directcopy', 'directpred']).default('mlp'), { label: 'Predictor', help: 'mlp: trained with the network; directcopy: set to F/‖F‖ + εI every step; directpred: set to U diag(√s/√s_max + ε) Uᵀ from F’s eigenvectors (F: EMA of the projections’ correlation matrix)', applies: 'predictor' }),
    /** ε of DirectCopy / DirectPred: how much identity the set predictor keeps. */
    predictorEps: setting(z.number().min(-1).max(10).default(0.3), { label: 'Direct predictor ε', help: 'identity added to the set predictor (DirectCopy: F/‖F‖ + εI; DirectPred: to the normalised √eigenvalues)', applies: 'direct-predictor', step: 0.05 }),
    /** ρ of F ← ρ·F + (1 − ρ)·E_batch[z zᵀ]. */
    corrEma: setting(z.number().min(0).lt(1).default(0.3), { label: 'Correlation EMA ρ', help: 'F ← ρ·F + (1 − ρ)·E[z zᵀ] of the batch’s online projections, each step (DirectCopy, DirectPred)', applies: 'direct-predictor', step: 0.05 }),
  }),
  optim: group({
    lr: setting(z.number().gt(0).max(10).default(2e-3), { label: 'Learning rate', help: 'AdamW peak, cosine-decayed', key: 'lr', quick: true, step: 0.0005 }),
    weightDecay: setting(z.number().min(0).max(1).default(1e-4), { label: 'Weight decay', help: 'AdamW decoupled decay (not on biases and BN)', step: 0.0001 }),
    warmup: setting(fraction.default(0.05), { label: 'Warm-up', help: 'linear learning-rate warm-up', unit: 'of the run', step: 0.01 }),
  }),
  // Strong colour jitter and crops that keep most of the object. Grayscale 0.5 (SimCLR's
  // 0.2 left colour the easiest cue for telling instances apart): on shapes (16×16,
  // widths [8, 16], batch 32, 300 steps, seed 1, 1200 held-out images) kNN went from
  // 14.9% untrained to 18.9% at 0.2 and to 28.4% at 0.5 (docs/results.md, tuning notes).
  augment: group({
    cropScaleMin: setting(z.number().gt(0).max(1).default(0.5), { label: 'Smallest crop', help: 'random resized crop keeps at least this fraction of the image', step: 0.05 }),
    flip: setting(fraction.default(0.5), { label: 'Flip probability', help: 'horizontal flip', step: 0.1 }),
    jitter: setting(fraction.default(0.8), { label: 'Colour-jitter probability', help: 'brightness, contrast, saturation and hue jitter', step: 0.1 }),
    jitterStrength: setting(z.number().min(0).max(1).default(1), { label: 'Jitter strength', help: 'SimCLR’s s: 0.8s brightness/contrast/saturation, 0.2s hue', step: 0.1 }),
    grayscale: setting(fraction.default(0.5), { label: 'Grayscale probability', help: 'random grayscale', step: 0.1 }),
  }),
  eval: group({
    /** Log a metrics row every this many steps. */
    logEvery: setting(positiveInt.default(5), { label: 'Log every', help: 'a metrics row every this many steps', unit: 'steps' }),
    /** Run the kNN monitor every this many steps (and at the end); 0 = only at the end. */
    // 100: ten passes in a 1000-step run; each pass is a few % of the run (npm run train prints it).
    knnEvery: setting(z.number().int().min(0).default(100), { label: 'kNN every', help: 'kNN monitor every this many steps (and at the end); 0: only at the end', unit: 'steps' }),
    knnK: setting(positiveInt.max(200).default(20), { label: 'kNN k', help: 'neighbours that vote' }),
    knnTemperature: setting(z.number().gt(0).default(0.1), { label: 'kNN temperature', help: 'votes weighted by exp(similarity / T)', step: 0.01 }),
  }),
  kernels: group({
    /** Kernels that skip masked weights (nn/maskedConv.ts); 'off' keeps the masked dense work, for comparison. */
    sparse: setting(z.enum(['auto', 'off']).default('auto'), { label: 'Sparse kernels', help: 'skip masked weights (cpu, webgpu) and closed gates’ conditional work (cpu, wasm, webgpu) where that is faster on this backend; off: multiply by the mask or gate and do the dense work, to compare' }),
  }),
  syncp: methodGroup(
    'SyncCP',
    {
      granularity: setting(z.enum(['unstructured', 'channel', 'nm']).default('unstructured'), { label: 'Granularity', help: 'single weights, whole output channels, or N kept of every M input channels' }),
      /** Final online density (unstructured/channel). For nm the online branch ends fully N:M. */
      // > 0: a branch that keeps no weight computes nothing (its features vanish and the step's gradients are NaN).
      density: setting(z.number().gt(0).max(1).default(0.2), { label: 'Final density (online)', help: 'fraction of weights (or channels) the online branch keeps at the end', applies: 'syncp-density', step: 0.05 }),
      /**
       * Initial density d_i: before the ramp the online branch keeps d_i, the target d_i + g,
       * drawn at random with ERK layer densities (the reference starts at 0.7, target dense).
       * 1: start dense, as the playground does. N:M: the first 1 − d_i of groups start N:M.
       */
      initialDensity: setting(z.number().gt(0).max(1).default(1), { label: 'Initial density (online)', help: 'density before the ramp; below 1 the run starts from random ERK masks (reference code: 0.7, target dense)', step: 0.05 }),
      /** Density gap g: target = min(1, online + g); for nm, target fraction of N:M groups = p − g. */
      gap: setting(fraction.default(0.3), { label: 'Density gap', help: 'target branch kept denser by this much (N:M: that much fewer N:M groups)', step: 0.05 }),
      n: setting(z.number().int().min(1).default(2), { label: 'N (kept)', help: 'weights kept in each group of M', applies: 'syncp-nm' }),
      m: setting(z.number().int().min(1).default(4), { label: 'M (group)', help: 'consecutive input channels per group', applies: 'syncp-nm' }),
      /** Fraction of full groups that are N:M at the end of the ramp (the reference ends at 0.99). */
      nmFinal: setting(z.number().gt(0).max(1).default(1), { label: 'N:M final fraction', help: 'fraction of groups that are N:M when the ramp ends (reference code: 0.99)', applies: 'syncp-nm', step: 0.01 }),
      scores: setting(z.enum(['shared', 'per-branch']).default('shared'), { label: 'Scores', help: 'shared: both masks rank the online |W| (nested masks); per-branch: each ranks its own weights' }),
      /** μ of the score EMA S ← μS + (1−μ)|W|; 0 means plain |W|. */
      scoreEma: setting(z.number().min(0).lt(1).default(0), { label: 'Score EMA μ', help: 'scores S ← μS + (1−μ)|W| every step; 0: plain |W|', step: 0.01 }),
      layerBudget: setting(z.enum(['uniform', 'global', 'erk']).default('uniform'), { label: 'Layer budget', help: 'same density per layer, one global ranking, or ERK', applies: 'syncp-density' }),
      channelNorm: setting(z.enum(['l1', 'l2']).default('l1'), { label: 'Channel norm', help: 'filter score for channel pruning', applies: 'syncp-channel' }),
      schedule: scheduleWindow(0.1, 0.7, 0.05),
      regrowth: group({
        enabled: setting(z.boolean().default(false), { label: 'Regrowth', help: 'GraNet: drop the smallest kept weights and regrow where the gradient is largest', applies: 'syncp-unstructured' }),
        rate: setting(fraction.default(0.3), { label: 'Regrowth rate', help: 'fraction of kept weights swapped at the first update, cosine-decayed to 0', applies: 'syncp-regrowth', step: 0.05 }),
      }),
    },
    [
      ['N:M needs N ≤ M (N kept out of every M)', ['n'], (s) => (s.n as number) <= (s.m as number)],
      ['the initial density must be ≥ the final density', ['initialDensity'], (s) => s.granularity === 'nm' || (s.initialDensity as number) >= (s.density as number)],
      // N:M: the first 1 − d_i of groups start N:M, so the ramp cannot end below that.
      ['the N:M final fraction must be ≥ 1 − the initial density (the groups that start N:M)', ['nmFinal'], (s) => s.granularity !== 'nm' || 1 - (s.initialDensity as number) <= (s.nmFinal as number)],
      ['regrowth is defined for unstructured sparsity only', ['regrowth', 'enabled'], (s) => !(s.regrowth as { enabled: boolean }).enabled || s.granularity === 'unstructured'],
    ],
  ),
  cdg: methodGroup('CDG', {
    /** Fraction of input channels in the always-computed base path. */
    beta: setting(z.number().gt(0).lt(1).default(0.25), { label: 'Base fraction β', help: 'input channels always computed (the base path the gate is made from)', step: 0.05 }),
    /** Final gate density of the conditional path, over both branches together. */
    density: setting(fraction.default(0.4), { label: 'Final gate density', help: 'fraction of locations where the rest of the convolution is kept, both branches together', step: 0.05 }),
    saliency: setting(z.enum(['spatial', 'channel-group']).default('spatial'), { label: 'Saliency', help: 'one gate per location, or per location and output-channel group' }),
    /** Output-channel groups for the finer 'channel-group' saliency. */
    groups: setting(positiveInt.default(4), { label: 'Channel groups', help: 'output-channel groups of the finer saliency', applies: 'cdg-groups' }),
    threshold: setting(z.enum(['quantile', 'learned']).default('quantile'), { label: 'Threshold', help: 'a joint quantile per layer, or a learned Δ with a density penalty' }),
    /** Sharpness α of the sigmoid surrogate gradient. */
    alpha: setting(z.number().gt(0).default(5), { label: 'Surrogate sharpness α', help: 'straight-through gradient ∂g/∂s ≈ α·σ′(α(s − Δ))' }),
    /**
     * How the gate learns from the conditional path. 'ste': straight-through at every
     * location, so a closed location still needs Y_c (its forward is not skippable in
     * training); 'detached': only open locations pass a gate gradient, so closed ones
     * need no conditional compute forward or backward (stepFlops counts each mode).
     */
    gateGradient: setting(z.enum(['ste', 'detached']).default('ste'), { label: 'Gate gradient', help: 'ste: straight-through gradient at every location (closed ones still need the conditional output in training); detached: only open locations pass a gradient, closed ones need no conditional compute' }),
    /** λ of the density penalty for the learned threshold. */
    penalty: setting(z.number().min(0).default(1), { label: 'Density penalty λ', help: 'λ·(density − target)² for the learned threshold', applies: 'cdg-learned' }),
    schedule: scheduleWindow(0.05, 0.5, 0.05),
  }),
};

export const ConfigSchema = buildSchema(SETTINGS_TABLE, [
  // Refused rather than quietly cut (the trainer would take the whole split a step), so a run
  // is what its settings say: run.json and a --tiny run's images follow the batch. Own images
  // are counted only once read (a few own images train on all of them a step).
  ['the batch cannot be larger than the training images (a step draws its images without repeats)', ['batchSize'], (c) => (c.data as { name: string }).name === 'own' || (c.batchSize as number) <= (c.data as { trainCount: number }).trainCount],
  // Each group gates an equal share of a layer's output channels: a number that does not
  // divide a stage's width was quietly replaced by one that does (down to 1, plain spatial).
  ['the channel groups must divide every stage width (each group gates an equal share of a layer’s output channels)', ['cdg', 'groups'], (c) => {
    const cdg = c.cdg as { saliency: string; groups: number } | null;
    return !cdg || cdg.saliency !== 'channel-group' || (c.model as { widths: number[] }).widths.every((w) => w % cdg.groups === 0);
  }],
]);

/** The table as rows (path, key, label, input kind…), in table order. */
export const SETTINGS: readonly SettingSpec[] = flatten(SETTINGS_TABLE);
const BY_PATH = new Map(SETTINGS.map((s) => [s.path, s]));

export function settingAt(path: string): SettingSpec | undefined {
  return BY_PATH.get(path);
}

/**
 * An issue ("optim.lr: …", or "model.widths.0: …" for an entry of a list) with its leading
 * setting path written as `name` gives it (a link's key, a CLI flag), so a message names what
 * the person typed; an issue of no setting, or of one `name` leaves (undefined), as it was.
 */
export function issueNamedBy(issue: string, name: (spec: SettingSpec) => string | undefined): string {
  const where = issue.slice(0, Math.max(0, issue.indexOf(':')));
  const spec = settingAt(where) ?? settingAt(where.replace(/\.\d+$/, ''));
  const to = spec && name(spec);
  return to ? `${to}${issue.slice(spec.path.length)}` : issue;
}

export type Config = z.infer<typeof ConfigSchema>;
export type SyncCPConfig = NonNullable<Config['syncp']>;
export type CDGConfig = NonNullable<Config['cdg']>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validate anything (parsed JSON, a merged preset, URL state) into a Config, or throw ConfigError. */
export function parseConfig(input: unknown): Config {
  // Messages name the setting as the table labels it, with what was given.
  const result = ConfigSchema.safeParse(input ?? {}, {
    error: (iss) => {
      const spec = settingAt(iss.path?.filter((k) => typeof k === 'string').join('.') ?? '');
      return spec ? describeIssue(spec.label, iss as Parameters<typeof describeIssue>[1]) : undefined;
    },
  });
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((i) => {
    const where = i.path.length ? i.path.join('.') : '(config)';
    if (i.code !== 'unrecognized_keys') return [`${where}: ${i.message}`];
    // Every object is strict, so a typo is an error; name the key it was probably meant to be.
    const known = keysAt(ConfigSchema, i.path);
    return i.keys.map((k) => {
      const near = nearest(k, known);
      return `${where}: unknown key "${clipped(k)}"${near ? ` (did you mean "${near}"?)` : ''}; known keys: ${known.join(', ')}`;
    });
  });
  throw new ConfigError(`invalid config — ${issues.join('; ')}`, issues);
}

/** Keys of the object schema found at `path` below `schema` (through defaults, nullables, arrays). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = schema as unknown as { _zod: { def: Record<string, unknown> } };
  const unwrap = () => {
    for (;;) {
      const def = s._zod.def;
      if (def.innerType) s = def.innerType as typeof s;
      else if (def.type === 'array') s = def.element as typeof s;
      else return;
    }
  };
  unwrap();
  for (const key of path) {
    if (typeof key === 'number') continue;
    const shape = s._zod.def.shape as Record<string, typeof s> | undefined;
    if (!shape?.[String(key)]) return [];
    s = shape[String(key)];
    unwrap();
  }
  return Object.keys((s._zod.def.shape as object | undefined) ?? {});
}

/** Longer than any key: not a typo of one, and too long to compare. */
export const MAX_TYPO_LENGTH = 64;

/**
 * A saved run's config (run.json, run.zip, the autosave) as the run trained. Settings later
 * refused were run as something else before, and are read as what ran:
 * - Fashion-MNIST counts above what ships were cut to it (refused since 703fc96);
 * - a batch larger than the training images was cut to them (the trainer takes at most the
 *   whole split a step);
 * - strides beyond the stages were ignored (one is read per stage; refused since 94d785a);
 * - CDG channel groups that do not divide a width ran as its largest divisor below them
 *   (effectiveGroups; refused since 94d785a): read so where that is one number for every
 *   width, and refused with the rule's message where the layers ran different counts.
 */
export function parseSavedConfig(raw: unknown): Config {
  return parseConfig(asTrained(raw));
}

function asTrained(raw: unknown): unknown {
  if (!isPlain(raw)) return raw;
  const c: Plain = { ...raw };
  const int = (v: unknown): v is number => Number.isInteger(v);
  if (isPlain(c.data)) {
    const data: Plain = (c.data = { ...c.data });
    if (data.name === 'fashion-mnist') {
      if (int(data.trainCount)) data.trainCount = Math.min(data.trainCount, FASHION_MNIST_COUNTS.train);
      if (int(data.testCount)) data.testCount = Math.min(data.testCount, FASHION_MNIST_COUNTS.test);
    }
    const n = data.trainCount;
    if (data.name !== 'own' && int(c.batchSize) && int(n) && c.batchSize > n && n >= 2) c.batchSize = n;
  }
  if (isPlain(c.model)) {
    const model: Plain = (c.model = { ...c.model });
    const widths = Array.isArray(model.widths) && model.widths.every(int) ? (model.widths as number[]) : undefined;
    if (widths && Array.isArray(model.strides) && model.strides.length > widths.length) model.strides = model.strides.slice(0, widths.length);
    const cdg = c.cdg;
    if (widths && isPlain(cdg) && cdg.saliency === 'channel-group' && int(cdg.groups) && cdg.groups > 0) {
      const groups = cdg.groups;
      const ran = new Set(widths.map((w) => effectiveGroups(w, groups)));
      if (ran.size === 1) c.cdg = { ...cdg, groups: [...ran][0] };
    }
  }
  return c;
}

/** The known key closest to `key` by edit distance, if it is plausibly a typo of it. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  // A typo is near a known key's length (the longest is ~30 characters); comparing every
  // slice of a long one would take seconds (a hostile file's million-character key: minutes).
  if (key.length > MAX_TYPO_LENGTH) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const a = key.toLowerCase();
  for (const k of known) {
    const b = k.toLowerCase();
    // A typo of the whole key, or of a key with a word before or after it ("targetDensty").
    let d = editDistance(a, b);
    for (let len = b.length - 1; len <= b.length + 1; len++) {
      for (let i = 0; i + len <= a.length && len > 0 && len < a.length; i++) d = Math.min(d, editDistance(a.slice(i, i + len), b) + 1);
    }
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export const PRESET_NAMES = [
  'simclr-dense',
  'byol-dense',
  'cdg',
  'syncp-unstructured',
  'syncp-channel',
  'syncp-2of4',
  'syncp-reference',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Preset = a partial config over the defaults; the end states are those DESIGN.md lists. */
// SimCLR presets take lr 6e-3: at 2e-3 the kNN monitor on shapes stayed near chance
// after 300 steps (18%), at 6e-3 it reached 30% (1.5e-2: 29%).
const SIMCLR_OPTIM = { optim: { lr: 6e-3 } };

/**
 * BYOL's small-scale recipe (byol-dense and the SyncCP presets), docs/results.md "BYOL
 * recipe", "A second --tiny screen" and "BYOL at 2800 steps": lr 1e-2, the predictor at 10×
 * the rate (a predictor that keeps up is what keeps the branches apart), EMA m₀ 0.5 (0.99
 * lags a short run: the target stays near the random network; 0.5 with lr 1e-2 doubled the
 * --tiny gain over three seeds against 0.9 with 6e-3) and a BatchNorm at the projector's
 * output (SimSiam's projector ends so). Batch 16: BYOL needs no negatives, and on a CPU the
 * smaller batch does more updates in less time. 2800 steps: once the cpu kernels made a
 * step ~1.6× cheaper they fit the 3-minute budget (168 s alone), and BYOL's gain grows with
 * steps (+12.2 ± 1.0 in 1400, +17.7 in 2800 over four seeds). Over 2800 steps the
 * predictor's rate decays with the run's (cosine): held fixed, seed 1 fell back mid-run and
 * ended at +10.8 (decayed: +18.3). kNN every 400 steps keeps its passes under 10 % of the run.
 */
const BYOL_RECIPE = {
  ssl: { method: 'byol', emaStart: 0.5, predictorLrScale: 10, predictorLrSchedule: 'cosine' },
  optim: { lr: 1e-2 },
  model: { projOutBn: true },
  batchSize: 16,
  steps: 2800,
  eval: { knnEvery: 400 },
} satisfies ConfigInput;

export const PRESETS: Record<PresetName, ConfigInput> = {
  'simclr-dense': { ssl: { method: 'simclr' }, ...SIMCLR_OPTIM },
  'byol-dense': BYOL_RECIPE,
  cdg: { ssl: { method: 'simclr' }, ...SIMCLR_OPTIM, cdg: { beta: 0.25, density: 0.4 } },
  'syncp-unstructured': {
    ...BYOL_RECIPE,
    syncp: { granularity: 'unstructured', density: 0.2, gap: 0.3 },
  },
  'syncp-channel': {
    ...BYOL_RECIPE,
    syncp: { granularity: 'channel', density: 0.5, gap: 0.25 },
  },
  'syncp-2of4': {
    ...BYOL_RECIPE,
    syncp: { granularity: 'nm', n: 2, m: 4, density: 0.5, gap: 0.3 },
  },
  // The reference's own SyncCP defaults: github.com/mengjian0502/solo-learn-sparse,
  // scripts/pretrain/imagenet/byol_nm_sparse.sh (init_density 0.7, density_gap 0.3,
  // momentum_mask with ema_momentum 0.99, M 4 N 2, --init-prune-epoch 30 and
  // --final-prune-epoch 68 of --max_epochs 100, --update-frequency 4000 batches of about
  // 3.3e5) with solo/methods/pruner/contrastive_nm_sparse.py (final_prob 0.01: 99% of
  // groups N:M at the end; random ERK start masks; each branch ranks its own weights).
  // The ramp (0.3 → 0.68 of the run) is the schedule the script's epochs name. Run as written
  // on its 3 GPUs it is not that: its epoch counts the whole dataset's batches while a process
  // runs a third of them, so epoch 30 falls at 0.9 of the run and epoch 68 after its end (the
  // GPU export converts by that rule). README "Reference defaults" says where the playground's
  // own defaults differ.
  'syncp-reference': {
    ssl: { method: 'byol' },
    syncp: {
      granularity: 'nm', n: 2, m: 4, gap: 0.3, initialDensity: 0.7, nmFinal: 0.99,
      scores: 'per-branch', scoreEma: 0.99,
      schedule: { start: 0.3, end: 0.68, every: 0.012 },
    },
  },
};

/** The presets that set `path` themselves (the others leave it at its default), in PRESET_NAMES order. */
export function presetsSetting(path: string): PresetName[] {
  return PRESET_NAMES.filter((p) => getAt(PRESETS[p], path) !== undefined);
}

/** Preset names as people read a list of them: a whole family (same word before the first '-') as `family-*`. */
export function describePresets(names: readonly PresetName[]): string {
  const family = (p: string) => p.split('-')[0];
  const out: string[] = [];
  for (const p of names) {
    const f = family(p);
    const all = PRESET_NAMES.filter((q) => family(q) === f);
    if (all.length > 1 && all.every((q) => names.includes(q))) {
      if (!out.includes(`${f}-*`)) out.push(`${f}-*`);
    } else out.push(p);
  }
  return out.join(', ');
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/**
 * The tiny size: the default model, in the app for 300 steps. The app's tiny is a quick look (the
 * sparsity lessons, the e2e tests): batch 8, 200 training and 100 held-out images, so the first step
 * comes fast even on a software GPU. It shows the controls and the sparsity panels, not
 * learning: at batch 8 kNN does not rise in 300 steps, and 100 held-out images give a
 * ±5-point standard error. The CLIs' --tiny takes its model with TINY_MEASURED (the
 * preset's batch, 1200 held-out images, TINY_IMAGES of training), the size that learns; the
 * app shows learning at the default size.
 */
export const TINY: ConfigInput = {
  // Schedules are fractions of the run, so 300 steps show a whole ramp soon.
  steps: 300,
  // 8, not the default 32: on software WebGPU (SwiftShader) a batch-32 tiny step took 2.5×
  // as long (0.67 against 1.65 steps/s in the e2e measure), which every e2e test pays.
  batchSize: 8,
  // On software WebGPU, 1200-image baselines took over a minute before the first step.
  data: { trainCount: 200, testCount: 100, imageSize: 16 },
  model: { widths: [8, 16], blocks: 1, projHidden: 64, projDim: 32, predHidden: 32 },
  // Every 25 steps in the app: a person watching sees the first point soon (lessons.ts says so).
  eval: { logEvery: 1, knnEvery: 25, knnK: 10, knnTemperature: 0.1 },
};

/**
 * What `npm run train -- --tiny` and `npm run experiment -- --tiny` put over TINY's model: the
 * preset's own batch (SimCLR's 32: NT-Xent needs negatives, at batch 8 kNN did not rise in
 * 300 steps; BYOL's 16), as many held-out images as the default size (standard error ≤ 1.44
 * points; at n = 100 it is 5, and gains of a few points were noise), 1000 training images,
 * and TINY_IMAGES images of training (measuredTinySteps), with kNN three times in the run.
 */
export const TINY_MEASURED: ConfigInput = { data: { trainCount: 1000, testCount: 1200 } };

/**
 * Images (per view) a CLI --tiny run trains on: 450 steps at batch 32 (SimCLR, CDG), 900 at
 * 16 (the BYOL presets), ~45 s of cpu training on a 2-core machine, within the ≤ 60 s of
 * issue 12 with the baselines and kNN passes. At 300 × 32 SimCLR gained +9 to +11 over
 * seeds and BYOL ~6; 900 × 16 gained BYOL +12.3 / +7.7 / +12.0 (seeds 1–3), docs/results.md
 * "The --tiny size".
 */
export const TINY_IMAGES = 14_400;

/**
 * The CLIs' --tiny steps for a batch (unless given), and kNN every third of the run's steps,
 * rounded up: rounded down, a pass fell one step before the forced last one (700 steps: 233,
 * 466, 699 and 700), a wasted pass in the run's time.
 */
function measuredTinySteps(batchSize: number, givenSteps: number | undefined): ConfigInput {
  const steps = givenSteps ?? Math.max(1, Math.round(TINY_IMAGES / batchSize));
  return { steps, eval: { knnEvery: Math.max(1, Math.ceil(steps / 3)) } };
}

type Plain = Record<string, unknown>;
function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of config fragments; arrays and scalars replace, objects merge. */
export function mergeConfig(...parts: unknown[]): Plain {
  const out: Plain = {};
  for (const part of parts) {
    if (!isPlain(part)) continue;
    for (const [k, v] of Object.entries(part)) {
      const prev = out[k];
      out[k] = isPlain(v) && isPlain(prev) ? mergeConfig(prev, v) : isPlain(v) ? mergeConfig(v) : v;
    }
  }
  return out;
}

export interface BuildOptions {
  preset?: string;
  tiny?: boolean;
  /** With `tiny`: the CLIs' measured tiny (TINY_MEASURED and TINY_IMAGES: the preset's batch, 14,400 images of training, 1200 held-out). */
  measured?: boolean;
  /** A config fragment from a file, the URL or the UI; applied over the preset. */
  overrides?: unknown;
}

/** Preset → tiny → overrides → validated Config. Unknown preset names are a ConfigError. */
export function buildConfig({ preset = 'simclr-dense', tiny = false, measured = false, overrides }: BuildOptions = {}): Config {
  if (!isPresetName(preset)) {
    throw new ConfigError(`unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`, [`preset: unknown "${preset}"`]);
  }
  // An array, a number or null would merge as nothing: the preset would run as if none were given.
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))) {
    const kind = Array.isArray(overrides) ? 'an array' : overrides === null ? 'null' : `a ${typeof overrides}`;
    throw new ConfigError(`settings must be a JSON object of settings (got ${kind})`, [`settings: ${kind}, not an object`]);
  }
  if (!(tiny && measured)) return parseConfig(mergeConfig(PRESETS[preset], tiny ? TINY : {}, overrides ?? {}));
  // The measured tiny keeps the preset's batch (TINY's 8 is the app's): its steps follow that batch, unless overridden.
  const given = parseConfig(mergeConfig(PRESETS[preset], overrides ?? {}));
  const steps = measuredTinySteps(given.batchSize, getAt(overrides, 'steps') === undefined ? undefined : given.steps);
  return parseConfig(mergeConfig(PRESETS[preset], TINY, TINY_MEASURED, { batchSize: given.batchSize }, steps, overrides ?? {}));
}

/** Stage strides with defaults filled in (2 unless given). */
export function stageStrides(model: Config['model']): number[] {
  return model.widths.map((_, i) => model.strides?.[i] ?? 2);
}
