// Training FLOPs of one step, dense and effective, per layer and in total: every conv and
// head layer of every branch, each branch counted 3× (forward, input grad, weight grad;
// 2× for a set predictor, whose weight takes no gradient, and for the stem, whose input is
// the images) when the method trains it and 1× when it only runs forward (BYOL's target). Effective counts
// use the branch's actual weight density and gate density of each prunable conv; a trained
// branch's gated conv counts its conditional forward in full under the 'ste' gate gradient
// (sparsity/flops.ts).
import { maskSlot, type BranchInfo } from './plugin';
import type { SslMethodName } from './ssl/methodInfo';
import { sslMethod } from './ssl/registry';
import type { NetworkSpec } from './nn/network';
import { channelFeeders } from './nn/resnet';
import { denseMacs, effectiveMacs, networkFlops, trainingForwardMacs, type FlopsSummary, type LayerFlopsSpec } from './sparsity/flops';

export interface LayerDensities {
  /** Weight density by conv name and role (1 when absent). */
  weight?: Record<string, { online: number; target: number }>;
  /** Gate density of the conditional path by conv name and role, with its β and gate-gradient mode (default 'ste'). */
  gate?: Record<string, { online: number; target: number; beta: number; gradient?: 'ste' | 'detached' }>;
  /**
   * Fraction of a conv's output channels kept (not pruned whole), by conv name and role (1
   * when absent). The conv that reads them directly after BN and ReLU (a block's conv2 after
   * its conv1) skips the pruned ones: they count as its input density.
   */
  outputChannels?: Record<string, { online: number; target: number }>;
}

/** Convs whose input is the stem's output (the first block's conv1 and shortcut): nothing trained lies before them but the stem. */
function readersOfStem(spec: NetworkSpec): Set<string> {
  const first = spec.encoder.blocks[0];
  return new Set(first ? [first.conv1.name, ...(first.shortcut ? [first.shortcut.name] : [])] : []);
}

function layerSpecs(spec: NetworkSpec, role: BranchInfo['role'], predicts: boolean, d: LayerDensities): LayerFlopsSpec[] {
  const feeder = channelFeeders(spec.encoder);
  const convs: LayerFlopsSpec[] = spec.encoder.convs.map((c) => {
    const slot = maskSlot(role);
    const w = d.weight?.[c.name]?.[slot];
    const g = d.gate?.[c.name];
    const from = feeder.get(c.name);
    const live = from ? d.outputChannels?.[from]?.[slot] : undefined;
    return {
      kind: 'conv' as const,
      name: c.name,
      kh: c.kh,
      kw: c.kw,
      cIn: c.cin,
      cOut: c.cout,
      inH: c.inH,
      inW: c.inW,
      stride: c.stride,
      padding: 'same' as const,
      ...(c.name === spec.encoder.stem.name ? { noInputGradient: true } : {}),
      sparsity: {
        weightDensity: w ?? 1,
        ...(g ? { gate: { density: g[slot], beta: g.beta, gradient: g.gradient ?? 'ste' } } : {}),
        ...(live !== undefined ? { inputDensity: live } : {}),
      },
    };
  });
  const heads = [spec.projector, ...(predicts && spec.predictor ? [spec.predictor] : [])].flatMap((h) => [
    { kind: 'linear' as const, name: `${h.prefix}.fc1`, inFeatures: h.inDim, outFeatures: h.hidden },
    { kind: 'linear' as const, name: `${h.prefix}.fc2`, inFeatures: h.hidden, outFeatures: h.outDim },
  ]);
  // A set predictor is one d×d product whose weight takes no gradient (set from F each step).
  const direct = predicts && spec.directPredictor ? [{ kind: 'linear' as const, name: 'pred.direct', inFeatures: spec.directPredictor.dim, outFeatures: spec.directPredictor.dim, noWeightGradient: true }] : [];
  return [...convs, ...heads, ...direct];
}

/**
 * FLOPs of one training step over all branches, batch `batch` per branch. `gradientPasses`:
 * extra passes the step ran for the gradient at the named convs' effective weights (SyncCP
 * regrowth: trainer.effectiveGradients), each added to the effective count (a dense run
 * runs none): the loss again (every branch forward), the online branches' input gradients
 * (none for the convs that read the stem's output: nothing named lies before them),
 * and the named convs' weight gradients at every position, pruned ones included (that is
 * what the pass is for) — no other weight gradient.
 */
export function stepFlops(spec: NetworkSpec, branches: BranchInfo[], method: SslMethodName, batch: number, d: LayerDensities, gradientPasses: readonly (readonly string[])[] = []): FlopsSummary {
  const byName = new Map<string, { dense: number; effective: number }>();
  let dense = 0;
  let effective = 0;
  const layout = sslMethod(method).branches();
  const passes = gradientPasses.map((names) => new Set(names));
  const stemReaders = readersOfStem(spec);
  for (const b of branches) {
    // Whether the method trains this branch (a target network only runs forward) and runs the predictor on it.
    const l = layout.find((x) => x.role === b.role && x.view === b.view);
    const trained = l?.trained ?? true;
    const layers = layerSpecs(spec, b.role, l?.predicts ?? false, d);
    const s = networkFlops(layers, { pass: trained ? 'training' : 'forward', batch });
    dense += s.dense;
    effective += s.effective;
    s.layers.forEach((lf, i) => {
      const extra = passes.reduce((a, named) => a + 2 * batch * gradientPassMacs(layers[i], trained, named, stemReaders), 0);
      const acc = byName.get(lf.name) ?? { dense: 0, effective: 0 };
      acc.dense += lf.dense;
      acc.effective += lf.effective + extra;
      effective += extra;
      byName.set(lf.name, acc);
    });
  }
  return { layers: [...byName].map(([name, v]) => ({ name, ...v })), dense, effective };
}

/**
 * MACs of one layer, one image, in an effective-gradient pass (stepFlops' `gradientPasses`):
 * its forward; in a trained branch also its input gradient and, for a `named` conv, its
 * weight gradient at every position.
 */
function gradientPassMacs(layer: LayerFlopsSpec, trained: boolean, named: Set<string>, stemReaders: Set<string>): number {
  if (!trained) return effectiveMacs(layer);
  // The pass differentiates only the named convs' weights: a conv whose input comes from the
  // stem alone (unnamed, its weights not asked for) needs no input gradient, and tfjs runs none.
  const noInput = layer.kind === 'conv' && (layer.noInputGradient || stemReaders.has(layer.name));
  const inputGradient = noInput ? 0 : effectiveMacs(layer);
  return trainingForwardMacs(layer) + inputGradient + (named.has(layer.name) ? weightGradientEverywhereMacs(layer) : 0);
}

/**
 * A named conv's weight gradient in such a pass: at every weight position (masked ones too,
 * regrowth ranks them), but under CDG still × gate density on the conditional path
 * (dY_c = dY ⊙ g is 0 where the gate is closed; the gated kernels skip it there).
 */
function weightGradientEverywhereMacs(layer: LayerFlopsSpec): number {
  const gate = layer.sparsity?.gate;
  return gate ? effectiveMacs({ ...layer, sparsity: { gate } }) : denseMacs(layer);
}
