// SimSiam (Chen & He 2021): BYOL without the EMA target. Both views go through one network
// with a predictor; each prediction regresses the other view's projection, which is held
// constant (stop-gradient): D(p1, sg(z2)) + D(p2, sg(z1)), D = 2 − 2·cos. Like SimCLR,
// the 'second' branch computes with the denser mask.
import { byolLoss } from './byol';
import type { SslMethodCode } from './method';

export const simsiam: SslMethodCode = {
  branches: () => [
    { role: 'first', view: 0, network: 'online', trained: true, predicts: true },
    { role: 'second', view: 1, network: 'online', trained: true, predicts: true },
  ],
  // byolLoss(p1, p2, z1, z2) = D(p1, sg(z2)) + D(p2, sg(z1)): the same symmetrised regression.
  loss: ({ z, p }) => byolLoss(p[0]!, p[1]!, z[0], z[1]),
};
