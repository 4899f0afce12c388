// The side images are stored at when a config's data.imageSize is 0 ("keep the dataset's
// own") and the data has no single side of its own: own images are decoded from files of
// any size. 32 is also the side of CIFAR-10 records and of the generated shapes, so the
// page, the worker and the CLI agree on it from here. No imports: the page uses it too.

/** The default side of own images (and of the shapes and CIFAR-10 data). */
export const DEFAULT_IMAGE_SIDE = 32;

/** The largest side the model takes (config data.imageSize). */
export const MAX_IMAGE_SIDE = 64;

/** The side for a run's data.imageSize: the size itself when set, the default when 0 or absent. */
export const imageSideOrDefault = (imageSize?: number): number => (imageSize && imageSize > 0 ? imageSize : DEFAULT_IMAGE_SIDE);
