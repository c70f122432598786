/**
 * Float64 reference for a chain of convolutions and its float32 error bound, for the composite ops.
 *
 * The bound composes. Let y_i be the exact float64 result of stage i on the exact y_{i-1} (y_0 = x), and
 * ŷ_i what float32 arithmetic produces from ŷ_{i-1}. Then with |ŷ_{i-1}| <= m_{i-1} := |y_{i-1}| + e_{i-1}:
 *   |ŷ_i - y_i| <= |fl(f_i(ŷ_{i-1})) - f_i(ŷ_{i-1})| + |f_i(ŷ_{i-1}) - f_i(y_{i-1})|
 *              <= gamma_{K_i+2} * conv_i(m_{i-1}; |w_i|, |b_i|)       (this stage's rounding, tolerance.ts)
 *               + conv_i(e_{i-1}; |w_i|, no bias)                       (the earlier error through |w_i|)
 *   =: e_i,
 * because conv_i is linear in its input with weights w_i, and the activations (clamps) are 1-Lipschitz.
 * Every conv_i on absolute values is the float64 reference with the stage's own padding mode (padding
 * copies or zeros elements, so the bound is padded alike).
 */
import { expect } from 'vitest';
import { convForward } from '../../src/reference.js';
import { type ConvOp, resolveConvGeometry, resolveConvParams } from '../../src/shape.js';
import type { ConvOptions, Tensor } from '../../src/types.js';
import { absTensor, errorBound } from './tolerance.js';

export interface Stage {
  readonly op: ConvOp;
  readonly weight: Tensor;
  readonly bias?: Tensor | null;
  readonly options?: ConvOptions;
}

export interface Tensor64 {
  readonly shape: number[];
  readonly data: Float64Array;
}

/** One stage in float64 on a float64 input. */
export function stage64(s: Stage, x: Tensor64, abs = false, withBias = true): Tensor64 {
  const weight = abs ? absTensor(s.weight) : s.weight;
  const bias = withBias && s.bias ? (abs ? absTensor(s.bias) : s.bias) : null;
  const options = abs ? { ...s.options, activation: 'none' as const } : s.options;
  const p = resolveConvParams(s.op, weight, bias, options);
  const out = convForward(resolveConvGeometry(p, x.shape), x.data);
  return { shape: out.shape, data: out.data };
}

export function reductionSize(s: Stage): number {
  return s.weight.shape.slice(1).reduce((a, b) => a * b, 1);
}

export function to64(t: Tensor): Tensor64 {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}

/** The exact chain result and the composed float32 error bound per element. */
export function chainReference(stages: readonly Stage[], input: Tensor): { expected: Tensor64; bound: Float64Array } {
  let y = to64(input);
  let e: Tensor64 = { shape: y.shape, data: new Float64Array(y.data.length) };
  for (const s of stages) {
    const m: Tensor64 = { shape: y.shape, data: y.data.map((v, i) => Math.abs(v) + e.data[i]!) };
    const own = stage64(s, m, true, true);
    const carried = stage64(s, e, true, false);
    const k = reductionSize(s);
    const next = own.data.map((a, i) => errorBound(k, a) + carried.data[i]!);
    y = stage64(s, y);
    e = { shape: y.shape, data: next };
  }
  return { expected: y, bound: e.data };
}

/** |actual - expected| <= bound elementwise (finite values), with the first offenders in the message. */
export function expectWithin(actual: Tensor, expected: Tensor64, bound: Float64Array): void {
  expect([...actual.shape]).toEqual([...expected.shape]);
  const bad: string[] = [];
  for (let i = 0; i < expected.data.length && bad.length < 5; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (!(Math.abs(a - e) <= bound[i]!)) bad.push(`[${i}] got ${a}, expected ${e} (bound ${bound[i]})`);
  }
  expect(bad, `mismatches (first 5):\n${bad.join('\n')}`).toEqual([]);
}

/** Deterministic pseudo-random float32 tensor in [-1, 1) (mulberry32). */
export function randomTensor(shape: readonly number[], seed: number): Tensor {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = next() * 2 - 1;
  return { data, shape: [...shape] };
}
