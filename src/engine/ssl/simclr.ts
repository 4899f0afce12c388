// SimCLR: two views through one network and projector, NT-Xent over the 2B embeddings.
// Branch 1 computes with the 'online' (sparser) masks, branch 2 with the 'target' (denser)
// ones: with SyncCP, sparsity is the source of asymmetry.
import type { SslMethod } from './method';
import { ntXent } from './ntxent';

export const simclr: SslMethod = {
  name: 'simclr',
  emaTarget: false,
  predictor: false,
  branches: () => [
    { role: 'online', view: 0, network: 'online', trained: true, predicts: false },
    { role: 'target', view: 1, network: 'online', trained: true, predicts: false },
  ],
  loss: ({ z }, config) => ntXent(z[0], z[1], config.ssl.temperature),
};
