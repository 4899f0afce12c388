// Seeded PRNG (splitmix32): reproducible streams for data generation and augmentation.

/**
 * Uniform draws use only 32-bit integer arithmetic (Math.imul, shifts), so `next()`,
 * `int()` and `uniform()` give bit-identical sequences on every JS engine and
 * platform. `normal()` goes through Math.log/cos, which engines may round
 * differently in the last ulp; use it where that does not matter.
 */
export class Rng {
  /** The seed this stream started from (after mixing), used by `fork`. */
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    // Fold non-integer or >32-bit seeds into 32 bits so any number is a valid seed.
    this.seed = mix32(Math.floor(seed) ^ Math.floor(seed / 4294967296)) >>> 0;
    this.state = this.seed;
  }

  /** Next raw 32-bit unsigned integer (splitmix32). */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller; one draw per call keeps the stream simple). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1], so log is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /**
   * An independent stream named by `label`. It depends only on this stream's seed and
   * the label, not on how many draws were made, so adding draws in one place never
   * shifts another stream.
   */
  fork(label: string | number): Rng {
    return new Rng(mix32(this.seed ^ hashLabel(String(label))) >>> 0);
  }
}

/** Convenience: `rng(seed)` instead of `new Rng(seed)`. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}

/** Murmur3-style finaliser: a bijection on 32 bits with good avalanche. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return z ^ (z >>> 16);
}

/** FNV-1a over UTF-16 code units, then mixed. */
function hashLabel(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}
