/**
 * convTranspose1d / 2d / 3d: property tests against the float64 reference (src/reference.ts) over every option
 * (rank, batch, odd sizes, stride, padding, outputPadding < stride or < dilation, dilation, groups incl.
 * depthwise and channel multipliers, outputSize, both layouts, activations, bias or not) on the SIMD128 and
 * relaxed wasm builds and the js backend; deterministic sweeps over the microkernels' tile remainders and
 * their blocking; non-finite inputs; and the typed errors of bad transposed arguments.
 *
 * Results must agree within the float32 bound of test/helpers/tolerance.ts, computed from the reference on
 * |x|, |w|, |b| without the activation (clamps are 1-Lipschitz). For a transposed convolution an output sums
 * at most (Cin/groups) * prod(kernel) products.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConvTranspose } from '../src/reference.js';
import type { ConvTransposeOp } from '../src/shape.js';
import type { Activation, ConvTransposeOptions, Layout, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x7a5c_0417, endOnFailure: true });

type PlanOptions = Omit<ConvTransposeOptions, 'out'>;

const OPS: Record<1 | 2 | 3, ConvTransposeOp> = { 1: 'convTranspose1d', 2: 'convTranspose2d', 3: 'convTranspose3d' };
const CREATE = { convTranspose1d: sc.createConvTranspose1d, convTranspose2d: sc.createConvTranspose2d, convTranspose3d: sc.createConvTranspose3d };

interface Case {
  readonly op: ConvTransposeOp;
  readonly input: Tensor;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: PlanOptions;
}

function reductionSize(c: Case): number {
  const [cin, , ...kernel] = c.weight.shape as [number, number, ...number[]];
  return kernel.reduce((a, b) => a * b, cin / (c.options.groups ?? 1));
}

/** Checks `actual` against the reference: values within the float32 bound, NaN / Inf exactly. */
function expectMatchesReference(c: Case, actual: Tensor): void {
  const expected = referenceConvTranspose(c.op, c.input, c.weight, c.bias, c.options);
  const { activation: _, ...linear } = c.options;
  const bound = referenceConvTranspose(c.op, absTensor(c.input), absTensor(c.weight), c.bias && absTensor(c.bias), linear).data;
  expectConvClose(actual, expected, bound, reductionSize(c));
}

interface Raw {
  rank: 1 | 2 | 3;
  channels: { groups: number; cinG: number; coutG: number };
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: number[];
  outPadSeed: number[];
  outputSizeSeed: number[] | null;
  size: number[];
  batch: number | null;
  layout: Layout | undefined;
  activation: Activation | undefined;
  hasBias: boolean;
  perAxisArgs: boolean;
  seed: number;
}

const activationArb = fc.constantFrom<Activation | undefined>(undefined, 'none', 'relu', 'relu6', { min: -0.3, max: 0.4 }, { max: 0.1 });

function rawArb(rank: 1 | 2 | 3): fc.Arbitrary<Raw> {
  const axes = <T>(arb: fc.Arbitrary<T>) => fc.tuple(...new Array(rank).fill(0).map(() => arb)) as fc.Arbitrary<T[]>;
  const maxSize = [13, 9, 6][rank - 1]!;
  const maxK = [5, 4, 3][rank - 1]!;
  return fc.record({
    rank: fc.constant(rank),
    channels: fc.oneof(
      fc.record({ groups: fc.constant(1), cinG: fc.integer({ min: 1, max: 7 }), coutG: fc.integer({ min: 1, max: 13 }) }),
      fc.record({ groups: fc.integer({ min: 2, max: 3 }), cinG: fc.integer({ min: 1, max: 3 }), coutG: fc.integer({ min: 1, max: 9 }) }),
      // Depthwise, with and without a channel multiplier.
      fc.record({ groups: fc.integer({ min: 1, max: 6 }), cinG: fc.constant(1), coutG: fc.integer({ min: 1, max: 3 }) }),
    ),
    kernel: axes(fc.integer({ min: 1, max: maxK })),
    stride: axes(fc.integer({ min: 1, max: 3 })),
    dilation: axes(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 }))),
    padding: axes(fc.integer({ min: 0, max: 3 })),
    outPadSeed: axes(fc.nat(8)),
    outputSizeSeed: fc.option(axes(fc.nat(8)), { freq: 4 }),
    size: axes(fc.integer({ min: 1, max: maxSize })),
    batch: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 5 }),
    layout: fc.constantFrom<Layout | undefined>(undefined, 'channels-first', 'channels-last'),
    activation: activationArb,
    hasBias: fc.boolean(),
    perAxisArgs: fc.boolean(),
    seed: fc.nat(),
  });
}

