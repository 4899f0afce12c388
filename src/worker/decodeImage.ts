// An own image decoded by the browser and resized to the model's input, averaged as areaShrink
// does for saved images shrunk later (OwnImages.at), so one file gives about the same pixels by
// either path. Chromium 150 averages (mipmaps) at the canvas's default quality already; 'high'
// asks for it where 'low' may be plain bilinear, which reads ~2×2 of each 32×32 block of a
// photo shrunk 32× and aliases (the spec's checkerboards, e2e/pages/decodeImage.ts).
import type { ImageDecoder } from '../engine/data';
import { rgbOver } from '../engine/data/rgbOver';

/** Decode an image and resize it to size×size RGB, with its own size (null: not an image). */
export const decodeImage: ImageDecoder = async (bytes, size) => {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(new Blob([bytes as BlobPart]));
  } catch {
    return null;
  }
  const { width, height } = bmp;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    bmp.close();
    return null;
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bmp, 0, 0, size, size);
  bmp.close();
  // Transparent pixels show the background, as on a page (rgbOver says why).
  return { width, height, rgb: rgbOver(ctx.getImageData(0, 0, size, size).data) };
};
