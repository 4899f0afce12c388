// Which Vulkan driver Node's WebGPU is pointed at: SwiftShader only where no GPU device is
// there and nobody chose a driver (VK_ICD_FILENAMES replaces the loader's own search, so on a
// GPU machine it would hide the real driver). Filesystems stubbed: each case by hand.
import { describe, expect, it } from 'vitest';
import { gpuDevicePresent, softwareVulkanDriver } from '../../../src/cli/nodeWebgpu';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const files = (...present: string[]) => (p: string) => present.includes(p);
/** A stubbed readdir: `dirs` maps a folder to its entries; any other folder does not exist. */
const dir = (dirs: Record<string, string[]>) => (d: string) => {
  if (!dirs[d]) throw Object.assign(new Error(`ENOENT: ${d}`), { code: 'ENOENT' });
  return dirs[d];
};

describe('Node WebGPU driver', () => {
  it('a GPU is NVIDIA\'s control node with NVIDIA\'s Vulkan driver, or a DRM render node; a display-only card node is not', () => {
    expect(gpuDevicePresent(files('/dev/nvidiactl'), dir({ '/usr/share/vulkan/icd.d': ['nvidia_icd.json'] }))).toBe(true);
    expect(gpuDevicePresent(files('/dev/nvidiactl'), dir({ '/etc/vulkan/icd.d': ['nvidia_icd.json'] }))).toBe(true);
    // A CUDA container: the node, but no NVIDIA Vulkan driver (Mesa's software ones do not count).
    expect(gpuDevicePresent(files('/dev/nvidiactl'), dir({ '/usr/share/vulkan/icd.d': ['lvp_icd.x86_64.json', 'intel_icd.x86_64.json'] }))).toBe(false);
    expect(gpuDevicePresent(files(), dir({ '/dev/dri': ['card0', 'renderD128'] }))).toBe(true);
    expect(gpuDevicePresent(files(), dir({ '/dev/dri': ['card0'] }))).toBe(false);
    // This machine's case: Mesa's driver files, no device.
    expect(gpuDevicePresent(files(), dir({ '/usr/share/vulkan/icd.d': ['lvp_icd.x86_64.json'] }))).toBe(false);
  });

  it('SwiftShader only without a GPU, without a chosen driver, and when Chromium ships it', () => {
    expect(softwareVulkanDriver({}, false, files(SWIFTSHADER))).toBe(SWIFTSHADER);
    expect(softwareVulkanDriver({}, true, files(SWIFTSHADER))).toBeUndefined();
    expect(softwareVulkanDriver({ VK_ICD_FILENAMES: '/etc/vulkan/icd.d/nvidia_icd.json' }, false, files(SWIFTSHADER))).toBeUndefined();
    expect(softwareVulkanDriver({}, false, files())).toBeUndefined();
  });
});
