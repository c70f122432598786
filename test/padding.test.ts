/**
 * Per-side padding (`[[before, after], ...]`) and ONNX's auto_pad ('same-upper' / 'same-lower') for
 * convolutions and transposed convolutions, on every backend (wasm SIMD128, relaxed, 2 threads, js, WebGPU).
 *
 * The oracle is independent of the padding code under test: a convolution is the float64 reference with no
 * padding on an input this file pads itself (each mode written out here), and a transposed convolution is the
 * unpadded reference's full output, cropped here (or extended by bias-only positions where ONNX's padding is
 * negative). The 'same-*' paddings are computed here from ONNX's formulas.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import type { ConvOp, ConvTransposeOp } from '../src/shape.js';
import type { AutoPad, ConvOptions, ConvTransposeOptions, Layout, PaddingMode, Tensor } from '../src/types.js';
import type { GpuContext } from '../src/webgpu.js';
import { type Backends, allBackends } from './helpers/backends.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x9ad5 });

type Pairs = [number, number][];

let backends: Backends;
let runners: Backends['runners'];
let gpu: GpuContext | null;

beforeAll(async () => {
  backends = await allBackends();
  ({ runners, gpu } = backends);
});

afterAll(() => backends.destroy());

it('runs on every backend', () => {
  const expected = ['simd128', 'relaxed', 'threads', 'js', ...(process.env.SIMDCONV_REQUIRE_WEBGPU === '1' ? ['webgpu'] : [])];
  expect(Object.keys(runners)).toEqual(expect.arrayContaining(expected));
});

/** The source index of padded position i on an axis of n (i may be outside [0, n)), or -1 for zero. */
function padSource(mode: PaddingMode, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'replicate') return Math.min(n - 1, Math.max(0, i));
  if (mode === 'circular') return ((i % n) + n) % n;
  return i < 0 ? -i : 2 * n - 2 - i; // reflect
}

/** Pads the spatial axes of a channels-first (N, C, *spatial) tensor by `pairs` in `mode`. */
function padInput(x: Tensor, pairs: Pairs, mode: PaddingMode): Tensor {
  const rank = pairs.length;
  const lead = x.shape.slice(0, x.shape.length - rank);
  const inS = x.shape.slice(-rank);
  const outS = inS.map((n, a) => n + pairs[a]![0] + pairs[a]![1]);
  const planes = lead.reduce((a, b) => a * b, 1);
  const inPlane = inS.reduce((a, b) => a * b, 1);
  const outPlane = outS.reduce((a, b) => a * b, 1);
  const data = new Float32Array(planes * outPlane);
  for (let pl = 0; pl < planes; pl++) {
    for (let o = 0; o < outPlane; o++) {
      let rest = o;
      let src = 0;
      let zero = false;
      for (let a = rank - 1, scale = 1; a >= 0; a--) {
        const i = (rest % outS[a]!) - pairs[a]![0];
        rest = Math.floor(rest / outS[a]!);
        const s = padSource(mode, i, inS[a]!);
        if (s < 0) zero = true;
        src += s * scale;
        scale *= inS[a]!;
      }
      data[pl * outPlane + o] = zero ? 0 : x.data[pl * inPlane + src]!;
    }
  }
  return { data, shape: [...lead, ...outS] };
}

/** ONNX auto_pad for a convolution: ceil(n / s) outputs, the odd element after ('same-upper') or before. */
function autoPairs(mode: AutoPad, size: number[], kernel: number[], stride: number[], dilation: number[]): Pairs {
  return size.map((n, a) => {
    const span = dilation[a]! * (kernel[a]! - 1) + 1;
    const total = Math.max(0, (Math.ceil(n / stride[a]!) - 1) * stride[a]! + span - n);
    const small = Math.floor(total / 2);
    return mode === 'same-upper' ? [small, total - small] : [total - small, small];
  });
}

/** Expected conv output and its float32 bound: the unpadded reference on the input padded here. */
function convOracle(op: ConvOp, x: Tensor, w: Tensor, b: Tensor | null, pairs: Pairs, options: ConvOptions) {
  const mode = options.paddingMode ?? 'zeros';
  const o = { ...options, padding: 0, paddingMode: 'zeros' as const, layout: 'channels-first' as const };
  const padded = padInput(x, pairs, mode);
  const expected = referenceConv(op, padded, w, b, o);
  const bound = referenceConv(op, absTensor(padded), absTensor(w), b && absTensor(b), { ...o, activation: 'none' });
  return { expected, bound: bound.data, reduction: w.shape.slice(1).reduce((p, q) => p * q, 1) };
}

