// Own images with transparency (sprites, icons): a canvas's getImageData gives straight
// (un-premultiplied) RGBA, and dropping alpha would make every transparent pixel black
// and give each anti-aliased edge pixel its full colour (fattened shapes with hard fringes).
// Compositing over an opaque background, as a page shows the image, keeps both right.

/** What transparent pixels show through to: white, as on a page. */
export const IMAGE_BACKGROUND: readonly [number, number, number] = [255, 255, 255];

/** RGBA with straight alpha composited over an opaque `background`, as RGB bytes. */
export function rgbOver(rgba: ArrayLike<number>, background: readonly [number, number, number] = IMAGE_BACKGROUND): Uint8Array {
  const n = Math.floor(rgba.length / 4);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3];
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round((rgba[i * 4 + c] * a + background[c] * (255 - a)) / 255);
  }
  return rgb;
}