/** A valid case from a raw draw: padding small enough for a non-empty output, outputPadding / outputSize in range. */
function buildCase(r: Raw): Case {
  const { rank, kernel, stride, dilation, size } = r;
  const { groups, cinG, coutG } = r.channels;
  const cin = groups * cinG;
  // (n-1)*s - 2p + d*(k-1) + 1 >= 1.
  const padding = r.padding.map((p, i) => Math.min(p, Math.floor(((size[i]! - 1) * stride[i]! + dilation[i]! * (kernel[i]! - 1)) / 2)));
  const outputPadding = r.outPadSeed.map((v, i) => v % Math.max(stride[i]!, dilation[i]!));
  const minSize = size.map((n, i) => (n - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + 1);
  const next = rng(r.seed);
  const spatialIn = size;
  const inputShape =
    r.layout === 'channels-last' ? [...(r.batch === null ? [] : [r.batch]), ...spatialIn, cin] : [...(r.batch === null ? [] : [r.batch]), cin, ...spatialIn];
  const perAxis = (v: number[]) => (r.perAxisArgs || v.some((x) => x !== v[0]) ? v : v[0]!);
  const options: PlanOptions = {
    stride: perAxis(stride),
    padding: perAxis(padding),
    dilation: perAxis(dilation),
    ...(outputPadding.some((v) => v > 0) ? { outputPadding: perAxis(outputPadding) } : {}),
    ...(r.outputSizeSeed ? { outputSize: r.outputSizeSeed.map((v, i) => minSize[i]! + (v % stride[i]!)) } : {}),
    ...(groups > 1 ? { groups } : {}),
    ...(r.layout ? { layout: r.layout } : {}),
    ...(r.activation !== undefined ? { activation: r.activation } : {}),
  };
  return {
    op: OPS[rank],
    input: randomTensor(inputShape, next),
    weight: randomTensor([cin, coutG, ...kernel], next),
    bias: r.hasBias ? randomTensor([groups * coutG], next) : null,
    options,
  };
}

const caseArb = fc.oneof(rawArb(1), rawArb(2), rawArb(3)).map(buildCase);

const contexts: Array<[string, () => sc.Context]> = [];
let simd128: sc.Context;
let relaxed: sc.Context;
let js: sc.Context;

beforeAll(async () => {
  simd128 = await sc.createContext({ backend: 'wasm', build: 'simd128' });
  relaxed = await sc.createContext({ backend: 'wasm', build: 'relaxed' });
  js = await sc.createContext({ backend: 'js' });
  await sc.init({ backend: 'wasm' });
});
contexts.push(['wasm simd128', () => simd128], ['wasm relaxed', () => relaxed], ['js', () => js]);

function runPlan(c: Case, context: sc.Context): Tensor {
  const plan = CREATE[c.op](c.weight, c.bias, c.options, context);
  try {
    expect(plan.outputShape(c.input.shape)).toEqual(referenceConvTranspose(c.op, c.input, c.weight, c.bias, c.options).shape);
    return plan.run(c.input);
  } finally {
    plan.dispose();
  }
}

describe.each(contexts)('convTranspose on %s matches the float64 reference', (name, context) => {
  it('random parameters (rank 1-3, groups, stride, dilation, padding, outputPadding, outputSize, layouts)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expectMatchesReference(c, runPlan(c, context()));
      }),
      { numRuns: name === 'js' ? 60 : 200 },
    );
  });

  it('wasm plans report the transposed kernel', () => {
    const c = buildCase({
      rank: 2,
      channels: { groups: 1, cinG: 3, coutG: 5 },
      kernel: [3, 3],
      stride: [2, 2],
      dilation: [1, 1],
      padding: [1, 1],
      outPadSeed: [1, 0],
      outputSizeSeed: null,
      size: [5, 6],
      batch: 2,
      layout: undefined,
      activation: undefined,
      hasBias: true,
      perAxisArgs: false,
      seed: 1,
    });
    const plan = CREATE[c.op](c.weight, c.bias, c.options, context());
    const y = plan.run(c.input);
    expect(plan.info).toMatchObject(name === 'js' ? { path: 'reference', name: 'reference-transposed-f64' } : { path: 'transposed', layout: 'channels-first' });
    expect(plan.info.backend).toBe(name === 'js' ? 'js' : 'wasm');
    expectMatchesReference(c, y);
    plan.dispose();
  });
});

