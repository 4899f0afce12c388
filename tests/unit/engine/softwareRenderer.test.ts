import { describe, expect, it } from 'vitest';
import { isSoftwareRenderer } from '../../../src/engine/softwareRenderer';

// Renderer strings as browsers report them (UNMASKED_RENDERER_WEBGL, or a WebGPU adapter's
// description): the software ones are GPUs emulated on the CPU.
describe('isSoftwareRenderer', () => {
  it.each([
    'WebGL ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
    'WebGL ANGLE (Mesa, llvmpipe (LLVM 15.0.6, 256 bits), OpenGL 4.5)',
    'WebGL softpipe',
    'WebGL ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'Microsoft Basic Render Driver',
    'WARP',
  ])('names a software GPU: %s', (name) => {
    expect(isSoftwareRenderer(name)).toBe(true);
  });

  it.each([
    'WebGL ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002503) Direct3D11 vs_5_0 ps_5_0, D3D11)',
    'WebGL ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)',
    'WebGL ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)',
    'WebGL AMD Radeon Pro 5500M OpenGL Engine',
    'WebGL',
    '',
  ])('does not name a hardware GPU: %s', (name) => {
    expect(isSoftwareRenderer(name)).toBe(false);
  });
});
