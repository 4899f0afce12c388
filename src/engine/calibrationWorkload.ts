// The calibration's workload, described without tfjs: what the run's shape is timed as, and
// the key a cached calibration is reused under. The page imports it to tell whether the
// backend was measured for the run on screen.
import { FASHION_MNIST_SIDE } from './data/fashionMnist';
import { imageSideOrDefault } from './data/imageSide';
import { stageStrides, type Config } from './config';

/** The workload's size: the run's images and first stage, so the ranking fits the run. */
export interface WorkloadShape {
  batch: number;
  size: number;
  channels: number;
  width: number;
  hidden: number;
  /** The run's encoder: the workload is this network on both views of the batch (`batch / 2` images each). */
  model?: Config['model'];
}

export const DEFAULT_WORKLOAD: WorkloadShape = { batch: 16, size: 16, channels: 3, width: 16, hidden: 32 };

/** The workload of a run: both views of its batch at the size the network sees, its first stage and projector width. */
export function calibrationShape(c: Config): WorkloadShape {
  const fashion = c.data.name === 'fashion-mnist';
  // imageSize 0 keeps the data's own side: Fashion-MNIST's, else the stored side of shapes and own images.
  const size = fashion && !c.data.imageSize ? FASHION_MNIST_SIDE : imageSideOrDefault(c.data.imageSize);
  return { batch: 2 * c.batchSize, size, channels: fashion ? 1 : 3, width: c.model.widths[0], hidden: c.model.projHidden, model: c.model };
}

/**
 * Identifies a workload: what calibrationWorkload runs for this shape (the encoder's
 * layout, the view size, the dense layer). A cached calibration is reused only for the same
 * key, since a deeper or wider model changes how a per-op cost weighs against arithmetic.
 */
export function workloadKey(w: WorkloadShape): string {
  // The whole shape (a software WebGL times the two-conv workload on the whole batch:
  // deadlineShape), with the encoder's layout in place of the model's other settings.
  const { model, ...rest } = w;
  return JSON.stringify(model ? { ...rest, widths: model.widths, blocks: model.blocks, strides: stageStrides(model) } : rest);
}
