// Export a validated Config to a runnable shell script for the reference PyTorch stack
// (solo-learn-sparse, see reference.ts), plus MAPPING.md: each of our settings with its
// reference counterpart, and what does not carry over. Pure: no DOM, no node: imports,
// so the CLI (src/cli/export.ts) and the app (src/ui/ExportForGpus.tsx) share it.
import type { Config } from '../config';
import { methodLabelsWhere, sslMethodInfo } from '../ssl/methodInfo';
import {
  DATASET_SIZE,
  DEFAULT_EPOCHS,
  LAUNCHER_FILE,
  LAUNCHER_PY,
  RECIPES,
  REF_NM_END_FRACTION,
  REF_REGROW_FLOOR,
  refRegrowEnd,
  REFERENCE,
  START_CAP,
  type RefDataset,
} from './reference';

/** BYOL's EMA momentum at the start of a run in solo-learn's recipes (--base_tau_momentum). */
const REF_BASE_TAU = 0.99;

export interface ExportOptions {
  dataset?: RefDataset;
  /** GPUs on one node (DDP, one process each). */
  gpus?: number;
  /** Training epochs over the chosen dataset (default: the reference's recipe). */
  epochs?: number;
  /** Per-GPU batch (default: the recipe's: 256 in all on CIFAR-10, 128 a GPU on ImageNet). */
  batchPerGpu?: number;
  /** Where the config came from, for the script's header ("preset syncp-2of4", "run.json …"). */
  source?: string;
}

export interface ExportResult {
  script: string;
  /** MAPPING.md (markdown). */
  mapping: string;
  /** What does not carry over or carries over differently, one line each (the CLI prints them on stderr). */
  warnings: string[];
  /** The reference's flags and values in the order the script passes them. */
  args: [flag: string, ...values: string[]][];
  /** The schedule conversion, for tests and the mapping. */
  schedule?: ScheduleConversion;
}

/** A config the reference cannot run at all (CDG, SimCLR with SyncCP, N = M): the CLI exits 2. */
export class ExportRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefusal';
  }
}

/** Our fractions of the run → the reference's epochs and steps. */
export interface ScheduleConversion {
  datasetSize: number;
  gpus: number;
  batchPerGpu: number;
  epochs: number;
  /** The reference's args.train_steps: len(train loader) measured before DDP shards the data = floor(N / B). */
  refEpochBatches: number;
  /** Batches one DDP process really runs in an epoch: floor(ceil(N / G) / B). */
  batchesPerEpoch: number;
  /** Batches one process runs in the whole run (the reference's step counter counts these). */
  totalBatches: number;
  initPruneEpoch: number;
  finalPruneEpoch: number;
  updateFrequency: number;
  /** The fractions of the run the reference will actually use, after rounding. */
  achieved: { start: number; end: number; every: number };
  notes: string[];
}

