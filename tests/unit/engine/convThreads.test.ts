// The conv loops split with a helper thread (kernels/convThreads.ts, started as the CLIs do
// by src/cli/convThreads.ts) give the one-thread loops' values bit for bit — the loops that
// cpuFastKernels.test.ts holds to tfjs' kernels — on random shapes, channel ranges, gates and
// CDG's two-half forward, and whole training steps give the same losses with and without it.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConvThreads, stopConvThreads } from '../../../src/cli/convThreads';
import { filterGradBlocked, filterGradHere, forwardBlocked, forwardHere, inputGradBlocked, inputGradHere, setConvSplitter, type ConvPart } from '../../../src/engine/kernels/convTaps';
import type { ThreadedConvSplitter } from '../../../src/engine/kernels/convThreads';
import type { ConvGeometry } from '../../../src/engine/kernels/cpuConv2D';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';

let splitter: ThreadedConvSplitter | null = null;

beforeAll(async () => {
  splitter = await startConvThreads(30_000);
  setConvSplitter(null); // each test turns it on where it means to
});
afterAll(() => {
  setConvSplitter(null);
  splitter?.stop(); // its thread returns
});

/** Bit for bit: every element the same float (−0 and NaN included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return a.length === b.length && ua.every((v, i) => v === ub[i]);
}

/** Values with zeros (post-ReLU activations) and a few signs and scales. */
function values(n: number, seed: number, zeros: number): Float32Array {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x9e3779b9) >>> 0) / 4294967296);
  return Float32Array.from({ length: n }, () => (r() < zeros ? 0 : (r() - 0.5) * (r() < 0.1 ? 100 : 2)));
}

const caseArb = fc.record({
  B: fc.integer({ min: 2, max: 5 }),
  H: fc.integer({ min: 2, max: 9 }),
  W: fc.integer({ min: 2, max: 9 }),
  C: fc.integer({ min: 1, max: 12 }),
  blocks: fc.integer({ min: 1, max: 3 }),
  wide: fc.boolean(), // K / G a multiple of 8 (the 8-wide loops) or of 4
  G: fc.constantFrom(1, 2),
  F: fc.integer({ min: 1, max: 3 }),
  stride: fc.constantFrom(1, 2),
  pad: fc.boolean(),
  range: fc.tuple(fc.nat(), fc.nat()),
  gated: fc.boolean(),
  seed: fc.nat(),
  gateOffset: fc.integer({ min: 0, max: 3 }),
  dual: fc.nat(), // where the forward's channels switch to the second output half (CDG's dual conv)
});

type Case = { g: ConvGeometry; part: ConvPart; split: number; outStride: number; x: Float32Array; w: Float32Array; dy: Float32Array; y0: Float32Array };

type CaseInput = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function build(c: CaseInput): Case {
  const K = c.G * (c.wide ? 8 : 4) * c.blocks;
  const OH = c.pad ? Math.ceil(c.H / c.stride) : Math.max(1, Math.floor((c.H - c.F) / c.stride) + 1);
  const OW = c.pad ? Math.ceil(c.W / c.stride) : Math.max(1, Math.floor((c.W - c.F) / c.stride) + 1);
  const F = Math.min(c.F, c.H, c.W);
  const top = c.pad ? Math.floor(Math.max(0, (OH - 1) * c.stride + F - c.H) / 2) : 0;
  const left = c.pad ? Math.floor(Math.max(0, (OW - 1) * c.stride + F - c.W) / 2) : 0;
  const g: ConvGeometry = { B: c.B, H: c.H, W: c.W, C: c.C, OH, OW, K, FH: F, FW: F, top, left, sh: c.stride, sw: c.stride };
  const c0 = c.range[0] % c.C;
  const c1 = c0 + 1 + (c.range[1] % (c.C - c0));
  const units = c.B * OH * OW * c.G;
  const gate = c.gated ? values(c.gateOffset + units, c.seed + 5, 0.5).map((v) => (v === 0 ? 0 : 1)) : null;
  // split = c1: one output; below it, channels [split, c1) go to a second half (rows 2K wide).
  const split = c0 + (c.dual % (c1 - c0 + 1));
  const outStride = split < c1 ? 2 * K : K;
  return {
    g,
    part: { c0, c1, gate, gateOffset: c.gated ? c.gateOffset : 0, G: c.G },
    split,
    outStride,
    x: values(c.B * c.H * c.W * c.C, c.seed, 0.3),
    w: values(F * F * c.C * K, c.seed + 1, 0),
    dy: values(c.B * OH * OW * K, c.seed + 2, 0.1),
    y0: values(c.B * OH * OW * outStride, c.seed + 3, 0.5), // outputs accumulate onto what they hold
  };
}