describe('convTranspose wasm kernels: tiles, blocks and plan reuse', () => {
  const builds = () => [simd128, relaxed];

  it('every output-channel and phase-row remainder, both layouts', () => {
    // Cout/groups 1..13 crosses the 4-channel (channels-first) and 8-channel (channels-last) panels; output
    // widths 1..19 across strides 1..3 cross the 8-pixel rows and the 4-pixel blocks.
    let seed = 11;
    for (const ctx of builds())
      for (const layout of ['channels-first', 'channels-last'] as const)
        for (let coutG = 1; coutG <= 13; coutG += 3)
          for (let width = 1; width <= 19; width += 2)
            for (const stride of [1, 2, 3]) {
              const next = rng(seed++);
              const cin = 3;
              const input = randomTensor(layout === 'channels-first' ? [2, cin, 3, width] : [2, 3, width, cin], next);
              const c: Case = {
                op: 'convTranspose2d',
                input,
                weight: randomTensor([cin, coutG, 3, 2], next),
                bias: randomTensor([coutG], next),
                options: { stride, padding: [1, 0], layout, activation: 'relu6' },
              };
              expectMatchesReference(c, runPlan(c, ctx));
            }
  });

  it('panel heights by build: 6-row panels on the relaxed build, 4-row on SIMD128 (every last-panel remainder)', () => {
    // tile-policy.ts rowsPerTile: 31 and 36-39 channels end 4-row panels in 3, 4, 1, 2, 3 rows and 6-row ones in
    // 1, 6, 1, 2, 3.
    let seed = 71;
    for (const ctx of builds())
      for (const coutG of [31, 36, 37, 38, 39]) {
        const next = rng(seed++);
        const c: Case = {
          op: 'convTranspose2d',
          input: randomTensor([1, 5, 4, 11], next),
          weight: randomTensor([5, coutG, 4, 4], next),
          bias: randomTensor([coutG], next),
          options: { stride: 2, padding: 1 },
        };
        const plan = CREATE[c.op](c.weight, c.bias, c.options, ctx);
        expectMatchesReference(c, plan.run(c.input));
        expect(plan.info).toMatchObject({ path: 'transposed', tile: `${ctx === simd128 ? 4 : 6}x8`, layout: 'channels-first' });
        plan.dispose();
      }
  });

  it('reductions spanning several pixel blocks, grouped and dense, both layouts', () => {
    // A block holds ~256 KiB of reduction x pixels: long 1-D rows give several blocks at a small cost.
    let seed = 99;
    for (const ctx of builds())
      for (const layout of ['channels-first', 'channels-last'] as const)
        for (const [groups, cin, cout, size] of [
          [1, 64, 6, 700],
          [2, 96, 10, 500],
        ] as const) {
          const next = rng(seed++);
          const input = randomTensor(layout === 'channels-first' ? [1, cin, size] : [1, size, cin], next);
          const c: Case = {
            op: 'convTranspose1d',
            input,
            weight: randomTensor([cin, cout / groups, 4], next),
            bias: randomTensor([cout], next),
            options: { stride: 2, padding: 1, groups, layout },
          };
          expectMatchesReference(c, runPlan(c, ctx));
        }
  });

  it('a plan reused across inputs and shapes, and writing into `out`', () => {
    for (const ctx of builds()) {
      const next = rng(5);
      const weight = randomTensor([4, 3, 3, 3, 2], next);
      const bias = randomTensor([3], next);
      const options: PlanOptions = { stride: [1, 2, 3], padding: [1, 0, 1], outputPadding: [0, 1, 2] };
      const plan = sc.createConvTranspose3d(weight, bias, options, ctx);
      for (const shape of [
        [1, 4, 3, 4, 5],
        [2, 4, 2, 5, 3],
        [1, 4, 3, 4, 5],
        [4, 3, 3, 3],
      ]) {
        const input = randomTensor(shape, next);
        const c: Case = { op: 'convTranspose3d', input, weight, bias, options };
        expectMatchesReference(c, plan.run(input));
        const out = { data: new Float32Array(plan.outputShape(shape).reduce((a, b) => a * b, 1)).fill(NaN), shape: plan.outputShape(shape) };
        expect(plan.run(input, out)).toBe(out);
        expectMatchesReference(c, out);
      }
      plan.dispose();
      plan.dispose();
      expect(() => plan.run(randomTensor([1, 4, 3, 4, 5], next))).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    }
  });

  it('NaN and +-Inf in the input propagate as in the reference', () => {
    for (const ctx of [...builds(), js])
      for (const layout of ['channels-first', 'channels-last'] as const) {
        const next = rng(17);
        const input = randomTensor(layout === 'channels-first' ? [1, 3, 6, 7] : [1, 6, 7, 3], next);
        input.data[4] = NaN;
        input.data[20] = Infinity;
        input.data[33] = -Infinity;
        input.data[50] = Infinity;
        const c: Case = {
          op: 'convTranspose2d',
          input,
          weight: randomTensor([3, 5, 3, 3], next),
          bias: randomTensor([5], next),
          options: { stride: 2, padding: 1, outputPadding: 1, layout, activation: { min: -2, max: 2 } },
        };
        expectMatchesReference(c, runPlan(c, ctx));
      }
  });

  it('the one-shot functions on the default context, with `out`', () => {
    const next = rng(23);
    const w1 = randomTensor([3, 2, 4], next);
    const x1 = randomTensor([2, 3, 9], next);
    const c1: Case = { op: 'convTranspose1d', input: x1, weight: w1, bias: null, options: { stride: 3, padding: 1, outputPadding: 2 } };
    expectMatchesReference(c1, sc.convTranspose1d(x1, w1, null, c1.options));
    const w2 = randomTensor([4, 2, 3, 3], next);
    const x2 = randomTensor([4, 5, 5], next);
    const c2: Case = { op: 'convTranspose2d', input: x2, weight: w2, bias: null, options: { stride: 2, groups: 2, outputSize: [12, 11] } };
    const out = { data: new Float32Array(4 * 12 * 11), shape: [4, 12, 11] };
    expect(sc.convTranspose2d(x2, w2, null, { ...c2.options, out })).toBe(out);
    expectMatchesReference(c2, out);
    const w3 = randomTensor([2, 2, 2, 2, 2], next);
    const x3 = randomTensor([1, 3, 3, 3, 2], next);
    const c3: Case = {
      op: 'convTranspose3d',
      input: x3,
      weight: w3,
      bias: randomTensor([2], next),
      options: { stride: 2, dilation: 2, layout: 'channels-last' },
    };
    expectMatchesReference(c3, sc.convTranspose3d(x3, w3, c3.bias, c3.options));
  });
});

