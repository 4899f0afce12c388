// The taps of a conv (NHWC, no dilation): every (output position, filter position) pair
// whose input position lies inside the image, in the order the cpu loops visit them
// (oy, ox, fy, fx). The forward, input-gradient and filter-gradient loops all walk this
// list per image, so the window arithmetic and padding checks live in one place. Per
// geometry the list is built once: 3 ints a tap (output pixel, input pixel, filter tap).
import type { ConvGeometry } from './cpuConv2D';

const cache = new Map<string, Int32Array>();

export function convTaps(g: ConvGeometry): Int32Array {
  const key = `${g.H},${g.W},${g.OH},${g.OW},${g.FH},${g.FW},${g.top},${g.left},${g.sh},${g.sw}`;
  let taps = cache.get(key);
  if (taps) return taps;
  const out: number[] = [];
  for (let oy = 0; oy < g.OH; oy++) {
    for (let ox = 0; ox < g.OW; ox++) {
      for (let fy = 0; fy < g.FH; fy++) {
        const iy = oy * g.sh + fy - g.top;
        if (iy < 0 || iy >= g.H) continue;
        for (let fx = 0; fx < g.FW; fx++) {
          const ix = ox * g.sw + fx - g.left;
          if (ix < 0 || ix >= g.W) continue;
          out.push(oy * g.OW + ox, iy * g.W + ix, fy * g.FW + fx);
        }
      }
    }
  }
  taps = Int32Array.from(out);
  if (cache.size > 64) cache.clear(); // a run has a handful of geometries
  cache.set(key, taps);
  return taps;
}
