// Which Vulkan driver Node's WebGPU is pointed at: SwiftShader only where no GPU device is
// there and nobody chose a driver (VK_ICD_FILENAMES replaces the loader's own search, so on a
// GPU machine it would hide the real driver). Filesystems stubbed: each case by hand.
import { describe, expect, it } from 'vitest';
import { gpuDevicePresent, softwareVulkanDriver } from '../../../src/cli/nodeWebgpu';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const files = (...present: string[]) => (p: string) => present.includes(p);
const dir = (names: string[] | null) => (d: string) => {
  if (d !== '/dev/dri' || !names) throw Object.assign(new Error(`ENOENT: ${d}`), { code: 'ENOENT' });
  return names;
};

describe('Node WebGPU driver', () => {
  it('a GPU device is NVIDIA\'s control node or a DRM render node; a display-only card node is not', () => {
    expect(gpuDevicePresent(files('/dev/nvidiactl'), dir(null))).toBe(true);
    expect(gpuDevicePresent(files(), dir(['card0', 'renderD128']))).toBe(true);
    expect(gpuDevicePresent(files(), dir(['card0']))).toBe(false);
    expect(gpuDevicePresent(files(), dir(null))).toBe(false);
  });

  it('SwiftShader only without a GPU, without a chosen driver, and when Chromium ships it', () => {
    expect(softwareVulkanDriver({}, false, files(SWIFTSHADER))).toBe(SWIFTSHADER);
    expect(softwareVulkanDriver({}, true, files(SWIFTSHADER))).toBeUndefined();
    expect(softwareVulkanDriver({ VK_ICD_FILENAMES: '/etc/vulkan/icd.d/nvidia_icd.json' }, false, files(SWIFTSHADER))).toBeUndefined();
    expect(softwareVulkanDriver({}, false, files())).toBeUndefined();
  });
});