/** Reject what the reference cannot run, saying why and what to use instead; else the solo-learn method the run exports to. */
export function checkExportable(config: Config): 'simclr' | 'byol' {
  if (config.cdg) {
    throw new ExportRefusal(
      'CDG (contrastive dual gating) cannot be exported: it has no public implementation — solo-learn-sparse ' +
        'has no activation gating, only weight pruning (SyncCP). Export the same run without CDG instead: the ' +
        'dense preset (simclr-dense / byol-dense), or a SyncCP preset (syncp-unstructured, syncp-channel, syncp-2of4) ' +
        'if you want sparsity on the GPUs.',
    );
  }
  const info = sslMethodInfo(config.ssl.method);
  if (info.soloLearn === null) {
    throw new ExportRefusal(
      `${info.label} cannot be exported yet: this export has recipes for ${methodLabelsWhere((m) => m.soloLearn !== null)} only ` +
        '(solo-learn-sparse, the reference, prunes in BYOL only). Export byol-dense or a SyncCP preset (BYOL) instead.',
    );
  }
  if (config.syncp && info.soloLearn !== 'byol') {
    throw new ExportRefusal(
      `SyncCP with ${config.ssl.method} cannot be exported: solo-learn-sparse builds its SyncCP pruner in BYOL only ` +
        '(its SimCLR has no pruner). Use ssl.method "byol" (all SyncCP presets do), or export simclr-dense.',
    );
  }
  if (config.syncp?.granularity === 'nm' && config.syncp.n >= config.syncp.m) {
    throw new ExportRefusal(`N:M with N = ${config.syncp.n} ≥ M = ${config.syncp.m} cannot be exported: the reference asserts N < M (N kept out of every M).`);
  }
  // Unstructured and channel: the reference's target starts at its final density + gap, which
  // it fails above 1 (the export keeps it at most START_CAP, a margin); a lowered gap cannot
  // help a density at or above it.
  if (config.syncp && config.syncp.granularity !== 'nm' && config.syncp.density >= START_CAP) {
    throw new ExportRefusal(
      `syncp.density ${config.syncp.density} cannot be exported: the export starts the reference's masks at a density of at most ${START_CAP} (its ERK start and top-k fail above 1; ${START_CAP} keeps a margin), so a final density of ${START_CAP} or more has no schedule there. Use a density under ${START_CAP}.`,
    );
  }
  // The reference reshapes each pruned conv's weights into groups of M with no tail (the
  // playground keeps a tail dense): its build fails unless M divides every input width of
  // resnet-18's pruned convs (64, 128, 256, 512), i.e. unless M divides 64.
  if (config.syncp?.granularity === 'nm' && 64 % config.syncp.m !== 0) {
    throw new ExportRefusal(`N:M with M = ${config.syncp.m} cannot be exported: the reference groups every pruned resnet-18 conv's input channels (64, 128, 256 or 512) by M with no remainder, so M must be 2, 4, 8, 16, 32 or 64.`);
  }
  return info.soloLearn;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
/** A drop/regrow fraction as a share of the kept weights: 0.289 → "28.9%", 0.00019 → "0.019%". */
const fmtRate = (x: number) => `${Number((x * 100).toPrecision(2))}%`;
const fmt = (x: number) => String(round(x, 6));

/**
 * Our schedule window (fractions of the run) in the reference's units. Its pruner counts
 * training batches in each process and compares them with `epoch × train_steps`, where
 * train_steps = len(train loader) was measured before Lightning's DDP sampler split the data
 * over the GPUs: one of its "epochs" is G real epochs. Hand-checkable; see the tests.
 */
export function convertSchedule(
  window: { start: number; end: number; every: number },
  o: { datasetSize: number; gpus: number; batchPerGpu: number; epochs: number },
): ScheduleConversion {
  const { datasetSize: n, gpus: g, batchPerGpu: b, epochs: e } = o;
  const refEpochBatches = Math.floor(n / b);
  const batchesPerEpoch = Math.floor(Math.ceil(n / g) / b);
  const totalBatches = e * batchesPerEpoch;
  const notes: string[] = [];
  let initPruneEpoch = Math.round((window.start * totalBatches) / refEpochBatches);
  if (initPruneEpoch < 1) {
    notes.push(
      `first prune moved to --init-prune-epoch 1 (ours: ${window.start} of the run = ${fmt((window.start * totalBatches) / refEpochBatches)}): ` +
        'at its step 0 the reference regrows by weight gradients, which do not exist before the first backward pass',
    );
    initPruneEpoch = 1;
  }
  let finalPruneEpoch = Math.round((window.end * totalBatches) / refEpochBatches);
  if (finalPruneEpoch <= initPruneEpoch) {
    notes.push(`ramp end moved to --final-prune-epoch ${initPruneEpoch + 1}: the reference divides by the number of updates in the ramp, which must be ≥ 1`);
    finalPruneEpoch = initPruneEpoch + 1;
  }
  let updateFrequency = Math.max(1, Math.round(window.every * totalBatches));
  const updatesInRamp = (f: number) =>
    Math.floor((finalPruneEpoch * refEpochBatches) / f) - Math.floor((initPruneEpoch * refEpochBatches) / f);
  if (updatesInRamp(updateFrequency) < 1) {
    updateFrequency = (finalPruneEpoch - initPruneEpoch) * refEpochBatches;
    notes.push(`--update-frequency lowered to ${updateFrequency} so that the ramp has at least one mask update`);
  }
  const achieved = {
    start: round((initPruneEpoch * refEpochBatches) / totalBatches),
    end: round((finalPruneEpoch * refEpochBatches) / totalBatches),
    every: round(updateFrequency / totalBatches),
  };
  if (achieved.end > 1) notes.push(`the ramp ends after the run (at ${achieved.end} of it): the run is too short in the reference's epoch units; raise --epochs`);
  return { datasetSize: n, gpus: g, batchPerGpu: b, epochs: e, refEpochBatches, batchesPerEpoch, totalBatches, initPruneEpoch, finalPruneEpoch, updateFrequency, achieved, notes };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./${}"-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The whole export: script, mapping and warnings. Throws ExportRefusal for what cannot run there. */
export function exportSoloLearnSparse(config: Config, opts: ExportOptions = {}): ExportResult {
  const method = checkExportable(config);
  // A file name is the user's text: a newline in it would end the script's comment line and
  // put the rest on a line bash runs. Control characters become spaces.
  opts = { ...opts, ...(opts.source !== undefined ? { source: opts.source.replace(/[\u0000-\u001f\u007f]/g, ' ') } : {}) };
  const dataset: RefDataset = opts.dataset ?? 'cifar10';
  const gpus = opts.gpus ?? 1;
  if (!Number.isInteger(gpus) || gpus < 1 || gpus > 64) throw new RangeError(`gpus must be an integer from 1 to 64 (got ${gpus})`);
  const epochs = opts.epochs ?? DEFAULT_EPOCHS[dataset];
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer (got ${epochs})`);
  const recipe = RECIPES[method][dataset];
  const batchPerGpu = opts.batchPerGpu ?? recipe.batch.perGpu ?? Math.max(16, Math.floor((recipe.batch.global ?? 256) / gpus));
  if (!Number.isInteger(batchPerGpu) || batchPerGpu < 2) throw new RangeError(`batch per GPU must be an integer ≥ 2 (got ${batchPerGpu})`);
  const n = DATASET_SIZE[dataset];
  // Each GPU must get at least one batch an epoch (the schedule is counted in batches; 0 made it NaN).
  const perGpu = Math.ceil(n / gpus);
  if (batchPerGpu > perGpu) throw new RangeError(`batch per GPU ${batchPerGpu} is more than a GPU's share of ${dataset} (${perGpu} of ${n} images over ${gpus} GPU${gpus > 1 ? 's' : ''}): at most ${perGpu}`);
  const syncp = config.syncp;

  const args: [string, ...string[]][] = [];
  const a = (flag: string, ...values: (string | number)[]) => args.push([flag, ...values.map(String)]);
  const rows: { ours: string; flag: string; value: string; notes: string }[] = [];
  const row = (ours: string, flag: string, value: string, notes: string) => rows.push({ ours, flag, value, notes });
  const warnings: string[] = [];
  const warn = (s: string) => warnings.push(s);

  // --- data, backbone, devices -----------------------------------------------------------
  const devices = Array.from({ length: gpus }, (_, i) => i).join(',');
  const dataVar = dataset === 'imagenet' ? '"$IMAGENET_DIR"' : '"$DATA_DIR"';
  a('--dataset', dataset);
  a('--train_data_path', dataset === 'imagenet' ? '"$IMAGENET_DIR/train"' : dataVar);
  a('--val_data_path', dataset === 'imagenet' ? '"$IMAGENET_DIR/val"' : dataVar);
  a('--method', method);
  a('--backbone', 'sresnet18');
  a('--max_epochs', epochs);
  a('--accelerator', 'gpu');
  a('--devices', devices);
  a('--strategy', 'ddp');
  if (gpus > 1) a('--sync_batchnorm');
  a('--precision', 16);
  a('--num_workers', dataset === 'imagenet' ? 8 : 4);
  a('--batch_size', batchPerGpu);
  row(`data.name = ${config.data.name}`, '--dataset', dataset, `our ${config.data.trainCount} training images of ${config.data.name} do not carry over: the run uses all ${n.toLocaleString('en-US')} ${dataset} training images`);
  row(`steps = ${config.steps}`, '--max_epochs', String(epochs), 'our schedules are fractions of the run, so only the run length changes; every fraction below is converted against it');
  row(
    `model (widths ${config.model.widths.join('/')}, ${config.model.blocks} block${config.model.blocks > 1 ? 's' : ''} a stage)`,
    '--backbone',
    'sresnet18',
    'ResNet-18 built from its SparsConv2d (the only backbones its pruner can mask; its plain resnet18 has no masks). Like ours: dense stem, every block conv and shortcut prunable. ' +
      (dataset === 'cifar10' ? 'For CIFAR the launcher gives it a 3×3 stride-1 stem and global pooling (fix 2).' : '224×224 crops.'),
  );
  row(`batchSize = ${config.batchSize}`, '--batch_size', `${batchPerGpu} a GPU × ${gpus} = ${batchPerGpu * gpus}`, `our batch (sized for a browser) does not carry over; the recipe's (${recipe.source}). Its learning rates scale with batch_size × GPUs / 256`);
  if (recipe.accumulate)
    row('(none)', '--accumulate_grad_batches', '(not set)', `**not carried**: the recipe (${recipe.source}) accumulates ${recipe.accumulate} batches into each optimiser step; without it each LARS step here sees ${batchPerGpu * gpus} images, ${recipe.accumulate}× fewer than the recipe's (whose rates are scaled for the accumulated batch)`);
  row('(one browser tab)', '--accelerator gpu --strategy ddp --devices', devices, `one process a GPU. --devices takes GPU indices: the reference splits "${devices}" on commas (a bare "${gpus}" would mean the GPU numbered ${gpus})${gpus > 1 ? '; --sync_batchnorm shares batch statistics over the GPUs' : ''}`);
  row('(float32)', '--precision', '16', 'mixed precision, as in all the reference scripts');

  // --- SSL method --------------------------------------------------------------------------
  if (method === 'byol') {
    // solo-learn's BYOL recipes start the EMA at 0.99 (scripts/pretrain/cifar/byol.yaml);
    // our presets' lower m₀ is for runs of a few hundred steps and would not carry over.
    a('--base_tau_momentum', REF_BASE_TAU);
    a('--final_tau_momentum', 1.0);
    a('--momentum_classifier');
    a('--proj_hidden_dim', recipe.projHidden);
    a('--proj_output_dim', recipe.projOut);
    a('--pred_hidden_dim', recipe.predHidden ?? 4096);
    row('ssl.method = byol', '--method', 'byol', 'same loss (2 − 2·cos, symmetrised) and EMA target');
    row(`ssl.emaStart = ${config.ssl.emaStart}`, '--base_tau_momentum / --final_tau_momentum', `${REF_BASE_TAU} / 1.0`, config.ssl.emaStart === REF_BASE_TAU ? 'same cosine schedule of the EMA momentum from m0 towards 1 over the run' : `same cosine schedule towards 1, from the reference's m0: ours (${config.ssl.emaStart}) is for a run of a few hundred steps, where ${REF_BASE_TAU} leaves the target near the random network`);
    row(`ssl.predictorLrScale / predictorLrSchedule = ${config.ssl.predictorLrScale} / ${config.ssl.predictorLrSchedule}`, '(none)', '—', 'not carried: the reference trains its predictor at the encoder\'s rate and schedule');
    if (config.ssl.predictor !== 'mlp') row(`ssl.predictor = ${config.ssl.predictor} (ε ${config.ssl.predictorEps}, ρ ${config.ssl.corrEma})`, '(none)', '—', '**differs**: not carried; the reference trains its MLP predictor (--pred_hidden_dim), ours is set every step from the projections\' correlation');
  } else {
    a('--temperature', config.ssl.temperature);
    a('--proj_hidden_dim', recipe.projHidden);
    a('--proj_output_dim', recipe.projOut);
    row('ssl.method = simclr', '--method', 'simclr', 'same NT-Xent loss over the 2B embeddings');
    row(`ssl.temperature = ${config.ssl.temperature}`, '--temperature', String(config.ssl.temperature), 'same');
  }
  row(
    `model.projHidden/projDim${method === 'byol' ? '/predHidden' : ''} = ${config.model.projHidden}/${config.model.projDim}${method === 'byol' ? `/${config.model.predHidden}` : ''}`,
    `--proj_hidden_dim / --proj_output_dim${method === 'byol' ? ' / --pred_hidden_dim' : ''}`,
    `${recipe.projHidden} / ${recipe.projOut}${method === 'byol' ? ` / ${recipe.predHidden}` : ''}`,
    'head sizes of the recipe; ours are sized for the tiny network',
  );
  row(`model.projOutBn = ${config.model.projOutBn}`, '(none)', '—', config.model.projOutBn ? '**differs**: the reference\'s projector ends in a plain linear layer, ours in a BatchNorm without scale and shift' : 'same: the projector ends in a linear layer');

  // --- optimiser ---------------------------------------------------------------------------
  const warmupEpochs = Math.round(config.optim.warmup * epochs);
  a('--optimizer', 'lars');
  a('--eta_lars', recipe.etaLars);
  if (recipe.gradClipLars) a('--grad_clip_lars');
  a('--exclude_bias_n_norm_lars');
  a('--scheduler', 'warmup_cosine');
  a('--warmup_epochs', warmupEpochs);
  a('--lr', recipe.lr);
  a('--classifier_lr', recipe.classifierLr);
  a('--weight_decay', recipe.weightDecay);
  row('(AdamW)', '--optimizer', 'lars', `ours is AdamW; the reference trains with LARS (momentum 0.9, η ${recipe.etaLars}${recipe.gradClipLars ? ', clipped' : ''}, biases and norm layers left out of the LARS adaptation), as its scripts do`);
  row(`optim.lr = ${config.optim.lr}`, '--lr', String(recipe.lr), `AdamW's rate does not carry over to LARS: the recipe's base rate (${recipe.source}), multiplied there by batch_size × GPUs / 256`);
  row(`optim.weightDecay = ${config.optim.weightDecay}`, '--weight_decay', String(recipe.weightDecay), "the recipe's (decoupled AdamW decay and LARS's L2 decay differ)");
  row(`optim.warmup = ${config.optim.warmup}`, '--scheduler warmup_cosine --warmup_epochs', String(warmupEpochs), `same shape (linear warm-up, cosine decay); the fraction converted: ${config.optim.warmup} × ${epochs} epochs`);
  row('(no online classifier)', '--classifier_lr', String(recipe.classifierLr), 'the reference also trains a linear classifier on detached features (and on the target for BYOL) to report accuracy; it does not touch the encoder');
  warn(`optimiser: ours is AdamW (lr ${config.optim.lr}); the script uses the reference's LARS recipe (lr ${recipe.lr}, weight decay ${recipe.weightDecay}); only the warm-up fraction carries over`);

  // --- augmentations -----------------------------------------------------------------------
  a('--brightness', recipe.brightness);
  a('--contrast', recipe.contrast);
  a('--saturation', recipe.saturation);
  a('--hue', recipe.hue);
  a('--color_jitter_prob', config.augment.jitter);
  a('--gray_scale_prob', config.augment.grayscale);
  a('--horizontal_flip_prob', config.augment.flip);
  a('--gaussian_prob', ...recipe.gaussianProb);
  if (recipe.solarizationProb) a('--solarization_prob', ...recipe.solarizationProb);
  if (recipe.cropSize) a('--crop_size', recipe.cropSize);
  a('--num_crops_per_aug', ...recipe.numCropsPerAug);
  row(`augment.jitter / grayscale / flip = ${config.augment.jitter} / ${config.augment.grayscale} / ${config.augment.flip}`, '--color_jitter_prob / --gray_scale_prob / --horizontal_flip_prob', `${config.augment.jitter} / ${config.augment.grayscale} / ${config.augment.flip}`, 'same probabilities');
  row(`augment.jitterStrength = ${config.augment.jitterStrength}`, '--brightness --contrast --saturation --hue', `${recipe.brightness} ${recipe.contrast} ${recipe.saturation} ${recipe.hue}`, "the recipe's strengths; ours were tuned for the toy data");
  row(`augment.cropScaleMin = ${config.augment.cropScaleMin}`, '--min_scale', '(default 0.08)', 'not carried: ours keeps most of a small synthetic image in view, the reference crops as the papers do');
  row('(none)', '--gaussian_prob / --solarization_prob', `${recipe.gaussianProb.join(' ')} / ${recipe.solarizationProb?.join(' ') ?? '0'}`, 'blur and solarisation of the recipe; the playground has neither');

  // --- monitoring, checkpoints ---------------------------------------------------------------
  // Its online kNN keeps every training feature of an epoch on the GPU: fine for CIFAR-10, not for ImageNet.
  if (dataset === 'cifar10') {
    a('--knn_eval');
    a('--knn_k', config.eval.knnK);
  }
  // Named by what runs: the reference has no channel pruner, a channel run prunes unstructured.
  a('--name', `${method}-${syncp ? `syncp-${syncp.granularity === 'channel' ? 'unstructured-from-channel' : syncp.granularity}` : 'dense'}-${dataset}-${gpus}gpu`);
  a('--save_checkpoint');
  a('--checkpoint_dir', '"$CKPT_DIR"');
  row(
    `eval.knnK = ${config.eval.knnK}`,
    '--knn_eval --knn_k',
    dataset === 'cifar10' ? String(config.eval.knnK) : '(off)',
    dataset === 'cifar10'
      ? 'its online kNN votes with Euclidean distances on the validation split after each epoch; ours is cosine, temperature-weighted, every few steps'
      : "off on ImageNet: its online kNN keeps an epoch's training features on the GPU; the online linear classifier (--classifier_lr) still reports accuracy",
  );
  row(`seed = ${config.seed}`, '(none)', '—', 'not carried: main_pretrain.py calls seed_everything(5) whatever the command line says');

  // --- sparsity ------------------------------------------------------------------------------
  let schedule: ScheduleConversion | undefined;
  if (syncp) {
    const nm = syncp.granularity === 'nm';
    const finalDensity = nm ? syncp.n / syncp.m : syncp.density;
    let gap = syncp.gap;
    if (nm ? gap > START_CAP : finalDensity + gap > START_CAP) {
      const capped = round(Math.max(0, START_CAP - (nm ? 0 : finalDensity)), 4);
      warn(`density gap ${gap} lowered to ${capped}: the export keeps ${nm ? 'the gap' : 'final density + gap'} at most ${START_CAP} (the reference's ERK start and top-k fail above 1)`);
      gap = capped;
    }
    // Ours starts dense unless initialDensity < 1 (then as the reference does); the reference cannot start dense.
    const oursDense = syncp.initialDensity >= 1;
    const densest = nm ? START_CAP - gap : Math.max(finalDensity, START_CAP - gap);
    const initDensity = round(oursDense ? densest : Math.min(syncp.initialDensity, densest), 4);
    const useEma = syncp.scoreEma > 0;
    const regrowRate = syncp.regrowth.enabled ? syncp.regrowth.rate : 0;
    schedule = convertSchedule(syncp.schedule, { datasetSize: n, gpus, batchPerGpu, epochs });

    a('--prune', 'True');
    a('--sparse_enck', 'True');
    a('--momentum_mask', useEma ? 'True' : 'False');
    if (useEma) a('--ema_momentum', syncp.scoreEma);
    a('--init-density', initDensity);
    a('--final-density', round(finalDensity, 6));
    a('--slist', round(finalDensity, 6));
    a('--density_gap', gap);
    a('--init-prune-epoch', schedule.initPruneEpoch);
    a('--final-prune-epoch', schedule.finalPruneEpoch);
    a('--update-frequency', schedule.updateFrequency);
    a('--prune-rate', regrowRate);
    if (nm) {
      a('--nm', 'True');
      a('--N', syncp.n);
      a('--M', syncp.m);
    }

    row('syncp (enabled)', '--prune True --sparse_enck True', 'True', "--prune builds its contrastive pruner in BYOL; --sparse_enck masks the target (momentum) encoder too (its N:M pruner leaves the target dense without it)");
    row(
      `syncp.granularity = ${syncp.granularity}`,
      nm ? '--nm True --N --M' : '(no flag: unstructured)',
      nm ? `True ${syncp.n} ${syncp.m}` : 'unstructured',
      nm
        ? 'same groups: M consecutive input channels at each (kh, kw, output channel), N largest kept; every pruned conv of resnet-18 has C_in divisible by M, so no tail groups'
        : syncp.granularity === 'channel'
          ? '**no counterpart**: its channel/group pruner (ContrastiveGrp) is a stub — a constructor only, never wired into BYOL. The script prunes UNSTRUCTURED at the same densities'
          : 'same',
    );
    if (nm) {
      row(`syncp.n/m = ${syncp.n}:${syncp.m} (online ends fully N:M)`, '--final-density / --slist', fmt(finalDensity), `must be < 1 for its N:M pruner to run at all; N/M, the online weight density at the end. Its ramp itself ignores the value and ends with ${REF_NM_END_FRACTION} of the groups N:M (hard-coded), ours with all of them`);
      row(`syncp.gap = ${syncp.gap}`, '--density_gap', String(gap), `same meaning for N:M: the target's fraction of N:M groups is the online one minus the gap (ours ends at ${round(1 - syncp.gap)}, its at ${round(REF_NM_END_FRACTION - gap)})`);
    } else {
      row(`syncp.density = ${syncp.density}`, '--final-density / --slist', String(syncp.density), 'final online density (its --slist must hold the same value)');
      row(`syncp.gap = ${syncp.gap}`, '--density_gap', String(gap), 'target density = online density + gap, as ours');
    }
    row(
      oursDense ? '(dense start)' : `syncp.initialDensity = ${syncp.initialDensity}`,
      '--init-density',
      String(initDensity),
      nm
        ? `the reference cannot start dense: it starts with ${round(1 - initDensity)} of each layer's groups N:M (random patterns; target ${round(Math.max(0, 1 - initDensity - gap))}), the ramp going from there. ${START_CAP} − gap is the densest start it allows`
        : `the reference cannot start dense: its masks start random (ERK over layers) at ${initDensity} online and ${round(initDensity + gap)} target, and its ramp goes from there to ${finalDensity}. ${START_CAP} − gap is the densest start it allows`,
    );
    row(
      `syncp.schedule.start = ${syncp.schedule.start}`,
      '--init-prune-epoch',
      String(schedule.initPruneEpoch),
      `${syncp.schedule.start} × ${schedule.totalBatches} batches / ${schedule.refEpochBatches} batches in one of its "epochs" (see Schedule below); it uses ${schedule.achieved.start} of the run`,
    );
    row(`syncp.schedule.end = ${syncp.schedule.end}`, '--final-prune-epoch', String(schedule.finalPruneEpoch), `${syncp.schedule.end} × ${schedule.totalBatches} / ${schedule.refEpochBatches}; it uses ${schedule.achieved.end} of the run`);
    row(`syncp.schedule.every = ${syncp.schedule.every}`, '--update-frequency', String(schedule.updateFrequency), `in training batches of one process: ${syncp.schedule.every} × ${schedule.totalBatches}; it uses ${schedule.achieved.every} of the run`);
    row('(cubic schedule)', '(built in)', '—', 'same Zhu & Gupta cubic ramp d(t) = d_f + (d_i − d_f)(1 − u)³ between the two epochs');
    row(
      `syncp.scores = ${syncp.scores}`,
      '(built in: per-branch)',
      '—',
      syncp.scores === 'per-branch'
        ? "same: the online mask ranks the online weights, the target mask the target (EMA) encoder's own weights"
        : "**differs**: ours ranks one set of scores for both masks, so the online mask is nested in the target's; the reference ranks each branch's own weights (online vs EMA target), so nestedness is not guaranteed there",
    );
    row(
      `syncp.layerBudget = ${syncp.layerBudget}`,
      '(built in)',
      nm ? 'per layer' : 'global',
      nm
        ? 'same: each layer has the same fraction of N:M groups (ours does not read the layer budget under N:M)'
        : syncp.layerBudget === 'global'
          ? 'same: one magnitude ranking over all pruned convs'
          : '**differs**: the reference ranks all pruned convs together (one global threshold); ours gives each layer its own budget',
    );
    row(`syncp.scoreEma = ${syncp.scoreEma}`, '--momentum_mask / --ema_momentum', useEma ? `True / ${syncp.scoreEma}` : 'False', useEma ? 'same EMA of |W| every step (fix 3 in the launcher keeps it on the GPU)' : 'plain |W|, as ours');
    row(
      `syncp.regrowth = ${syncp.regrowth.enabled ? `on, rate ${syncp.regrowth.rate}` : 'off'}`,
      '--prune-rate',
      String(regrowRate),
      nm
        ? 'its N:M pruner does not regrow (nor does ours)'
        : syncp.regrowth.enabled
          ? `drop-and-regrow fraction, cosine-decayed over the whole run from its first batch (ours over the ramp, to ~0) towards ${REF_REGROW_FLOOR}; its cosine's period counts the whole dataset's batches, so on ${gpus} GPU${gpus > 1 ? 's' : ''} it ends at ${fmtRate(refRegrowEnd(regrowRate, gpus))} of the kept weights an update${gpus > 1 ? ` (1 GPU: ${REF_REGROW_FLOOR})` : ''}; it also regrows at updates after the ramp ends`
          : `**cannot be turned off**: it runs a drop-and-regrow step after every unstructured update; with --prune-rate 0 the fraction rises from 0 towards its cosine floor ${REF_REGROW_FLOOR}, reaching ${fmtRate(refRegrowEnd(0, gpus))} of each layer's kept weights an update by the end on ${gpus} GPU${gpus > 1 ? 's' : ''} (its cosine's period counts the whole dataset's batches)`,
    );
    if (syncp.granularity === 'channel') row(`syncp.channelNorm = ${syncp.channelNorm}`, '(none)', '—', 'no channel pruning there');
    row('(masked weights)', '(built in)', '—', 'both compute with W ⊙ M and keep W underneath; the reference still applies weight decay and momentum to masked entries (ours leaves them as they were when pruned)');

    // what does not carry over, on stderr too
    if (syncp.granularity === 'channel')
      warn('channel granularity has no counterpart: the reference\'s group pruner (ContrastiveGrp) is a stub; the script runs UNSTRUCTURED pruning at the same online density and gap');
    if (syncp.scores === 'shared')
      warn('scores: ours are shared (online mask nested in the target\'s by construction); the reference ranks each branch\'s own weights (per-branch), so nestedness is not guaranteed');
    if (nm && syncp.nmFinal !== REF_NM_END_FRACTION) warn(`N:M ramp: ours ends with ${syncp.nmFinal === 1 ? 'all groups' : `${syncp.nmFinal} of the groups`} N:M (target 1 − gap = ${round(1 - syncp.gap)}); the reference ends at ${REF_NM_END_FRACTION} (target ${round(REF_NM_END_FRACTION - gap)})`);
    if (!nm && syncp.layerBudget !== 'global') warn(`layer budget: ours is ${syncp.layerBudget}; the reference ranks all pruned convs together (global)`);
    if (!nm && !syncp.regrowth.enabled)
      warn(`regrowth: off here, but the reference always drops and regrows after an unstructured update; --prune-rate 0 keeps it small (rising to ${fmtRate(refRegrowEnd(0, gpus))} of the kept weights by the end on ${gpus} GPU${gpus > 1 ? 's' : ''})`);
    if (!nm && syncp.regrowth.enabled)
      warn(`regrowth: its rate decays over the whole run (ours over the ramp, to ~0) and on ${gpus} GPU${gpus > 1 ? 's' : ''} ends at ${fmtRate(refRegrowEnd(regrowRate, gpus))} (its cosine's period counts the whole dataset's batches), and it goes on at updates after the ramp`);
    if (oursDense || initDensity !== syncp.initialDensity) warn(
      nm
        ? `start: ours is ${oursDense ? 'dense' : `at ${syncp.initialDensity}`}; the reference starts with random N:M groups, 1 − ERK(${initDensity}) of each layer's (${round(1 - initDensity)} over the network; --init-density ${initDensity})`
        : `start: ours is ${oursDense ? 'dense' : `at ${syncp.initialDensity}`}; the reference starts from random ERK masks at --init-density ${initDensity} (target ${round(initDensity + gap)})`,
    );
    warn(
      `schedule: ${gpus > 1 ? `one of its "epochs" is ${gpus} real epochs (its loader length is measured before DDP splits the data); ` : ''}` +
        `ours ${syncp.schedule.start}→${syncp.schedule.end} every ${syncp.schedule.every} of the run becomes ${schedule.achieved.start}→${schedule.achieved.end} every ${schedule.achieved.every}`,
    );
    for (const note of schedule.notes) warn(`schedule: ${note}`);
  } else {
    row('syncp = none', '(no --prune)', '—', 'dense: the same sparse-capable sresnet18 with all masks at 1, so dense and sparse runs compare like for like');
  }
  row('cdg = none', '(none)', '—', 'CDG has no public implementation; a config with CDG is refused');
  warn(`backbone: ours is a tiny ResNet (widths ${config.model.widths.join('/')}); the script trains ResNet-18 (the reference's sresnet18) on ${dataset}`);
  warn(`not carried: seed (the reference always seeds 5), batch size ${config.batchSize} (→ ${batchPerGpu} a GPU), data ${config.data.name}, image size, head sizes, crop scale ${config.augment.cropScaleMin}`);

  const script = renderScript({ config, opts, dataset, gpus, epochs, args, method });
  const mapping = renderMapping({ config, opts, dataset, gpus, epochs, batchPerGpu, rows, warnings, schedule });
  return { script, mapping, warnings, args, schedule };
}

interface RenderCtx {
  config: Config;
  opts: ExportOptions;
  dataset: RefDataset;
  gpus: number;
  epochs: number;
  method: string;
  args: [string, ...string[]][];
}

function renderScript({ config, opts, dataset, gpus, epochs, args }: RenderCtx): string {
  const syncp = config.syncp;
  const what = syncp
    ? `SyncCP ${syncp.granularity === 'nm' ? `${syncp.n}:${syncp.m}` : syncp.granularity === 'channel' ? 'unstructured (exported from a channel run: no channel pruner there)' : syncp.granularity} (${config.ssl.method})`
    : `dense ${config.ssl.method}`;
  const lines = [
    '#!/usr/bin/env bash',
    `# ${what} on ${dataset}, ${gpus} GPU${gpus > 1 ? 's' : ''}, ${epochs} epochs — exported by the SparseCL Playground`,
    `# from ${opts.source ?? 'the current configuration'}.`,
    `# Reference: github.com/${REFERENCE.repo} at ${REFERENCE.commit}`,
    `# (pinned: at its HEAD, ${REFERENCE.head.slice(0, 8)}, BYOL no longer prunes). Read MAPPING.md:`,
    '# what maps to what, and what does not carry over.',
    '#',
    `# Needs: git, Python 3 with the reference's requirements.txt (PyTorch Lightning ${REFERENCE.lightning}),`,
    `# ${gpus} CUDA GPU${gpus > 1 ? 's' : ''} on one machine.`,
    dataset === 'imagenet'
      ? '# Set IMAGENET_DIR to a folder with train/ and val/ (one sub-folder a class).'
      : '# CIFAR-10 is downloaded into DATA_DIR by torchvision on first use.',
    'set -euo pipefail',
    '',
    `REF_DIR="\${REF_DIR:-${REFERENCE.name}}"`,
    `REF_COMMIT=${REFERENCE.commit}`,
    dataset === 'imagenet' ? 'IMAGENET_DIR="${IMAGENET_DIR:?set IMAGENET_DIR to the ImageNet folder (train/ and val/)}"' : 'DATA_DIR="${DATA_DIR:-$PWD/datasets}"',
    'CKPT_DIR="${CKPT_DIR:-$PWD/trained_models}"',
    '# absolute paths: the run starts inside $REF_DIR',
    dataset === 'imagenet' ? 'IMAGENET_DIR="$(cd "$IMAGENET_DIR" && pwd)"' : 'mkdir -p "$DATA_DIR" && DATA_DIR="$(cd "$DATA_DIR" && pwd)"',
    'mkdir -p "$CKPT_DIR" && CKPT_DIR="$(cd "$CKPT_DIR" && pwd)"',
    '',
    'if [ ! -d "$REF_DIR/.git" ]; then',
    `  git clone ${REFERENCE.cloneUrl} "$REF_DIR"`,
    'fi',
    'git -C "$REF_DIR" checkout --quiet "$REF_COMMIT"',
    '',
    '# Run-time fixes for defects found by reading that commit (MAPPING.md, "Launcher").',
    `cat > "$REF_DIR/${LAUNCHER_FILE}" <<'PY'`,
    LAUNCHER_PY.trimEnd(),
    'PY',
    '',
    'cd "$REF_DIR"',
    `python3 ${LAUNCHER_FILE} \\`,
  ];
  args.forEach(([flag, ...values], i) => {
    const text = [flag, ...values.map(shellQuote)].join(' ');
    lines.push(`    ${text}${i < args.length - 1 ? ' \\' : ''}`);
  });
  return `${lines.join('\n')}\n`;
}

function renderMapping(ctx: {
  config: Config;
  opts: ExportOptions;
  dataset: RefDataset;
  gpus: number;
  epochs: number;
  batchPerGpu: number;
  rows: { ours: string; flag: string; value: string; notes: string }[];
  warnings: string[];
  schedule?: ScheduleConversion;
}): string {
  const { config, opts, dataset, gpus, epochs, batchPerGpu, rows, warnings, schedule } = ctx;
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out: string[] = [];
  out.push(`# MAPPING: SparseCL Playground → ${REFERENCE.name}`);
  out.push('');
  out.push(`Source: ${opts.source ?? 'the current configuration'}. Target: ${dataset}, ${gpus} GPU${gpus > 1 ? 's' : ''} (DDP), ${epochs} epochs, ${batchPerGpu} images a GPU.`);
  out.push(`Reference: [${REFERENCE.repo}](https://github.com/${REFERENCE.repo}) at \`${REFERENCE.commit}\` (${REFERENCE.commitDate}), PyTorch Lightning ${REFERENCE.lightning}.`);
  out.push('');
  out.push(
    `Why that commit: at HEAD (\`${REFERENCE.head.slice(0, 8)}\`) BYOL's pruner is commented out (replaced by a width "slicer"), so \`--prune\` is accepted and ignored. ` +
      '`9d66e017` is the last commit whose BYOL builds the SyncCP pruner for unstructured and N:M sparsity and whose sparse ResNet layers match its SparsConv2d.',
  );
  out.push('');
  out.push('Run it: `bash pretrain.sh` (environment: `REF_DIR`, `CKPT_DIR`, ' + (dataset === 'imagenet' ? '`IMAGENET_DIR`' : '`DATA_DIR`') + ').');
  out.push('');
  out.push('## Settings');
  out.push('');
  out.push('| ours | reference flag | value | notes |');
  out.push('| --- | --- | --- | --- |');
  for (const r of rows) out.push(`| ${cell(r.ours)} | \`${cell(r.flag)}\` | ${cell(r.value)} | ${cell(r.notes)} |`);
  out.push('');
  out.push('## What does not carry over, or carries over differently');
  out.push('');
  for (const w of warnings) out.push(`- ${w}`);
  out.push('- CDG: no public implementation; configs with CDG are refused (exit 2).');
  out.push('- FLOPs, per-layer panels, gate maps and the run.json masks stay in the playground: the reference logs overall sparsity and kNN/linear accuracy.');
  out.push('');
  if (schedule) {
    const s = schedule;
    out.push('## Schedule');
    out.push('');
    out.push(
      'The reference counts training batches in each process. It starts pruning at batch `init-prune-epoch × train_steps`, ramps until `final-prune-epoch × train_steps`, ' +
        'and updates every `update-frequency` batches, where `train_steps` = len(train loader) = floor(N / B) is measured **before** Lightning splits the data over the GPUs. ' +
        'So one of its "epochs" is G real epochs.',
    );
    out.push('');
    out.push(`- N = ${s.datasetSize} images, B = ${s.batchPerGpu} a GPU, G = ${s.gpus}, E = ${s.epochs} epochs`);
    out.push(`- train_steps = floor(N / B) = ${s.refEpochBatches}; batches a process runs per epoch = floor(ceil(N / G) / B) = ${s.batchesPerEpoch}; whole run R = E × that = ${s.totalBatches}`);
    out.push(`- --init-prune-epoch = round(start × R / train_steps) = ${s.initPruneEpoch}; --final-prune-epoch = round(end × R / train_steps) = ${s.finalPruneEpoch}; --update-frequency = round(every × R) = ${s.updateFrequency}`);
    out.push(`- fractions of the run it will use: start ${s.achieved.start}, end ${s.achieved.end}, every ${s.achieved.every} (ours: ${config.syncp?.schedule.start}, ${config.syncp?.schedule.end}, ${config.syncp?.schedule.every})`);
    out.push('- its updates fall on multiples of --update-frequency, so the first one comes within one update interval after the start');
    for (const note of s.notes) out.push(`- ${note}`);
    out.push('');
  }
  out.push(`## Launcher (\`${LAUNCHER_FILE}\`)`);
  out.push('');
  out.push(
    'The script writes a small launcher of ours next to `main_pretrain.py` and runs it with the same flags; Lightning re-runs it in every DDP process. ' +
      'It fixes defects found by **reading** the pinned commit (we could not run PyTorch where this was written), then calls `main_pretrain.main()`:',
  );
  out.push('');
  out.push('0. selects each process\'s GPU before the model is built: the pruner and SparsConv2d create masks and score buffers with `.cuda()`, which would put them on GPU 0 in every process;');
  out.push('1. gives the sparse ResNet the `last_channel` that `base.py` reads from backbones not named `resnet*` (without it `sresnet18/50` fail while the model is built);');
  out.push('2. CIFAR only: a 3×3 stride-1 stem, no max-pool and global average pooling for 32×32 inputs (its fixed 7×7 pool fails there);');
  out.push('3. with `--momentum_mask`: moves the score EMA to the weights\' device (its N:M pruner keeps it on the CPU).');
  out.push('');
  out.push('Other behaviour of the reference the script works around with its values: it prunes at its first batch if `--init-prune-epoch` is 0, when no gradients exist yet for its regrowth step (so the script uses ≥ 1); ' +
    `its ramp divides by the number of updates in it (so at least one); its ERK start and top-k fail when \`--init-density + --density_gap\` is above 1 (the script keeps it at most ${START_CAP}, a margin: the reference's own byol_nm_sparse.sh uses exactly 1).`);
  out.push('');
  return `${out.join('\n')}\n`;
}
