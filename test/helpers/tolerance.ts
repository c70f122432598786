/**
 * A principled error bound for float32 convolutions, scaling with the reduction size.
 *
 * Every output is a sum of K products (plus bias). With inputs exactly representable in float32, any
 * summation order in float32 (with or without fused multiply-add) satisfies the classic bound
 *     |y - y_exact| <= gamma_K * sum_k |w_k x_k|,     gamma_K = K u / (1 - K u),  u = 2^-24,
 * plus one rounding for the bias add and one for the final store. `absBound` is that sum of absolute
 * products, computed by the float64 reference on |input|, |weight| and |bias|. We use the worst case, so a
 * kernel that passes cannot be wrong by more than float32 arithmetic allows, in any order.
 */
import { expect } from 'vitest';
import type { Tensor } from '../../src/types.js';

const U = 2 ** -24;

export interface Expected {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function errorBound(reductionSize: number, absSum: number): number {
  const k = reductionSize + 2;
  const gamma = (k * U) / (1 - k * U);
  // The smallest normal float32 covers underflow of tiny products.
  return gamma * absSum + 2 ** -126;
}

/**
 * Asserts `actual` matches `expected` within the float32 bound; NaN exactly where expected is NaN and
 * infinities equal. Reports the first few offending indices.
 */
export function expectConvClose(actual: Tensor, expected: Expected, absBound: Float64Array, reductionSize: number): void {
  expect([...actual.shape]).toEqual([...expected.shape]);
  expect(actual.data.length).toBe(expected.data.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const a = actual.data[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else if (!Number.isFinite(absBound[i]!)) ok = !Number.isNaN(a) || Number.isNaN(absBound[i]!);
    else ok = Math.abs(a - e) <= errorBound(reductionSize, absBound[i]!) + Math.abs(e) * U;
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${a}, expected ${e} (bound ${errorBound(reductionSize, absBound[i] ?? 0)})`);
    if (!ok && bad.length >= 5) break;
  }
  expect(bad, `mismatches (first 5):\n${bad.join('\n')}`).toEqual([]);
}

/** Elementwise absolute value as a new tensor (inputs are never mutated). */
export function absTensor(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.map(Math.abs) };
}
