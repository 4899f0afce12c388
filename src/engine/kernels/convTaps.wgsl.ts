// The tap loops of a 'same'-padded strided conv in WGSL, shared by the custom conv programs
// (webgpuGatedConv.wgsl.ts, webgpuSparseConv.wgsl.ts). They read the shader constants
// H, W, OH, OW, FH, FW, S (stride), PT, PL (top / left padding); `ixp` is an input column
// (`ix` is the sparse conv's index tensor). The WGSL equivalent of convTaps.ts.

/** For output pixel (oy, ox): `body` once per tap (fy, fx) whose input pixel (iy, ixp) lies inside the input. */
export const forEachInputTap = (body: string) => /* wgsl */ `
  for (var fy = 0; fy < FH; fy++) {
    let iy = oy * S + fy - PT;
    if (iy < 0 || iy >= H) { continue; }
    for (var fx = 0; fx < FW; fx++) {
      let ixp = ox * S + fx - PL;
      if (ixp < 0 || ixp >= W) { continue; }
      ${body}
    }
  }`;

/** For input pixel (iy, ixp): `body` once per tap (fy, fx) that reads it from an output pixel (oy, ox). */
export const forEachReadingTap = (body: string) => /* wgsl */ `
  for (var fy = 0; fy < FH; fy++) {
    let ty = iy + PT - fy;
    if (ty < 0 || ty % S != 0) { continue; }
    let oy = ty / S;
    if (oy >= OH) { continue; }
    for (var fx = 0; fx < FW; fx++) {
      let tx = ixp + PL - fx;
      if (tx < 0 || tx % S != 0) { continue; }
      let ox = tx / S;
      if (ox >= OW) { continue; }
      ${body}
    }
  }`;

/**
 * For tap (fy, fx): `body` once per output pixel (b, oy, ox) whose input pixel (iy, ixp)
 * lies inside the input, the range computed up front (a filter gradient's sum).
 */
export const forEachOutputOfTap = (body: string) => /* wgsl */ `
  // Output rows/columns whose tap (fy, fx) stays inside the input.
  let oy0 = max(0, (PT - fy + S - 1) / S);
  let ny = H - 1 + PT - fy; // trunc division: negative numerators handled apart
  let oy1 = select(0, min(OH, ny / S + 1), ny >= 0);
  let ox0 = max(0, (PL - fx + S - 1) / S);
  let nx = W - 1 + PL - fx;
  let ox1 = select(0, min(OW, nx / S + 1), nx >= 0);
  for (var b = 0; b < B; b++) {
    for (var oy = oy0; oy < oy1; oy++) {
      let iy = oy * S + fy - PT;
      for (var ox = ox0; ox < ox1; ox++) {
        let ixp = ox * S + fx - PL;
        ${body}
      }
    }
  }`;

// Where an invocation of a conv program is, from its flat `index` (NHWC layouts; the dual
// conv's Z has K2 = 2K channels a pixel). Shared so each program decodes it one way.

/** Output unit of Z [B, OH, OW, K2]: channel k2, pixel pix (flat b, oy, ox) and its b, oy, ox. */
export const dualOutputIndex = /* wgsl */ `
  let k2 = index % K2;
  let pix = index / K2;
  let ox = pix % OW;
  let oy = (pix / OW) % OH;
  let b = pix / (OW * OH);`;

/** Input element of X [B, H, W, C]: channel c at (b, iy, ixp). */
export const inputIndex = /* wgsl */ `
  let c = index % C;
  let ixp = (index / C) % W;
  let iy = (index / (C * W)) % H;
  let b = index / (C * W * H);`;

/** Kernel element of W [FH, FW, C, K]: (fy, fx, c, k). */
export const filterIndex = /* wgsl */ `
  let k = index % K;
  let c = (index / K) % C;
  let fx = (index / (K * C)) % FW;
  let fy = index / (K * C * FW);`;
