// SimSiam (Chen & He 2021): BYOL without the EMA target. Both views go through one network
// with a predictor; each prediction regresses the other view's projection, which is held
// constant (stop-gradient): D(p1, sg(z2)) + D(p2, sg(z1)), D = 2 − 2·cos. Like SimCLR,
// the 'second' branch computes with the denser mask.
import { byolLoss } from './byol';
import type { SslMethodDefinition } from './method';

export const simsiam: SslMethodDefinition = {
    label: 'SimSiam',
    summary: 'BYOL without the EMA target',
    lossHelp:
      'SimSiam loss 2 − 2·cos(prediction, other view’s projection), symmetrised: from 4 down towards 0 as the two views of an image map to the same point (a value stuck near 0 from the start would be collapse).',
    emaTarget: false,
    predictor: true,
    // solo-learn has a SimSiam method, but this export has no recipe for it (and the reference prunes in BYOL only).
    soloLearn: null,
  branches: () => [
    { role: 'first', view: 0, network: 'online', trained: true, predicts: true },
    { role: 'second', view: 1, network: 'online', trained: true, predicts: true },
  ],
  // byolLoss(p1, p2, z1, z2) = D(p1, sg(z2)) + D(p2, sg(z1)): the same symmetrised regression.
  loss: ({ z, p }) => byolLoss(p[0]!, p[1]!, z[0], z[1]),
};