/**
 * Expected transposed output: the unpadded full output, cropped by `pairs` (a negative pad adds positions holding
 * the bias, through the activation), with the bound likewise.
 */
function transposeOracle(op: ConvTransposeOp, x: Tensor, w: Tensor, b: Tensor | null, pairs: Pairs, options: ConvTransposeOptions) {
  const rank = pairs.length;
  const o = { ...options, padding: 0 };
  const full = referenceConvTranspose(op, x, w, b, o);
  const absFull = referenceConvTranspose(op, absTensor(x), absTensor(w), b && absTensor(b), { ...o, activation: 'none' });
  const fullS = full.shape.slice(-rank);
  const outS = fullS.map((n, a) => n - pairs[a]![0] - pairs[a]![1]);
  const [N, C] = full.shape as [number, number];
  const outPlane = outS.reduce((p, q) => p * q, 1);
  const fullPlane = fullS.reduce((p, q) => p * q, 1);
  const expected = new Float64Array(N * C * outPlane);
  const bound = new Float64Array(expected.length);
  const clampBias = (c: number) => referenceConvTranspose(op, { data: new Float32Array(x.data.length), shape: x.shape }, w, b, o).data[c * fullPlane]!;
  const biasOut = Array.from({ length: C }, (_, c) => clampBias(c));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < outPlane; i++) {
        let rest = i;
        let src = 0;
        let inside = true;
        for (let a = rank - 1, scale = 1; a >= 0; a--) {
          const f = (rest % outS[a]!) + pairs[a]![0];
          rest = Math.floor(rest / outS[a]!);
          if (f < 0 || f >= fullS[a]!) inside = false;
          src += f * scale;
          scale *= fullS[a]!;
        }
        const at = (n * C + c) * outPlane + i;
        expected[at] = inside ? full.data[(n * C + c) * fullPlane + src]! : biasOut[c]!;
        bound[at] = inside ? absFull.data[(n * C + c) * fullPlane + src]! : Math.abs(biasOut[c]!);
      }
  return { expected: { shape: [N, C, ...outS], data: expected }, bound, reduction: w.shape[1]! * w.shape.slice(2).reduce((p, q) => p * q, 1) };
}

const convOps: Record<number, ConvOp> = { 1: 'conv1d', 2: 'conv2d', 3: 'conv3d' };
const transposeOps: Record<number, ConvTransposeOp> = { 1: 'convTranspose1d', 2: 'convTranspose2d', 3: 'convTranspose3d' };

/** (N, C, *spatial) <-> (N, *spatial, C). */
function moveChannels(t: Tensor, toLast: boolean): Tensor {
  const [N, ...rest] = t.shape as number[];
  const C = toLast ? rest[0]! : rest[rest.length - 1]!;
  const plane = rest.reduce((a, b) => a * b, 1) / C;
  const data = new Float32Array(t.data.length);
  for (let n = 0; n < N!; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < plane; i++) {
        const first = (n * C + c) * plane + i;
        const last = (n * plane + i) * C + c;
        if (toLast) data[last] = t.data[first]!;
        else data[first] = t.data[last]!;
      }
  const spatial = toLast ? rest.slice(1) : rest.slice(0, -1);
  return { data, shape: toLast ? [N!, ...spatial, C] : [N!, C, ...spatial] };
}

interface Check {
  op: string;
  x: Tensor;
  w: Tensor;
  b: Tensor | null;
  options: { padding: unknown; layout?: string };
  oracle: ReturnType<typeof convOracle>;
}

/** Runs a channels-first case on every backend (channels-last when its options say so, converting here). */
async function checkAll(run: () => Check) {
  const c = run();
  const last = c.options.layout === 'channels-last';
  for (const [name, runner] of Object.entries(runners)) {
    const raw = await runner(c.op, last ? moveChannels(c.x, true) : c.x, c.w, c.b, c.options);
    const y = last ? moveChannels(raw, false) : raw;
    try {
      expectConvClose(y, c.oracle.expected, c.oracle.bound, c.oracle.reduction);
    } catch (e) {
      throw new Error(`${name}: ${c.op} ${JSON.stringify(c.options)} input [${c.x.shape.join(', ')}]\n${(e as Error).message}`);
    }
  }
}