describe('convTranspose typed errors', () => {
  const w = () => randomTensor([4, 3, 3, 3], rng(3));
  const x = () => randomTensor([1, 4, 5, 5], rng(4));
  const code = (c: string) => expect.objectContaining({ name: 'SimdconvError', code: c });

  it('outputPadding must be smaller than the stride or the dilation', () => {
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, outputPadding: 2 })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, dilation: 3, outputPadding: [1, 3] })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.createConvTranspose1d(randomTensor([2, 2, 3], rng(1)), null, { outputPadding: 1 })).toThrow(code('INVALID_ARGUMENT'));
    // Smaller than the dilation alone is allowed (PyTorch's rule).
    expect(sc.convTranspose2d(x(), w(), null, { stride: 1, dilation: 2, outputPadding: 1 }).shape).toEqual([1, 3, 10, 10]);
  });

  it('outputSize out of range or malformed', () => {
    // stride 2, padding 1, k 3, n 5: sizes 9..10.
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, padding: 1, outputSize: [11, 9] })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, padding: 1, outputSize: [8, 9] })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, outputSize: [9] })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 2, outputSize: [9.5, 9] })).toThrow(code('INVALID_ARGUMENT'));
    expect(sc.convTranspose2d(x(), w(), null, { stride: 2, padding: 1, outputSize: [10, 9] }).shape).toEqual([1, 3, 10, 9]);
  });

  it('channel mismatches: input channels and bias length', () => {
    expect(() => sc.convTranspose2d(randomTensor([1, 3, 5, 5], rng(1)), w(), null)).toThrow(code('CHANNEL_MISMATCH'));
    expect(() => sc.convTranspose2d(randomTensor([1, 5, 5, 3], rng(1)), w(), null, { layout: 'channels-last' })).toThrow(code('CHANNEL_MISMATCH'));
    expect(() => sc.convTranspose2d(x(), w(), randomTensor([4], rng(1)))).toThrow(code('CHANNEL_MISMATCH'));
  });

  it('groups must divide the input channels and be a positive integer', () => {
    expect(() => sc.convTranspose2d(x(), w(), null, { groups: 3 })).toThrow(code('INVALID_GROUPS'));
    expect(() => sc.convTranspose2d(x(), w(), null, { groups: 0 })).toThrow(code('INVALID_GROUPS'));
    // groups = 2: Cout = 3 * 2, each group reads 2 of the 4 input channels.
    expect(sc.convTranspose2d(x(), w(), null, { groups: 2 }).shape).toEqual([1, 6, 7, 7]);
  });

  it('string padding is rejected', () => {
    for (const padding of ['same', 'valid'])
      expect(() => sc.convTranspose2d(x(), w(), null, { padding } as unknown as ConvTransposeOptions)).toThrow(code('INVALID_ARGUMENT'));
  });

  it('empty outputs and inputs', () => {
    // (1-1)*1 - 2*2 + 2 + 1 = -1 < 1.
    expect(() => sc.convTranspose2d(randomTensor([1, 4, 1, 1], rng(1)), w(), null, { padding: 2 })).toThrow(code('EMPTY_OUTPUT'));
    expect(() => sc.convTranspose2d(randomTensor([0, 4, 5, 5], rng(1)), w(), null)).toThrow(code('EMPTY_OUTPUT'));
    expect(() => sc.convTranspose2d(randomTensor([1, 4, 0, 5], rng(1)), w(), null)).toThrow(code('EMPTY_OUTPUT'));
    expect(() => sc.createConvTranspose2d(randomTensor([4, 0, 3, 3], rng(1)), null)).toThrow(code('EMPTY_OUTPUT'));
  });

  it('bad ranks, negative arguments and a wrong `out`', () => {
    expect(() => sc.convTranspose2d(randomTensor([1, 1, 4, 5, 5], rng(1)), w(), null)).toThrow(code('INVALID_RANK'));
    expect(() => sc.createConvTranspose3d(w(), null)).toThrow(code('INVALID_RANK'));
    expect(() => sc.convTranspose2d(x(), w(), null, { stride: 0 })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { padding: -1 })).toThrow(code('INVALID_ARGUMENT'));
    expect(() => sc.convTranspose2d(x(), w(), null, { outputPadding: [0, 0, 0] })).toThrow(code('INVALID_ARGUMENT'));
    const out = { data: new Float32Array(3 * 7 * 6), shape: [1, 3, 7, 6] };
    expect(() => sc.convTranspose2d(x(), w(), null, { out })).toThrow(code('OUTPUT_MISMATCH'));
  });
});

