/** Reproducible test data: every tensor comes from one integer seed. */
import type { Tensor } from '../../src/types.js';

/** mulberry32: a tiny seeded PRNG with values in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 tensor of `shape` with values uniform in [lo, hi). */
export function randomTensor(shape: readonly number[], next: () => number, lo = -1, hi = 1): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + next() * (hi - lo);
  return { data, shape: [...shape] };
}
