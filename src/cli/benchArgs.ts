// The bench CLI's flags: parsed and checked here, before anything heavy loads, so a bad
// flag answers at once and the checks run in-process in the tests.
import type { BenchState } from '../engine/benchTable';
import { LONG_READ_EVERY } from '../engine/benchLong';
import { PRESET_NAMES } from '../engine/config';
import type { NodeBackendName } from './nodeBackend';

export const USAGE = `usage: npm run bench -- [options]
  --backend B       cpu | webgpu | wasm (default cpu; Node)
  --tiny            the app's tiny size (batch 8, 200 / 100 images; default: the default size)
  --presets a,b     presets to time (default all: ${PRESET_NAMES.join(', ')});
                    the dense preset of the same recipe each is compared with is added
                    (NAME@dense, the preset without its sparsity, where no dense preset shares
                    its recipe: syncp-reference)
  --state S         end | ramp | both (default both)
  --rounds N        measured rounds, one step of every preset each (default 20 tiny, 100 tiny on cpu and wasm, 5 default size)
  --warmup N        unmeasured rounds first (default 2)
  --json            one JSON line per preset and state on stdout
  --markdown FILE   write (or update) this bench's table in FILE with the machine and command
  --browser         the page's backends (webgpu, webgl, wasm, cpu) in Chromium (/usr/bin/chromium or
                    $CHROMIUM_PATH) on a bench page built by Vite; --backends a,b picks some
  --backends a,b    with --browser: which page backends (default webgpu,webgl,wasm,cpu)
  --long            every preset for --steps steps (default 1000, tiny), numTensors and bytes
                    read every 100 steps; exits 1 if either grows or tensors are left after dispose
  --steps N         steps per preset for --long
  --sparse-kernels M auto | off | both (default auto): off times the masked dense work, for
                    comparison (SyncCP's masked convs; CDG's conditional path only where needed,
                    cpu and webgpu); both times each sparse preset twice in the same rounds, as itself and
                    as NAME@off (kernels off), so auto/off ratios share the load
  --gate-gradient G ste | detached: CDG's gate gradient for the presets that run CDG (default: the preset's)
  --conv-threads    cpu: a second thread computes half of each large conv, as npm run train and
                    npm run experiment do (src/cli/convThreads.ts); by default one thread, as the
                    page's cpu backend runs
  --kernels         where sparse kernels pay: conv(x, W ⊙ M) forward + gradients over the
                    model's prunable convs, masked dense vs row-sparse vs what auto picks,
                    per mask kind and density (cpu: row-sparse; webgpu: the WGSL sparse
                    programs, and for channel masks the compact conv as tf ops)
  --profile         the dense counterpart's conv share of a step (tf.profile) and each sparse
                    preset's Amdahl bound (1 − s) + s · conv FLOPs ratio: the best time ratio
                    that skipping conv work alone can reach; JSON lines
  --help`;

import { parseFlags, UsageError, wholeNumber } from './args';

export { UsageError };

const STATES: Record<string, BenchState[]> = { end: ['end'], ramp: ['ramp'], both: ['end', 'ramp'] };