/**
 * A one-pixel input to a stride-1 transposed convolution with no padding (a generator's first layer) runs as one
 * GEMM of Cout x taps rows (src/backends/wasm/point-transposed-plan.ts); the same plan takes the phase path on
 * larger inputs.
 */
describe.each(['simd128', 'relaxed'] as const)('convTranspose of one pixel on %s', (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ backend: 'wasm', build });
  });

  it('matches the reference (ranks 1-3, batch or none, both layouts, bias, activations, out, resident input)', () => {
    fc.assert(
      fc.property(
        fc.record({
          rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
          cin: fc.integer({ min: 1, max: 40 }),
          cout: fc.integer({ min: 1, max: 20 }),
          kernel: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
          batch: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 4 }),
          layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
          activation: activationArb,
          hasBias: fc.boolean(),
          resident: fc.boolean(),
          seed: fc.nat(),
        }),
        (r) => {
          const next = rng(r.seed);
          const kernel = r.kernel.slice(0, r.rank);
          const ones = kernel.map(() => 1);
          const batch = r.batch === null ? [] : [r.batch];
          const c: Case = {
            op: OPS[r.rank],
            input: randomTensor(r.layout === 'channels-last' ? [...batch, ...ones, r.cin] : [...batch, r.cin, ...ones], next),
            weight: randomTensor([r.cin, r.cout, ...kernel], next),
            bias: r.hasBias ? randomTensor([r.cout], next) : null,
            options: { layout: r.layout, ...(r.activation !== undefined ? { activation: r.activation } : {}) },
          };
          const plan = CREATE[c.op](c.weight, c.bias, c.options, ctx);
          const shape = plan.outputShape(c.input.shape);
          const out = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
          const input = r.resident ? ctx.tensor(c.input.shape, c.input.data) : c.input;
          const y = plan.run(input, out);
          expect(y).toBe(out);
          expectMatchesReference(c, y);
          // The 1x1 convolution's paths: channels-first direct, channels-last reading the pixel rows in place.
          expect(plan.info.path).toBe(r.layout === 'channels-last' ? 'gemm-1x1' : 'gemm-direct');
          if (r.resident) (input as sc.ResidentTensor).dispose();
          plan.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("DCGAN's first layer (100 -> 512, k4), then a 6x6 input on the same plan (the phase path)", () => {
    const next = rng(41);
    const weight = randomTensor([100, 64, 4, 4], next);
    const bias = randomTensor([64], next);
    const plan = sc.createConvTranspose2d(weight, bias, { activation: 'relu' }, ctx);
    const paths = [];
    for (const size of [1, 6, 1]) {
      const c: Case = { op: 'convTranspose2d', input: randomTensor([2, 100, size, size], next), weight, bias, options: { activation: 'relu' } };
      const y = plan.run(c.input);
      expect(y.shape).toEqual([2, 64, size + 3, size + 3]);
      expectMatchesReference(c, y);
      paths.push(plan.info.path);
    }
    expect(paths).toEqual(['gemm-direct', 'transposed', 'gemm-direct']);
    plan.dispose();
  });

  it('small images take one GEMM and a scatter (col2im): strides, padding, dilation, output padding, batch, activations', () => {
    fc.assert(
      fc.property(
        fc.record({
          rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
          cin: fc.integer({ min: 1, max: 24 }),
          cout: fc.integer({ min: 1, max: 14 }),
          size: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
          kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
          stride: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
          dilation: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
          padding: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
          batch: fc.integer({ min: 1, max: 3 }),
          activation: activationArb,
          hasBias: fc.boolean(),
          seed: fc.nat(),
        }),
        (r) => {
          const next = rng(r.seed);
          const axes = <T>(a: T[]) => a.slice(0, r.rank);
          const [size, kernel, stride, dilation] = [axes(r.size), axes(r.kernel), axes(r.stride), axes(r.dilation)];
          // A padding that leaves an output, and an output padding below the stride.
          const padding = axes(r.padding).map((p, a) => Math.min(p, Math.floor(((size[a]! - 1) * stride[a]! + dilation[a]! * (kernel[a]! - 1)) / 2)));
          const outputPadding = stride.map((s, a) => (r.seed >> a) % Math.max(s, dilation[a]!));
          const c: Case = {
            op: OPS[r.rank],
            input: randomTensor([r.batch, r.cin, ...size], next),
            weight: randomTensor([r.cin, r.cout, ...kernel], next),
            bias: r.hasBias ? randomTensor([r.cout], next) : null,
            options: { stride, padding, dilation, outputPadding, ...(r.activation !== undefined ? { activation: r.activation } : {}) },
          };
          const plan = CREATE[c.op](c.weight, c.bias, c.options, ctx);
          expectMatchesReference(c, plan.run(c.input));
          plan.dispose();
        },
      ),
      { numRuns: 80 },
    );
  });

  it("DCGAN's 512 -> 256 k4 s2 p1 on 4x4 takes col2im, and the same plan the phase path on a large image", () => {
    const next = rng(44);
    const weight = randomTensor([64, 32, 4, 4], next);
    const bias = randomTensor([32], next);
    const options = { stride: 2, padding: 1, activation: 'relu' as const };
    const plan = sc.createConvTranspose2d(weight, bias, options, ctx);
    const paths = [];
    for (const size of [4, 16]) {
      const c: Case = { op: 'convTranspose2d', input: randomTensor([1, 64, size, size], next), weight, bias, options };
      expectMatchesReference(c, plan.run(c.input));
      paths.push(plan.info.path);
    }
    expect(paths).toEqual(['transposed-col2im', 'transposed']);
    plan.dispose();
  });

  it('a wrong `out` is refused naming options.out.shape, as on the phase path', () => {
    const plan = sc.createConvTranspose2d(randomTensor([3, 2, 2, 2], rng(42)), null, {}, ctx);
    expect(() => plan.run(randomTensor([1, 3, 1, 1], rng(43)), { data: new Float32Array(8), shape: [1, 2, 4, 1] })).toThrow(/options\.out\.shape/);
    plan.dispose();
  });
});