describe('per-side padding [[before, after], ...]', () => {
  const cases: Array<[number, number[], number[], Pairs, PaddingMode, object]> = [
    [
      2,
      [7, 9],
      [3, 3],
      [
        [0, 2],
        [1, 0],
      ],
      'zeros',
      {},
    ],
    [
      2,
      [6, 5],
      [2, 4],
      [
        [3, 1],
        [0, 2],
      ],
      'zeros',
      { stride: 2 },
    ],
    [
      2,
      [8, 8],
      [3, 3],
      [
        [1, 2],
        [2, 1],
      ],
      'reflect',
      { stride: [2, 1] },
    ],
    [
      2,
      [5, 7],
      [3, 2],
      [
        [2, 0],
        [0, 3],
      ],
      'replicate',
      { dilation: 2 },
    ],
    [
      2,
      [6, 6],
      [3, 3],
      [
        [0, 3],
        [2, 0],
      ],
      'circular',
      {},
    ],
    [1, [11], [4], [[3, 0]], 'zeros', { stride: 3 }],
    [
      3,
      [4, 5, 6],
      [2, 3, 3],
      [
        [1, 0],
        [0, 2],
        [2, 1],
      ],
      'zeros',
      { stride: [1, 2, 1] },
    ],
    [
      3,
      [4, 5, 5],
      [3, 1, 3],
      [
        [2, 1],
        [1, 1],
        [0, 2],
      ],
      'reflect',
      {},
    ],
  ];
  it.each(cases)('conv rank %i input %j kernel %j pads %j %s %j', async (rank, size, kernel, pairs, paddingMode, extra) => {
    const next = rng(size.reduce((a, b) => a * 31 + b, rank));
    await checkAll(() => {
      const x = randomTensor([2, 3, ...size], next);
      const w = randomTensor([5, 3, ...kernel], next);
      const b = randomTensor([5], next);
      const options = { ...extra, padding: pairs, paddingMode, activation: 'relu' as const };
      return { op: convOps[rank]!, x, w, b, options, oracle: convOracle(convOps[rank]!, x, w, b, pairs, options) };
    });
  });

  it('depthwise and channels-last take per-side padding too', async () => {
    const next = rng(7);
    const pairs: Pairs = [
      [2, 0],
      [1, 3],
    ];
    await checkAll(() => {
      const x = randomTensor([1, 8, 9, 10], next);
      const w = randomTensor([8, 1, 3, 3], next);
      const options = { padding: pairs, groups: 8, stride: 2 };
      return { op: 'conv2d', x, w, b: null, options, oracle: convOracle('conv2d', x, w, null, pairs, options) };
    });
    const x = randomTensor([1, 4, 7, 6], next);
    const w = randomTensor([6, 4, 3, 2], next);
    const first = await runners.simd128!('conv2d', x, w, null, { padding: pairs });
    const xl = { data: new Float32Array(x.data.length), shape: [1, 7, 6, 4] };
    for (let c = 0; c < 4; c++) for (let p = 0; p < 42; p++) xl.data[p * 4 + c] = x.data[c * 42 + p]!;
    for (const [name, runner] of Object.entries(runners)) {
      const last = await runner('conv2d', xl, w, null, { padding: pairs, layout: 'channels-last' });
      const [, OH, OW] = last.shape as number[];
      for (let c = 0; c < 6; c++)
        for (let p = 0; p < OH! * OW!; p++) expect(Math.abs(last.data[p * 6 + c]! - first.data[c * OH! * OW! + p]!), name).toBeLessThan(1e-5);
    }
  });

  it('transposed: the full output cropped per side', async () => {
    for (const [rank, size, kernel, pairs, extra] of [
      [
        2,
        [4, 5],
        [3, 3],
        [
          [0, 2],
          [1, 0],
        ],
        { stride: 2 },
      ],
      [
        2,
        [3, 3],
        [4, 2],
        [
          [3, 1],
          [0, 1],
        ],
        { stride: [2, 3], outputPadding: [1, 0] },
      ],
      [1, [6], [5], [[4, 0]], { stride: 3, dilation: 2 }],
      [
        3,
        [2, 3, 3],
        [2, 3, 2],
        [
          [1, 0],
          [0, 2],
          [1, 1],
        ],
        { stride: [1, 2, 2] },
      ],
    ] as const) {
      const next = rng(rank * 100 + size[0]!);
      await checkAll(() => {
        const x = randomTensor([2, 4, ...size], next);
        const w = randomTensor([4, 3, ...kernel], next);
        const b = randomTensor([3], next);
        const options = { ...extra, padding: pairs as unknown as Pairs };
        return { op: transposeOps[rank]!, x, w, b, options, oracle: transposeOracle(transposeOps[rank]!, x, w, b, pairs as unknown as Pairs, options) };
      });
    }
  });

  it('refuses malformed pairs, naming options.padding', () => {
    const x = randomTensor([1, 1, 5, 5], rng(1));
    const w = randomTensor([1, 1, 3, 3], rng(2));
    for (const padding of [
      [[1, 2]],
      [[1, 2], [3]],
      [
        [1, 2],
        [3, -1],
      ],
      [
        [1, 2],
        [0.5, 1],
      ],
      [[1, 2], 3],
      [
        [1, 2],
        [1, 2],
        [1, 2],
      ],
      [
        [1, 2, 3],
        [0, 0],
      ],
    ]) {
      expect(() => sc.conv2d(x, w, null, { padding: padding as Pairs })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options.padding' }),
      );
      expect(() => sc.convTranspose2d(x, w, null, { padding: padding as Pairs })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options.padding' }),
      );
    }
    expect(() => sc.convTranspose2d(x, w, null, { padding: 'same' as never })).toThrow(expect.objectContaining({ argument: 'options.padding' }));
    expect(() => sc.convTranspose2d(x, w, null, { padding: 'same-upper', outputSize: [10, 10] })).toThrow(
      expect.objectContaining({ argument: 'options.outputSize' }),
    );
    // PyTorch's 'same' stays PyTorch's: stride 1 only.
    expect(() => sc.conv2d(x, w, null, { padding: 'same', stride: 2 })).toThrow(expect.objectContaining({ argument: 'options.padding' }));
    // reflect: each side below the input size
    expect(() =>
      sc.conv2d(x, w, null, {
        padding: [
          [5, 0],
          [0, 0],
        ],
        paddingMode: 'reflect',
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_PADDING_MODE' }));
  });
});

describe("'same-upper' / 'same-lower' (ONNX auto_pad)", () => {
  it('conv at any stride: ceil(n / stride) outputs, padded as ONNX splits it (property, every backend)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rank: fc.constantFrom(1, 2, 3),
          mode: fc.constantFrom<AutoPad>('same-upper', 'same-lower'),
          paddingMode: fc.constantFrom<PaddingMode>('zeros', 'zeros', 'replicate', 'circular'),
          seed: fc.integer({ min: 0, max: 1e6 }),
          depthwise: fc.boolean(),
          layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
        }),
        async ({ rank, mode, paddingMode, seed, depthwise, layout }) => {
          const next = rng(seed);
          const pick = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
          const size = Array.from({ length: rank }, () => pick(rank === 3 ? 2 : 3, rank === 3 ? 6 : 12));
          const kernel = size.map((n) => pick(1, Math.min(4, n)));
          const stride = size.map(() => pick(1, 3));
          const dilation = kernel.map((k, a) => (k > 1 && (k - 1) * 2 + 1 <= size[a]! && next() < 0.3 ? 2 : 1));
          const pairs = autoPairs(mode, size, kernel, stride, dilation);
          // circular padding is at most the size on an axis
          const mode2 = paddingMode === 'circular' && pairs.some(([b, a], i) => Math.max(b, a) > size[i]!) ? 'zeros' : paddingMode;
          const C = depthwise ? 4 : 3;
          const x = randomTensor([pick(1, 2), C, ...size], next);
          const w = randomTensor([depthwise ? 4 : 2, depthwise ? 1 : 3, ...kernel], next);
          const b = randomTensor([w.shape[0]!], next);
          const options = { padding: mode, stride, dilation, paddingMode: mode2, groups: depthwise ? 4 : 1, layout };
          const oracle = convOracle(convOps[rank]!, x, w, b, pairs, options);
          expect(oracle.expected.shape.slice(2)).toEqual(size.map((n, a) => Math.ceil(n / stride[a]!)));
          await checkAll(() => ({ op: convOps[rank]!, x, w, b, options, oracle }));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('channels-last with a non-zero mode and many taps: the plan assumes padding before it sees a shape (fuzz seed 494081949)', async () => {
    // A plan chose its channels-last path at creation from padding not yet resolved ('same-lower' read as none).
    const next = rng(494081949);
    for (const size of [
      [4, 10],
      [4, 4],
    ]) {
      await checkAll(() => {
        const x = randomTensor([1, 1, ...size], next);
        const w = randomTensor([3, 1, 2, 4], next);
        const options = { padding: 'same-lower' as const, paddingMode: 'replicate' as const, dilation: [3, 1], layout: 'channels-last' as const };
        return {
          op: 'conv2d',
          x,
          w,
          b: null,
          options,
          oracle: convOracle('conv2d', x, w, null, autoPairs('same-lower', size, [2, 4], [1, 1], [3, 1]), options),
        };
      });
    }
  });

  it('a plan decides its kernel path once, though a shape may resolve to no padding (fuzz seed 496308928)', async () => {
    // The packing assumed a padded copy (circular may pad), the shape's path assumed none: the two disagreed.
    const next = rng(496308928);
    for (const size of [
      [7, 11],
      [1, 3],
    ]) {
      await checkAll(() => {
        const x = randomTensor([1, 1, ...size], next);
        const w = randomTensor([1, 1, 1, 3], next);
        const options = { padding: 'same-lower' as const, paddingMode: 'circular' as const, stride: [1000, 4], layout: 'channels-last' as const };
        return {
          op: 'conv2d',
          x,
          w,
          b: null,
          options,
          oracle: convOracle('conv2d', x, w, null, autoPairs('same-lower', size, [1, 3], [1000, 4], [1, 1]), options),
        };
      });
    }
  });

  it("with algorithm 'winograd' (stride 1: PyTorch's 'same' split)", async () => {
    const next = rng(5);
    for (const mode of ['same-upper', 'same-lower'] as const) {
      await checkAll(() => {
        const x = randomTensor([1, 3, 9, 8], next);
        const w = randomTensor([4, 3, 3, 3], next);
        const options = { padding: mode, algorithm: 'winograd' as const };
        return { op: 'conv2d', x, w, b: null, options, oracle: convOracle('conv2d', x, w, null, autoPairs(mode, [9, 8], [3, 3], [1, 1], [1, 1]), options) };
      });
    }
  });

  it('one plan, several input sizes: each size its own padding', async () => {
    const next = rng(11);
    const w = randomTensor([3, 2, 3, 3], next);
    const plans = [sc.createConv2d(w, null, { padding: 'same-lower', stride: 2 }, await sc.createContext({ build: 'relaxed' }))];
    const gpuPlan = gpu?.createConv2d(w, null, { padding: 'same-lower', stride: 2 });
    for (const size of [
      [7, 8],
      [8, 8],
      [9, 5],
      [7, 8],
      [2, 3],
      [10, 11],
    ]) {
      const x = randomTensor([1, 2, ...size], next);
      const oracle = convOracle('conv2d', x, w, null, autoPairs('same-lower', size, [3, 3], [2, 2], [1, 1]), { stride: 2 });
      expectConvClose(plans[0]!.run(x), oracle.expected, oracle.bound, 18);
      if (gpuPlan) expectConvClose(await gpuPlan.run(x), oracle.expected, oracle.bound, 18);
    }
    plans[0]!.dispose();
    gpuPlan?.dispose();
  });

  it('transposed: output = input * stride, ONNX ConvTranspose split, negative totals as bias-only positions', async () => {
    for (const [rank, size, kernel, stride, extra] of [
      [2, [3, 3], [3, 3], [2, 2], {}],
      [2, [4, 3], [4, 3], [2, 3], { outputPadding: [1, 0] }],
      [2, [3, 4], [1, 2], [3, 4], {}], // totals -2 and -2: bias-only positions both sides
      [1, [5], [1], [2], {}], // total -1
      [1, [4], [2], [5], { dilation: 1 }], // total -3
      [3, [2, 3, 2], [3, 2, 1], [2, 2, 3], {}],
    ] as const) {
      for (const mode of ['same-upper', 'same-lower'] as const) {
        const next = rng(rank * 1000 + kernel[0]! * 10 + stride[0]!);
        const outputPadding = (extra as { outputPadding?: number[] }).outputPadding ?? kernel.map(() => 0);
        const pairs: Pairs = kernel.map((k, a) => {
          const total = k + outputPadding[a]! - stride[a]!; // dilation 1: span = k
          const half = Math.trunc(total / 2);
          return mode === 'same-upper' ? [half, total - half] : [total - half, half];
        });
        await checkAll(() => {
          const x = randomTensor([1, 2, ...size], next);
          const w = randomTensor([2, 3, ...kernel], next);
          const b = randomTensor([3], next);
          const options = { ...extra, stride: [...stride], padding: mode, activation: 'relu' as const };
          const oracle = transposeOracle(transposeOps[rank]!, x, w, b, pairs, options);
          expect(oracle.expected.shape.slice(2)).toEqual(size.map((n, a) => n * stride[a]!));
          return { op: transposeOps[rank]!, x, w, b, options, oracle };
        });
      }
    }
  });
});
