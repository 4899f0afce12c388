// The SSL methods as the rest of the app reads them, apart from their tfjs code: name,
// label, how their loss reads, whether they keep an EMA target or a predictor, and whether
// the solo-learn export has a recipe for them. The config schema (which the page loads
// without tfjs) lists the names from here, so this file stays free of tfjs; registry.ts
// pairs each entry with its implementation (its branches and loss), and the compiler
// refuses a name without one. A new method: its entry here, its file, a line in
// registry.ts, and its test.
export interface SslMethodInfo {
  /** How people read its name (settings, panels, messages). */
  readonly label: string;
  /** One phrase for the method setting's help. */
  readonly summary: string;
  /** How to read the loss chart (the loss panel's help). */
  readonly lossHelp: string;
  /** Keeps a target network, an EMA of the online one (θt ← m·θt + (1−m)·θo). */
  readonly emaTarget: boolean;
  /** The online network has a predictor head. */
  readonly predictor: boolean;
  /** The solo-learn method a run exports to (export/soloLearnSparse.ts has its recipe); null: not exportable. */
  readonly soloLearn: 'simclr' | 'byol' | null;
}

const METHODS = {
  simclr: {
    label: 'SimCLR',
    summary: 'NT-Xent over both views',
    lossHelp: 'NT-Xent loss: lower means each image’s two views find each other among the batch; it falls from about ln(2B−1) as features form.',
    emaTarget: false,
    predictor: false,
    soloLearn: 'simclr',
  },
  byol: {
    label: 'BYOL',
    summary: 'online network + EMA target',
    lossHelp: 'BYOL loss 2 − 2·cos(prediction, target), from 4 down towards 0 as the two views of an image map to the same point.',
    emaTarget: true,
    predictor: true,
    soloLearn: 'byol',
  },
  simsiam: {
    label: 'SimSiam',
    summary: 'BYOL without the EMA target',
    lossHelp:
      'SimSiam loss 2 − 2·cos(prediction, other view’s projection), symmetrised: from 4 down towards 0 as the two views of an image map to the same point (a value stuck near 0 from the start would be collapse).',
    emaTarget: false,
    predictor: true,
    // solo-learn has a SimSiam method, but this export has no recipe for it (and the reference prunes in BYOL only).
    soloLearn: null,
  },
} as const satisfies Record<string, SslMethodInfo>;

export type SslMethodName = keyof typeof METHODS;
/** The names in table order (a tuple, as z.enum wants). */
export const SSL_METHOD_NAMES = Object.keys(METHODS) as [SslMethodName, ...SslMethodName[]];

export function sslMethodInfo(name: SslMethodName): SslMethodInfo {
  return METHODS[name];
}

/** The methods for which `has` holds, by label ("BYOL and SimSiam"). */
export function methodLabelsWhere(has: (m: SslMethodInfo) => boolean): string {
  const labels = SSL_METHOD_NAMES.map(sslMethodInfo).filter(has).map((m) => m.label);
  return labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}` : (labels[0] ?? 'no method');
}
