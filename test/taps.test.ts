/**
 * The default path's tap split (src/backends/wasm/taps-conv-plan.ts): where most kernel taps of most outputs
 * read only zero padding (large dilation on a small image, DeepLab's ASPP), a convolution runs as one GEMM per
 * tap over that tap's box of outputs. It is exact like the other default paths: within the float32 bound of
 * the K-term sum against the float64 reference, NaN and infinities as PyTorch gives them, non-finite weights
 * through the reference, every rank, stride, batch, bias and activation, one and two threads, both builds.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { ConvOptions, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x7a95_0c11 });

type Op = 'conv1d' | 'conv2d' | 'conv3d';

interface TapCase {
  rank: 1 | 2 | 3;
  cin: number;
  cout: number;
  size: number[];
  kernel: number[];
  dilation: number[];
  /** Padding per axis: at least the dilation, so whole taps fall into it. */
  padding: number[];
  stride: number[];
  batch: number;
  bias: boolean;
  activation: 'none' | 'relu' | 'relu6';
  seed: number;
}

const caseArb: fc.Arbitrary<TapCase> = fc
  .integer({ min: 1, max: 3 })
  .chain((rank) =>
    fc.record({
      rank: fc.constant(rank as 1 | 2 | 3),
      cin: fc.integer({ min: 32, max: 48 }),
      cout: fc.integer({ min: 1, max: 14 }),
      size: fc.array(fc.integer({ min: 1, max: rank === 3 ? 6 : 13 }), { minLength: rank, maxLength: rank }),
      kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: rank, maxLength: rank }),
      dilation: fc.array(fc.integer({ min: 2, max: 9 }), { minLength: rank, maxLength: rank }),
      padding: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: rank, maxLength: rank }),
      stride: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: rank, maxLength: rank }),
      batch: fc.integer({ min: 1, max: 2 }),
      bias: fc.boolean(),
      activation: fc.constantFrom('none' as const, 'relu' as const, 'relu6' as const),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    }),
  )
  // Padding at least the dilation (extra 0..3): the tap split's precondition; the kernel must fit.
  .map((c) => ({ ...c, padding: c.padding.map((extra, a) => c.dilation[a]! + extra) }))
  .filter((c) => c.size.every((n, a) => n + 2 * c.padding[a]! >= c.dilation[a]! * (c.kernel[a]! - 1) + 1) && c.kernel.some((k) => k > 1));

const opOf = (rank: number): Op => (['conv1d', 'conv2d', 'conv3d'] as const)[rank - 1]!;

function tensorsOf(c: TapCase): { x: Tensor; w: Tensor; b: Tensor | null; options: ConvOptions } {
  const next = rng(c.seed);
  return {
    x: randomTensor([c.batch, c.cin, ...c.size], next),
    w: randomTensor([c.cout, c.cin, ...c.kernel], next),
    b: c.bias ? randomTensor([c.cout], next) : null,
    options: { stride: c.stride, padding: c.padding, dilation: c.dilation, activation: c.activation },
  };
}

function planOf(op: Op, w: Tensor, b: Tensor | null, options: ConvOptions, ctx: sc.Context): sc.ConvPlan {
  return op === 'conv1d' ? sc.createConv1d(w, b, options, ctx) : op === 'conv2d' ? sc.createConv2d(w, b, options, ctx) : sc.createConv3d(w, b, options, ctx);
}

function expectExact(op: Op, y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions): void {
  const bound = referenceConv(op, absTensor(x), absTensor(w), b && absTensor(b), options);
  expectConvClose(y, referenceConv(op, x, w, b, options), bound.data, w.data.length / w.shape[0]!);
}