describe('conv loops split with a helper thread', () => {
  it('the helper starts (this machine has two cores or more)', () => {
    expect(splitter, 'startConvThreads gave no helper').not.toBeNull();
    expect(splitter!.ready).toBe(true);
  });

  it('forward, input gradient and filter gradient equal the one-thread loops bit for bit, split calls counted', () => {
    const minMacs = splitter!.minMacs;
    splitter!.minMacs = 0; // split every call, however small
    const before = splitter!.splitCalls;
    let runs = 0;
    try {
      fc.assert(
        fc.property(caseArb, (cs) => {
          const { g, part, split, outStride, x, w, dy, y0 } = build(cs);
          const run = (threads: boolean) => {
            setConvSplitter(threads ? splitter : null);
            const y = y0.slice();
            const dx = values(x.length, cs.seed + 4, 0.5);
            const dw = values(w.length, cs.seed + 6, 0.5);
            if (threads) {
              forwardBlocked(x, y, w, g, split, outStride, part);
              inputGradBlocked(dx, dy, w, g, part);
              filterGradBlocked(x, dy, dw, g, part);
            } else {
              forwardHere(x, y, w, g, split, outStride, part);
              inputGradHere(dx, dy, w, g, part);
              filterGradHere(x, dy, dw, g, part);
            }
            return [y, dx, dw];
          };
          const one = run(false);
          const two = run(true);
          runs += 1;
          expect(sameBits(two[0], one[0]), 'forward').toBe(true);
          expect(sameBits(two[1], one[1]), 'input gradient').toBe(true);
          expect(sameBits(two[2], one[2]), 'filter gradient').toBe(true);
        }),
        { numRuns: 150 },
      );
    } finally {
      splitter!.minMacs = minMacs;
      setConvSplitter(null);
    }
    // Every case splits its forward and input gradient (B ≥ 2), and the filter gradient when it has 2+ channels.
    expect(splitter!.splitCalls - before).toBeGreaterThanOrEqual(2 * runs);
  });

  it('whole training steps (cdg: gated convs; syncp-2of4: masked convs) give the same losses with and without the helper', async () => {
    const tensors = tf.memory().numTensors;
    for (const preset of ['cdg', 'syncp-2of4'] as const) {
      const cfg = buildConfig({ preset, tiny: true, overrides: { steps: 30, seed: 3 } });
      const ds = await loadDataset('shapes', { seed: cfg.seed, trainCount: cfg.data.trainCount, testCount: cfg.data.testCount });
      const losses: number[][] = [];
      for (const threads of [false, true]) {
        setConvSplitter(threads ? splitter : null);
        const before = splitter!.splitCalls;
        const t = new Trainer(cfg, ds);
        const out: number[] = [];
        for (let i = 0; i < 3; i++) out.push((await t.trainStep()).loss);
        t.dispose();
        if (threads) expect(splitter!.splitCalls, `${preset}: the steps split convs`).toBeGreaterThan(before);
        losses.push(out);
      }
      setConvSplitter(null);
      expect(losses[1], preset).toEqual(losses[0]);
    }
    expect(tf.memory().numTensors, 'the trainers left no tensor behind').toBe(tensors);
  });
});

// Last in the file: it ends the helper the tests above share.
describe('stopConvThreads (a CLI whose measured choice is not cpu)', () => {
  it('ends the helper thread, and no later call starts another', async () => {
    expect(splitter, 'startConvThreads gave no helper').not.toBeNull();
    expect(await stopConvThreads(), 'the helper thread exited').toBe(true);
    expect(await startConvThreads(), 'no second helper').toBeNull();
    expect(await stopConvThreads(), 'nothing left to stop').toBe(false);
  });
});
