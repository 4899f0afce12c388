// A GPU emulated on the CPU, known by the name its driver gives: such an adapter loses to the
// host backends by 10–100×, so the calibration races it against a deadline (backendChoice.ts).

/**
 * Renderer names of software GPUs: SwiftShader (Chromium's own), Mesa's llvmpipe and
 * softpipe, and Windows' WARP, which ANGLE names "Microsoft Basic Render Driver".
 */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render driver|\bwarp\b/i;

/** Whether a WebGL renderer string (or a WebGPU adapter's description) names a software GPU. */
export function isSoftwareRenderer(name: string): boolean {
  return SOFTWARE_RENDERER.test(name);
}
