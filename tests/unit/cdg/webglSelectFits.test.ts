// The WebGL radix select keeps its counts in float texels, exact to 2^24: above that the
// tf-op path ranks the gate (found by a WebGL hunt: k could open one unit too many).
import { describe, expect, it } from 'vitest';
import { webglSelectAvailable, webglSelectFits } from '../../../src/engine/kernels/webglSelect';

describe('the WebGL select takes only what its float counts hold', () => {
  it('up to 2^24 values, not one more; and never off WebGL', () => {
    expect(webglSelectFits(2 ** 24)).toBe(true);
    expect(webglSelectFits(2 ** 24 + 1)).toBe(false);
    // 2^24 + 1 is the first integer a float32 cannot hold.
    expect(Math.fround(2 ** 24 + 1)).not.toBe(2 ** 24 + 1);
    expect(webglSelectAvailable(10)).toBe(false); // Node: no WebGL
  });
});