export function parseBenchArgs(argv: string[]) {
  // parseFlags: a flag given twice with different values is refused, as in the other CLIs.
  const v = parseFlags(argv, {
    backend: { type: 'string' },
    backends: { type: 'string' },
    tiny: { type: 'boolean', default: false },
    presets: { type: 'string' },
    state: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'boolean', default: false },
    markdown: { type: 'string' },
    browser: { type: 'boolean', default: false },
    long: { type: 'boolean', default: false },
    steps: { type: 'string' },
    'sparse-kernels': { type: 'string' },
    'gate-gradient': { type: 'string' },
    'conv-threads': { type: 'boolean', default: false },
    kernels: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  const backend = v.backend ?? 'cpu';
  if (!['cpu', 'webgpu', 'wasm'].includes(backend)) throw new UsageError(`--backend must be cpu, webgpu or wasm (got "${backend}")`);
  if (v.browser && v.backend) throw new UsageError('--browser times the page backends: use --backends webgpu,webgl,cpu instead of --backend');
  if (v.browser && v.long) throw new UsageError('--long runs in Node only');
  // The modes are one each: run together, the first would run alone and the others be
  // dropped without a word (--long --profile skipped the leak check and exited 0).
  const modes = (['long', 'kernels', 'profile', 'browser'] as const).filter((m) => v[m]);
  if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} are separate benches: run one at a time`);
  if (v.profile && v.markdown) throw new UsageError('--profile prints its table only: --markdown goes with the step bench, --kernels or --long');
  const presets = v.presets !== undefined ? v.presets.split(',').map((s) => s.trim()) : [...PRESET_NAMES];
  if (presets.some((p) => !p)) throw new UsageError(`--presets needs preset names separated by commas (got "${v.presets}")`);
  for (const p of presets) if (!(PRESET_NAMES as readonly string[]).includes(p)) throw new UsageError(`unknown preset "${p}" (known: ${PRESET_NAMES.join(', ')})`);
  if (new Set(presets).size < presets.length) throw new UsageError(`--presets names a preset twice (got "${v.presets}")`);
  const state = v.state ?? 'both';
  if (!STATES[state]) throw new UsageError(`--state must be end, ramp or both (got "${state}")`);
  const backends = v.backends !== undefined ? v.backends.split(',').map((s) => s.trim()) : ['webgpu', 'webgl', 'wasm', 'cpu'];
  // An empty list timed nothing and wrote an empty section (exit 1 without a word).
  if (backends.some((b) => !b)) throw new UsageError(`--backends needs backend names separated by commas (got "${v.backends}")`);
  for (const b of backends) if (!['webgpu', 'webgl', 'wasm', 'cpu'].includes(b)) throw new UsageError(`--backends: the page has webgpu, webgl, wasm and cpu (got "${b}")`);
  if (new Set(backends).size < backends.length) throw new UsageError(`--backends names a backend twice (got "${v.backends}")`);
  if (v.backends !== undefined && !v.browser) throw new UsageError('--backends goes with --browser');
  // Each mode takes only some flags: one it does not read is refused, not run as something else
  // (--kernels times its own convs, --long its own steps, --profile one state after no warm-up).
  const ignored: Record<string, (keyof typeof v)[]> = {
    kernels: ['presets', 'state', 'warmup', 'sparse-kernels', 'gate-gradient', 'conv-threads'],
    long: ['state', 'rounds', 'warmup'],
    profile: ['warmup'],
  };
  for (const [mode, flags] of Object.entries(ignored)) {
    if (!v[mode as keyof typeof v]) continue;
    const given = flags.filter((f) => v[f] !== undefined && v[f] !== false);
    if (given.length) throw new UsageError(`--${mode} does not read --${given.join(', --')}: leave ${given.length > 1 ? 'them' : 'it'} out`);
  }
  if (v.profile && v.state === 'both') throw new UsageError('--profile measures one state: --state end or --state ramp');
  if (v['conv-threads'] && (v.browser || backend !== 'cpu')) throw new UsageError('--conv-threads is for --backend cpu in Node');
  const sparseKernels = v['sparse-kernels'] ?? 'auto';
  if (!['auto', 'off', 'both'].includes(sparseKernels)) throw new UsageError(`--sparse-kernels must be auto, off or both (got "${sparseKernels}")`);
  const steps = wholeNumber('--steps', v.steps, 1);
  if (steps !== undefined && !v.long) throw new UsageError('--steps goes with --long');
  // Memory is read every LONG_READ_EVERY steps: growth needs two readings to be seen at all.
  if (steps !== undefined && steps < 2 * LONG_READ_EVERY) throw new UsageError(`--long reads memory every ${LONG_READ_EVERY} steps, so --steps must be at least ${2 * LONG_READ_EVERY} to compare two readings (got ${steps})`);
  const gateGradient = v['gate-gradient'];
  if (gateGradient !== undefined && !['ste', 'detached'].includes(gateGradient)) throw new UsageError(`--gate-gradient must be ste or detached (got "${gateGradient}")`);
  // What narrows or changes the default bench: a markdown table written with any of these
  // gets a section of its own, so a partial run never replaces the full table.
  const selection = [
    ...(presets.length < PRESET_NAMES.length ? [`presets ${presets.join(',')}`] : []),
    ...(state !== 'both' ? [`state ${state}`] : []),
    ...(sparseKernels !== 'auto' ? [`sparse-kernels ${sparseKernels}`] : []),
    ...(gateGradient ? [`gate-gradient ${gateGradient}`] : []),
    ...(v['conv-threads'] ? ['conv-threads'] : []),
    // A shorter long run is another table than the 1000-step one.
    ...(v.long && steps !== undefined && steps !== 1000 ? [`steps ${steps}`] : []),
  ];
  return {
    help: v.help,
    selection,
    backend: backend as NodeBackendName,
    backends,
    tiny: v.tiny,
    presets: sparseKernels === 'both' ? presets.flatMap((p) => (p.endsWith('-dense') ? [p] : [p, `${p}@off`])) : presets,
    states: STATES[state],
    rounds: wholeNumber('--rounds', v.rounds, 1),
    warmup: wholeNumber('--warmup', v.warmup, 0),
    json: v.json,
    markdown: v.markdown,
    browser: v.browser,
    long: v.long,
    steps,
    overrides: { kernels: { sparse: sparseKernels === 'off' ? 'off' : 'auto' }, ...(gateGradient ? { cdg: { gateGradient } } : {}) },
    kernels: v.kernels,
    profile: v.profile,
    convThreads: v['conv-threads'],
  };
}

export type BenchArgs = ReturnType<typeof parseBenchArgs>;
