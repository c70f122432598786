/**
 * One output column runs as a matrix-vector product on the packed weights (assembly/gemv.ts): a 1x1
 * convolution on a 1x1 map (squeeze-excite, a linear layer at batch 1), a pixel range ending in one pixel, a
 * channels-last row of one pixel. Against the float64 reference within the default bound: reductions of odd and
 * even length (the kernel pairs steps), every panel remainder of 6- and 4-row panels and of 8-column ones, both
 * layouts, bias and activations, NaN and infinities.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { ConvOptions, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

function check(ctx: sc.Context, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions): sc.PlanInfo {
  const plan = sc.createConv2d(w, b, options, ctx);
  const y = plan.run(x);
  const { activation: _, ...linear } = options;
  const bound = referenceConv('conv2d', absTensor(x), absTensor(w), b && absTensor(b), linear);
  expectConvClose(y, referenceConv('conv2d', x, w, b, options), bound.data, w.data.length / w.shape[0]!);
  const info = plan.info;
  plan.dispose();
  return info;
}

describe.each(['simd128', 'relaxed'] as const)('one-column products on %s', (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
  });

  it('1x1 convolutions on a 1x1 map: every output-channel remainder, odd and even reductions, both layouts', () => {
    const next = rng(51);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      for (const cin of [8, 9, 47, 48, 1152]) {
        for (const cout of [1, 4, 5, 6, 7, 11, 13, 36, 37, 48]) {
          const x = randomTensor(layout === 'channels-last' ? [2, 1, 1, cin] : [2, cin, 1, 1], next);
          const w = randomTensor([cout, cin, 1, 1], next);
          const b = randomTensor([cout], next);
          const info = check(ctx, x, w, b, { layout, activation: cout % 2 ? 'relu' : 'none' });
          expect(info.path).toBe(layout === 'channels-last' ? 'gemm-1x1' : 'gemm-direct');
        }
      }
    }
  });

  it('rows ending in one pixel (widths 1, 9, 17) with 3x3 kernels, and strided 1x1 outputs', () => {
    const next = rng(52);
    for (const width of [1, 9, 17]) {
      const x = randomTensor([1, 12, 5, width + 2], next);
      const w = randomTensor([13, 12, 3, 3], next);
      check(ctx, x, w, randomTensor([13], next), { activation: 'relu6' });
    }
    // A 7x7 map to one output pixel by stride 7 (the column is gathered through the tap table).
    check(ctx, randomTensor([1, 40, 7, 7], next), randomTensor([9, 40, 1, 1], next), null, { stride: 7 });
  });

  it('NaN and infinities reach only the outputs whose sums hold them', () => {
    const next = rng(53);
    const x = randomTensor([1, 33, 1, 1], next);
    x.data[4] = NaN;
    const w = randomTensor([7, 33, 1, 1], next);
    check(ctx, x, w, null, {});
    const y = randomTensor([1, 33, 1, 1], next);
    y.data[30] = Infinity;
    check(ctx, y, w, null, {});
    const xl = randomTensor([1, 1, 1, 33], next);
    xl.data[32] = -Infinity;
    check(ctx, xl, w, null, { layout: 'channels-last' });
  });
});
