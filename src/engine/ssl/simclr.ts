// SimCLR: two views through one network and projector, NT-Xent over the 2B embeddings.
// The 'first' branch computes with the sparser mask, the 'second' with the denser one
// (maskSlot): with SyncCP, sparsity is the source of asymmetry.
import type { SslMethodDefinition } from './method';
import { ntXent } from './ntxent';

export const simclr: SslMethodDefinition = {
    label: 'SimCLR',
    summary: 'NT-Xent over both views',
    lossHelp: 'NT-Xent loss: lower means each image’s two views find each other among the batch; it falls from about ln(2B−1) as features form.',
    emaTarget: false,
    predictor: false,
    soloLearn: 'simclr',
  branches: () => [
    { role: 'first', view: 0, network: 'online', trained: true, predicts: false },
    { role: 'second', view: 1, network: 'online', trained: true, predicts: false },
  ],
  loss: ({ z }, config) => ntXent(z[0], z[1], config.ssl.temperature),
};
