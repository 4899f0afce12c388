// What the app reads of each SSL method (label, summary, loss help, EMA target, predictor,
// solo-learn export) and the list of their names. No tfjs here: the page reads it (the
// config schema, the settings, the loss panel), and only the worker loads tfjs; each
// method's code (branches, loss) is in its own file, joined to this in registry.ts.
import type { SslMethodInfo } from './method';

const INFO = {
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
    lossHelp: 'BYOL loss: 2 − 2·cos(prediction, target), summed over both views (each view predicts the other’s target), from about 4 down towards 0 as the two views of an image map to the same point.',
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
} satisfies Record<string, SslMethodInfo>;

export type SslMethodName = keyof typeof INFO;
/** The names in table order (a tuple, as z.enum wants). */
export const SSL_METHOD_NAMES = Object.keys(INFO) as [SslMethodName, ...SslMethodName[]];

/** What the app reads of a method (label, loss help, EMA target, predictor, export). */
export function sslMethodInfo(name: SslMethodName): SslMethodInfo {
  return INFO[name];
}

/** The methods for which `has` holds, by label ("BYOL and SimSiam"). */
export function methodLabelsWhere(has: (m: SslMethodInfo) => boolean): string {
  const labels = SSL_METHOD_NAMES.map(sslMethodInfo).filter(has).map((m) => m.label);
  return labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}` : (labels[0] ?? 'no method');
}
