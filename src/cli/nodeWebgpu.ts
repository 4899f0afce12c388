// Gives Node a WebGPU (Dawn, from the `webgpu` package) before tfjs' webgpu backend
// loads. With no GPU, Dawn needs a Vulkan driver: Debian's Chromium ships SwiftShader's.
// VK_ICD_FILENAMES replaces the Vulkan loader's own driver search, so it is pointed at
// SwiftShader only where no GPU with a Vulkan driver is there: on a GPU machine it would hide the real
// driver (the H100 run in docs/bench.md had to set it to NVIDIA's by hand).
import { existsSync, readdirSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Where Vulkan drivers describe themselves (the loader's search path on Linux). */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

/**
 * A GPU with a Vulkan driver for it: NVIDIA's control node and NVIDIA's driver file (a CUDA
 * container exposes the node without the Vulkan driver), or a DRM render node (AMD, Intel:
 * Mesa's drivers).
 */
export function gpuDevicePresent(exists: (path: string) => boolean = existsSync, list: (dir: string) => string[] = readdirSync): boolean {
  const names = (dir: string) => {
    try {
      return list(dir);
    } catch {
      return [];
    }
  };
  if (exists('/dev/nvidiactl') && ICD_DIRS.some((d) => names(d).some((n) => n.startsWith('nvidia')))) return true;
  return names('/dev/dri').some((name) => name.startsWith('renderD'));
}

/** The Vulkan driver file to point the loader at, or undefined to leave its own search alone. */
export function softwareVulkanDriver(env: { VK_ICD_FILENAMES?: string }, gpuPresent: boolean, exists: (path: string) => boolean = existsSync): string | undefined {
  if (env.VK_ICD_FILENAMES || gpuPresent || !exists(SWIFTSHADER_ICD)) return undefined;
  return SWIFTSHADER_ICD;
}

export async function installNodeWebGPU(): Promise<{ ok: boolean; reason?: string }> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return { ok: true };
  const software = softwareVulkanDriver(process.env, gpuDevicePresent());
  if (software) process.env.VK_ICD_FILENAMES = software;
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
