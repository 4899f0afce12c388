// Bundled by e2e/ownData.spec.ts (e2e/pageCheck.ts) and run in the app's page: the worker's
// image decoder (src/worker/decodeImage.ts) on pictures whose shrunk pixels are known, against
// areaShrink (what a saved run's images get when shrunk later).
import { decodeImage } from '../../src/worker/decodeImage';
import { areaShrink } from '../../src/engine/data/areaResize';
import { publish } from './publish';

export type DecodeResult = { cases: { name: string; min: number; max: number; maxFromArea: number }[] };

/** A side×side PNG whose pixel (x, y) is white where `white(x, y)`, and its RGB pixels. */
async function png(side: number, white: (x: number, y: number) => boolean): Promise<{ bytes: Uint8Array; rgb: Uint8Array }> {
  const c = new OffscreenCanvas(side, side);
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(side, side);
  const rgb = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const v = white(x, y) ? 255 : 0;
      img.data.set([v, v, v, 255], (y * side + x) * 4);
      rgb.set([v, v, v], (y * side + x) * 3);
    }
  ctx.putImageData(img, 0, 0);
  return { bytes: new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer()), rgb };
}

publish<DecodeResult>('__decodeImage', 'cpu', async () => {
  const cases: DecodeResult['cases'] = [];
  // Each shrinks to a flat mid grey by area averaging (every output pixel covers whole
  // periods); a sampling resize reads single source pixels, black or white.
  for (const [name, side, to, white] of [
    ['1-px checkerboard, 256 → 32', 256, 32, (x: number, y: number) => (x + y) % 2 === 0],
    ['4-px stripes, 256 → 32', 256, 32, (x: number) => x % 8 < 4],
    ['1-px checkerboard, 1024 → 32', 1024, 32, (x: number, y: number) => (x + y) % 2 === 0],
  ] as const) {
    const p = await png(side, white);
    const d = await decodeImage(p.bytes, to);
    if (!d) throw new Error(`${name}: not decoded`);
    const area = areaShrink({ images: p.rgb, labels: new Uint8Array(1), count: 1 }, side, to, 3).images;
    let min = 255;
    let max = 0;
    let maxFromArea = 0;
    d.rgb.forEach((v, i) => {
      min = Math.min(min, v);
      max = Math.max(max, v);
      maxFromArea = Math.max(maxFromArea, Math.abs(v - area[i]));
    });
    cases.push({ name, min, max, maxFromArea });
  }
  return { cases };
});
