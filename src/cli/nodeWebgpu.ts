// Gives Node a WebGPU (Dawn, from the `webgpu` package) before tfjs' webgpu backend
// loads. With no GPU, Dawn needs a Vulkan driver: Debian's Chromium ships SwiftShader's,
// used when VK_ICD_FILENAMES is unset and that file exists (a real GPU driver wins if set).
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function installNodeWebGPU(): Promise<{ ok: boolean; reason?: string }> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return { ok: true };
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Silences a harmless Vulkan loader complaint on headless machines.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]);
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, writable: true, configurable: true });
    Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true });
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `the webgpu package could not load: ${(e as Error).message}` };
  }
}
