// The classroom lessons (?classroom=1): each loads a preset at its size and points at the
// panel to watch. Texts say what this app does, including what it only counts.
// Pure data: tests/unit/ui/lessons.test.ts checks the presets and panels exist.
import type { PresetName } from '../engine/config';

/** Test ids of the panels a lesson can point at. */
export type PanelId = 'panel-data' | 'panel-loss' | 'panel-knn' | 'panel-cdg' | 'panel-syncp' | 'panel-nm' | 'panel-flops';

export const PANEL_IDS: readonly PanelId[] = ['panel-data', 'panel-loss', 'panel-knn', 'panel-cdg', 'panel-syncp', 'panel-nm', 'panel-flops'];

export interface Lesson {
  id: string;
  title: string;
  /** Loaded when the lesson opens, at the size `tiny` says. */
  preset: PresetName;
  /**
   * The tiny size (the sparsity lessons: a whole schedule in 300 quick steps) or the default
   * one (the SimCLR lessons: kNN rises over the untrained network only there, about +15
   * points by step 200, ~35 s on a 2-core cpu; at the tiny size it stays in the noise).
   */
  tiny: boolean;
  /** The panel to watch: scrolled into view and highlighted. */
  panel: PanelId;
  /** Highlighted too, not scrolled to. */
  alsoPanels?: PanelId[];
  /** A few short paragraphs, read aloud in class. */
  paragraphs: string[];
  /** What to do now, one line. */
  todo: string;
}

export const LESSONS: readonly Lesson[] = [
  {
    id: 'contrastive',
    title: 'What contrastive learning does',
    preset: 'simclr-dense',
    tiny: false,
    panel: 'panel-loss',
    alsoPanels: ['panel-data'],
    paragraphs: [
      'The network never sees a label. Each training image is turned into two views by random cropping, flipping, colour jitter and grayscale: the data panel shows a few images and the two views of the first one.',
      'SimCLR passes both views through the same small ResNet and a projector, and its loss (NT-Xent) rewards embeddings where the two views of one image are closer to each other than to the views of every other image in the batch.',
      'So the network has to find what survives the augmentations — here, the shape rather than its colour. The loss falls as it does.',
    ],
    todo: 'Press Start (or Space) and watch the loss fall; press Space again to pause.',
  },
  {
    id: 'knn',
    title: 'Reading the kNN chart against its baselines',
    preset: 'simclr-dense',
    tiny: false,
    panel: 'panel-knn',
    paragraphs: [
      'To see whether the features are useful, the kNN monitor classifies held-out images by a vote of their nearest training images in feature space (20 neighbours at this size). Labels are used only for this check, never for training.',
      'Read the curve against its three lines: chance (10 classes: 10 %), the same network untrained (random convolutions already group some images, so it is often well above chance), and raw pixels (the vote on the images themselves).',
      'Learning is the gain over the untrained line: the counter under the kNN figure says how many points. The monitor runs every 100 steps at this size, so the first new point comes at step 100; at step 200 this run (seed 1) is 15 points above the untrained line, far outside its band.',
    ],
    todo: 'Train past step 200 (about half a minute on a laptop’s cpu) and compare the new points with the untrained line.',
  },
  {
    id: 'syncp',
    title: 'Weight pruning and the SyncCP gap',
    preset: 'syncp-unstructured',
    tiny: true,
    panel: 'panel-syncp',
    paragraphs: [
      'This run is BYOL: an online network learns to predict a target network, which is a slow moving average of the online one. SyncCP prunes both at the same steps: the weights with the smallest magnitude are set to zero.',
      'The online branch ends with 20 % of its weights, the target with 50 %: the density gap of 0.3 keeps the target denser. Both masks rank the same scores, so every weight the online branch keeps, the target keeps too (the masks are nested).',
      'Pruning follows a cubic schedule: from 10 % of the run to 70 %, the masks are updated every 5 % of the run (every 15 steps at this size; the first update still keeps everything). In the mask picture blue is kept by both branches, orange only by the target, grey pruned.',
    ],
    todo: 'Train past step 45, the first update that prunes, and watch orange appear (the target still keeps every weight there); grey follows from step 61 (the update after step 60), once the target prunes too.',
  },
  {
    id: 'nm',
    title: 'N:M patterns and why hardware likes them',
    preset: 'syncp-2of4',
    tiny: true,
    panel: 'panel-nm',
    alsoPanels: ['panel-flops'],
    paragraphs: [
      'Unstructured pruning leaves zeros anywhere, which a GPU cannot easily skip. 2:4 sparsity keeps exactly 2 weights in every group of 4 neighbouring input channels: half the weights, in a fixed, regular shape.',
      'Regular is what hardware wants: each group stores its 2 values and their positions, and GPUs with sparse tensor cores (NVIDIA since Ampere) run 2:4 matrix products at up to twice the dense rate.',
      'Here the online branch ends fully 2:4 and the target keeps 70 % of its groups 2:4 (the gap). Each cell of the grid is one group, coloured by which 2 of its 4 weights survive; black groups are still dense. On WebGPU the 2:4 convolutions run programs that skip the pruned weights; on the other backends they stay zeros inside an ordinary dense convolution (at half the weights, skipping costs a CPU what it saves), so the FLOPs panel counts a saving the step does not make. Its measured line shows which.',
    ],
    todo: 'Train past step 45, the first update that makes groups 2:4, and watch black groups turn into patterns.',
  },
  {
    id: 'cdg',
    title: 'Dual gating: where the computation goes',
    preset: 'cdg',
    tiny: true,
    panel: 'panel-cdg',
    alsoPanels: ['panel-flops'],
    paragraphs: [
      'Contrastive dual gating prunes activations instead of weights, differently for every image. Each gated convolution (all but the first) first computes a cheap base path on a quarter of its input channels; how strongly that responds at a location says whether the rest (the conditional path) is worth computing there.',
      'One threshold per layer is chosen for both views together, so the view with more salient content keeps more of its computation. The gate density falls from 1 towards 0.4 on a schedule; the gate maps show where it stays open (bright, yellow-tinted) and where it closes (dark).',
      'Be careful with the savings: what is really skipped depends on the backend. On cpu and WebGPU the conditional path is not computed at closed locations where training does not need it (its gradients always; its forward too with the detached gate gradient), on wasm only its gradients skip, and on WebGL it is computed everywhere and multiplied by the gate. The FLOPs panel counts what could be skipped; its measured line shows what a step on this device really saves.',
    ],
    todo: 'Train a few dozen steps and compare the two views’ gate maps and bars.',
  },
];
