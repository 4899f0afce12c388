// SimCLR: two views through one network and projector, NT-Xent over the 2B embeddings.
// The 'first' branch computes with the sparser mask, the 'second' with the denser one
// (maskSlot): with SyncCP, sparsity is the source of asymmetry.
import type { SslMethodCode } from './method';
import { ntXent } from './ntxent';

export const simclr: SslMethodCode = {
  branches: () => [
    { role: 'first', view: 0, network: 'online', trained: true, predicts: false },
    { role: 'second', view: 1, network: 'online', trained: true, predicts: false },
  ],
  loss: ({ z }, config) => ntXent(z[0], z[1], config.ssl.temperature),
};