describe.each(['simd128', 'relaxed'] as const)('tap split on %s', (build) => {
  let ctx: sc.Context;
  let ctx2: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
    ctx2 = await sc.createContext({ build, threads: 2 });
  });
  afterAll(() => ctx2.dispose());

  it('matches the reference within the default bound (ranks 1-3, strides, batch, bias, activations), whichever path the shape takes', () => {
    let split = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { x, w, b, options } = tensorsOf(c);
        const op = opOf(c.rank);
        const plan = planOf(op, w, b, options, ctx);
        const y = plan.run(x);
        if (plan.info.path === 'gemm-taps') split++;
        expectExact(op, y, x, w, b, options);
        plan.dispose();
      }),
      { numRuns: 60 },
    );
    // Most drawn cases read padding with most of their taps: the split must have run on them.
    expect(split).toBeGreaterThan(20);
  });

  it("DeepLab's ASPP shape (dilation 12, 24 and 36 on 28x28) takes the split, on one and two threads", () => {
    const next = rng(21);
    const x = randomTensor([1, 64, 28, 28], next);
    const w = randomTensor([16, 64, 3, 3], next);
    const b = randomTensor([16], next);
    for (const d of [12, 24, 36]) {
      const options: ConvOptions = { padding: d, dilation: d, activation: 'relu' };
      for (const context of [ctx, ctx2]) {
        const plan = sc.createConv2d(w, b, options, context);
        const y = plan.run(x);
        expect(plan.info.path).toBe('gemm-taps');
        // At dilation 36 on 28 only the centre tap reads the input; at 24 and 12, all nine somewhere.
        expect(plan.info.flags.taps).toBe(d === 36 ? 1 : 9);
        expectExact('conv2d', y, x, w, b, options);
        plan.dispose();
      }
    }
  });

  it('chooses per input shape: the same plan takes the GEMM path where most taps read the input', () => {
    const next = rng(22);
    const w = randomTensor([8, 32, 3, 3], next);
    const options: ConvOptions = { padding: 6, dilation: 6 };
    const plan = sc.createConv2d(w, null, options, ctx);
    const paths = [];
    for (const size of [9, 64, 9]) {
      const x = randomTensor([1, 32, size, size], next);
      const y = plan.run(x);
      paths.push(plan.info.path);
      expectExact('conv2d', y, x, w, null, options);
    }
    expect(paths).toEqual(['gemm-taps', 'gemm-direct', 'gemm-taps']);
    plan.dispose();
  });

  it('an output no tap reaches holds the bias (after the activation)', () => {
    // Stride 10 on a 1-wide input padded by 5, dilation 2: the one output's taps read -5, -3 and -1.
    const next = rng(23);
    const x = randomTensor([1, 32, 1, 1], next);
    const w = randomTensor([5, 32, 3, 3], next);
    const b = { data: Float32Array.from([-2, -0.5, 0, 0.5, 7]), shape: [5] };
    const options: ConvOptions = { stride: 10, padding: 5, dilation: 2, activation: 'relu6' };
    const plan = sc.createConv2d(w, b, options, ctx);
    const y = plan.run(x);
    expect(plan.info).toMatchObject({ path: 'gemm-taps', flags: { taps: 0 } });
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0.5, 6]);
    plan.dispose();
  });

  it('propagates NaN and infinities from the input, and runs non-finite weights through the reference', () => {
    const next = rng(24);
    const x = randomTensor([1, 32, 7, 7], next);
    x.data[3 * 49 + 10] = NaN;
    x.data[5 * 49 + 30] = Infinity;
    const w = randomTensor([6, 32, 3, 3], next);
    const options: ConvOptions = { padding: 5, dilation: 5 };
    const plan = sc.createConv2d(w, null, options, ctx);
    expectExact('conv2d', plan.run(x), x, w, null, options);
    expect(plan.info.path).toBe('gemm-taps');
    // An infinite weight times the zero padding is NaN in every output of its channel, as PyTorch gives.
    const wInf = { ...w, data: w.data.slice() };
    wInf.data[2 * 288] = Infinity; // output channel 2, input channel 0, the corner tap
    const clean = randomTensor([1, 32, 7, 7], next);
    const planInf = sc.createConv2d(wInf, null, options, ctx);
    const y = planInf.run(clean);
    expectExact('conv2d', y, clean, wInf, null, options);
    expect(y.data.slice(2 * 49, 3 * 49).some(Number.isNaN)).toBe(true);
    plan.dispose();
    planInf.dispose();
  });

  it('packs the weights as they were when the plan was made, whenever a shape first picks a path', () => {
    const next = rng(26);
    const w = randomTensor([6, 32, 3, 3], next);
    const kept = { data: w.data.slice(), shape: w.shape };
    const options: ConvOptions = { padding: 4, dilation: 4 };
    const plan = sc.createConv2d(w, null, options, ctx);
    w.data.fill(0);
    for (const size of [5, 40]) {
      const x = randomTensor([1, 32, size, size], next);
      expectExact('conv2d', plan.run(x), x, kept, null, options);
    }
    plan.dispose();
  });

  it('runs on resident tensors as a plan does', () => {
    const next = rng(25);
    const x = randomTensor([2, 32, 10, 10], next);
    const w = randomTensor([9, 32, 3, 3], next);
    const options: ConvOptions = { padding: 8, dilation: 8 };
    const plan = sc.createConv2d(w, null, options, ctx);
    const input = ctx.tensor(x.shape, x.data);
    const y = plan.run(input);
    expect(plan.info.path).toBe('gemm-taps');
    expect(Array.from(plan.run(x).data)).toEqual(Array.from(y.data));
    input.dispose();
    plan.dispose();
  });
});
