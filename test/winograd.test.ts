/**
 * The opt-in Winograd path (`algorithm: 'winograd'`, F(2x2, 3x3) and F(2x2x2, 3x3x3)): against the float64 reference within the
 * algorithm's own float32 error bound, on both wasm builds, one and two threads; where it does not apply, the
 * option falls back to the default path (and the default bound).
 *
 * The bound. Y = A^T [sum_c (G g G^T) . (B^T d B)] A is evaluated as short sums: U = G g G^T rounded once,
 * V = B^T d B in two passes of 2-term sums (2 roundings), one product, Cin - 1 additions over channels, A^T .. A
 * in two passes of 3-term sums (4 roundings), the bias add (1). So every term carries at most Cin + 9
 * roundings, and |error| <= gamma_(Cin+9) * sum over terms of |coefficient product| |w| |x|, the sum taken
 * through |A^T|, |G| and |B^T| (a few times the direct convolution's sum |w| |x|). In 3-D each transform has a
 * third pass: Cin + 12 roundings at most. windowBound computes that sum in float64; zero coefficients are
 * skipped, so a NaN input only widens the bound of outputs it reaches.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { ConvOptions, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x3a1e_9f23 });

const BT = [
  [1, 0, -1, 0],
  [0, 1, 1, 0],
  [0, -1, 1, 0],
  [0, 1, 0, -1],
];
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 0],
  [0, 1, -1, -1],
];

/** A Winograd variant's matrices: B^T (n x n), G (n x 3), A^T (m x n); m outputs per tile and axis from n inputs. */
interface Transforms {
  BT: number[][];
  G: number[][];
  AT: number[][];
}
const F23: Transforms = { BT, G, AT };
// F(4x4, 3x3), assembly/winograd-f43.ts: points 0, 1, -1, 2, -1/2 and infinity.
const F43: Transforms = {
  BT: [
    [1, 3 / 2, -2, -3 / 2, 1, 0],
    [0, -1, -5 / 2, -1 / 2, 1, 0],
    [0, 1, 1 / 2, -5 / 2, 1, 0],
    [0, -1 / 2, -1, 1 / 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 1, 3 / 2, -2, -3 / 2, 1],
  ],
  G: [
    [1, 0, 0],
    [-1 / 3, -1 / 3, -1 / 3],
    [1 / 3, -1 / 3, 1 / 3],
    [1 / 15, 2 / 15, 4 / 15],
    [-16 / 15, 8 / 15, -4 / 15],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -1 / 2, 0],
    [0, 1, 1, 4, 1 / 4, 0],
    [0, 1, -1, 8, -1 / 8, 1],
  ],
};

/**
 * |L| applied along every axis of an n^rank block X (row-major): sum over the block of the product of
 * |L[o_axis][i_axis]| times |X|, skipping zero coefficients (a NaN in X then reaches only the outputs it feeds).
 */
function absTransform(L: number[][], X: (index: number) => number, n: number, rank: number): Float64Array {
  const m = L.length;
  const out = new Float64Array(m ** rank);
  for (let o = 0; o < out.length; o++) {
    let s = 0;
    for (let i = 0; i < n ** rank; i++) {
      let coefficient = 1;
      for (let axis = 0, oo = o, ii = i; axis < rank; axis++, oo = Math.floor(oo / m), ii = Math.floor(ii / n)) coefficient *= Math.abs(L[oo % m]![ii % n]!);
      if (coefficient !== 0) s += coefficient * Math.abs(X(i));
    }
    out[o] = s;
  }
  return out;
}

/**
 * The Winograd sum of |terms| per output, plus |bias| (see the top of this file), for conv2d or conv3d, through
 * the variant's matrices `tf` (F(2x2, 3x3) by default: tiles of m = 2 outputs from patches of n = 4 inputs per
 * axis; F(4x4, 3x3): 4 from 6). With dilation d along an axis, the tiles are those of each phase (outputs o with
 * o % d = phase, tiles of m sub-outputs d apart), and a tile's patch is the n inputs d apart from its first
 * output - padding.
 */
function windowBound(x: Tensor, w: Tensor, b: Tensor | null, padding: readonly number[], dilation?: readonly number[], tf: Transforms = F23): Float64Array {
  const patch = tf.BT.length;
  const mOut = tf.AT.length;
  const rank = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const inSize = x.shape.slice(2);
  const K = w.shape[0]!;
  const dil = dilation ?? new Array<number>(rank).fill(1);
  const outSize = inSize.map((n, a) => n + 2 * padding[a]! - 2 * dil[a]!);
  // Per axis, each tile's first output: phase + m d t for every phase and t < its count.
  const axisTiles = outSize.map((size, a) => {
    const d = dil[a]!;
    const starts: number[] = [];
    for (let phase = 0; phase < d; phase++) for (let s = 0; phase + d * s < size; s += mOut) starts.push(phase + d * s);
    return starts;
  });
  const taps = 3 ** rank;
  const out = new Float64Array(N * K * outSize.reduce((p, q) => p * q, 1));
  const u = Array.from({ length: K * C }, (_, i) => absTransform(tf.G, (k) => w.data[i * taps + k]!, 3, rank));
  // Digits of `index` in base `base`, most significant (depth) first.
  const digits = (index: number, base: number) => Array.from({ length: rank }, (_, a) => Math.floor(index / base ** (rank - 1 - a)) % base);
  const tileCount = axisTiles.reduce((p, q) => p * q.length, 1);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < tileCount; t++) {
      const start = axisTiles.map((list, a) => list[Math.floor(t / axisTiles.slice(a + 1).reduce((p, q) => p * q.length, 1)) % list.length]!);
      const v = Array.from({ length: C }, (_, c) =>
        absTransform(
          tf.BT,
          (i) => {
            const at = digits(i, patch).map((d, a) => start[a]! + dil[a]! * d - padding[a]!);
            if (at.some((p, a) => p < 0 || p >= inSize[a]!)) return 0;
            return x.data[at.reduce((off, p, a) => off * inSize[a]! + p, n * C + c)]!;
          },
          patch,
          rank,
        ),
      );
      for (let k = 0; k < K; k++) {
        const m = new Float64Array(patch ** rank);
        for (let c = 0; c < C; c++) for (let e = 0; e < m.length; e++) m[e] = m[e]! + u[k * C + c]![e]! * v[c]![e]!;
        const y = absTransform(tf.AT, (e) => m[e]!, patch, rank);
        for (let r = 0; r < mOut ** rank; r++) {
          const at = digits(r, mOut).map((d, a) => start[a]! + dil[a]! * d);
          if (at.some((p, a) => p >= outSize[a]!)) continue;
          out[at.reduce((off, p, a) => off * outSize[a]! + p, n * K + k)] = y[r]! + (b ? Math.abs(b.data[k]!) : 0);
        }
      }
    }
  }
  return out;
}

interface WinogradCase {
  cin: number;
  cout: number;
  h: number;
  w: number;
  pad: [number, number];
  /** [1, 1] unless the case is dilated. */
  dilation?: [number, number];
  batch: number;
  bias: boolean;
  activation: 'none' | 'relu' | 'relu6';
  seed: number;
  layout?: 'channels-first' | 'channels-last';
}

/** conv2d cases up to these sizes, with dilations 1..`dilation` per axis (also unequal). */
function caseArb(max: { cin: number; h: number; w: number; pad: number; dilation: number }): fc.Arbitrary<WinogradCase> {
  const upTo = (n: number, from = 1) => fc.integer({ min: from, max: n });
  return fc
    .record({
      cin: upTo(max.cin),
      cout: upTo(14),
      h: upTo(max.h),
      w: upTo(max.w),
      pad: fc.tuple(upTo(max.pad, 0), upTo(max.pad, 0)),
      dilation: fc.tuple(upTo(max.dilation), upTo(max.dilation)),
      batch: upTo(2),
      bias: fc.boolean(),
      activation: fc.constantFrom('none' as const, 'relu' as const, 'relu6' as const),
      seed: upTo(1 << 30),
      layout: fc.constantFrom('channels-first' as const, 'channels-last' as const),
    })
    .filter((c) => c.h + 2 * c.pad[0] >= 2 * c.dilation[0] + 1 && c.w + 2 * c.pad[1] >= 2 * c.dilation[1] + 1);
}

const undilatedCases = caseArb({ cin: 12, h: 13, w: 21, pad: 2, dilation: 1 });
// Dilations up to 4, so every phase count and phases with no or one tile row occur.
const dilatedCases = caseArb({ cin: 9, h: 19, w: 27, pad: 4, dilation: 4 });

function tensors(c: WinogradCase): { x: Tensor; w: Tensor; b: Tensor | null } {
  const next = rng(c.seed);
  return {
    x: randomTensor([c.batch, c.cin, c.h, c.w], next),
    w: randomTensor([c.cout, c.cin, 3, 3], next),
    b: c.bias ? randomTensor([c.cout], next) : null,
  };
}

/** Within the Winograd bound: Cin + 3 rank + 3 roundings at most (errorBound adds the last 2). */
function expectWinogradClose(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions, pad: readonly number[]): void {
  const rank = x.shape.length - 2;
  const op = rank === 2 ? 'conv2d' : 'conv3d';
  const dilation = Array.isArray(options.dilation) ? options.dilation : undefined;
  expectConvClose(y, referenceConv(op, x, w, b, options), windowBound(x, w, b, pad, dilation), x.shape[1]! + 3 * rank + 1);
}

/** A batched tensor with its channel axis moved: [N][C][...spatial] to [N][...spatial][C], or back. */
function moveChannels(t: Tensor, toLast: boolean): Tensor {
  const [N, ...rest] = t.shape as [number, ...number[]];
  const C = toLast ? rest[0]! : rest.at(-1)!;
  const P = rest.reduce((p, q) => p * q, 1) / C;
  const data = new Float32Array(t.data.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < P; p++) {
        const first = (n * C + c) * P + p;
        const last = (n * P + p) * C + c;
        if (toLast) data[last] = t.data[first]!;
        else data[first] = t.data[last]!;
      }
  return { shape: toLast ? [N, ...rest.slice(1), C] : [N, C, ...rest.slice(0, -1)], data };
}

/**
 * Runs a Winograd plan on `context` (x is channels-first; with `layout: 'channels-last'` the plan gets and gives
 * channels-last tensors, compared channels-first), checks that Winograd ran and the result is within its bound;
 * returns the plan's info.
 */
function runChecked(context: sc.Context, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions, pad: readonly number[]): sc.PlanInfo {
  const rank = x.shape.length - 2;
  const plan = rank === 2 ? sc.createConv2d(w, b, options, context) : sc.createConv3d(w, b, options, context);
  const last = options.layout === 'channels-last';
  const y = last ? moveChannels(plan.run(moveChannels(x, true)), false) : plan.run(x);
  expect(plan.info).toMatchObject({ path: 'winograd', flags: { transform: rank === 2 ? 'F(2x2, 3x3)' : 'F(2x2x2, 3x3x3)' } });
  expectWinogradClose(y, x, w, b, { ...options, layout: 'channels-first' }, pad);
  const info = plan.info;
  plan.dispose();
  return info;
}

interface Winograd3dCase {
  cin: number;
  cout: number;
  size: [number, number, number];
  pad: [number, number, number];
  batch: number;
  bias: boolean;
  seed: number;
  layout: 'channels-first' | 'channels-last';
}

const case3dArb: fc.Arbitrary<Winograd3dCase> = fc
  .record({
    cin: fc.integer({ min: 1, max: 6 }),
    cout: fc.integer({ min: 1, max: 9 }),
    size: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 12 })),
    pad: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })),
    batch: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
    layout: fc.constantFrom('channels-first' as const, 'channels-last' as const),
  })
  .filter((c) => c.size.every((n, a) => n + 2 * c.pad[a]! >= 3));

describe.each(['simd128', 'relaxed'] as const)('winograd on %s', (build) => {
  let ctx: sc.Context;
  let ctx2: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
    ctx2 = await sc.createContext({ build, threads: 2 });
  });
  afterAll(() => ctx2.dispose());

  it('matches the reference within the Winograd bound (odd sizes, every tile remainder, batch, bias, activations)', () => {
    fc.assert(
      fc.property(undilatedCases, (c) => {
        const { x, w, b } = tensors(c);
        runChecked(ctx, x, w, b, { padding: c.pad, activation: c.activation, layout: c.layout, algorithm: 'winograd' }, c.pad);
      }),
      { numRuns: 150 },
    );
  });

  it('dilated: matches the reference within the Winograd bound, phase by phase', () => {
    fc.assert(
      fc.property(dilatedCases, (c) => {
        const { x, w, b } = tensors(c);
        runChecked(ctx, x, w, b, { padding: c.pad, dilation: c.dilation, activation: c.activation, layout: c.layout, algorithm: 'winograd' }, c.pad);
      }),
      { numRuns: 120 },
    );
  });

  it('dilated: splits tile rows across two threads, every phase, both layouts', () => {
    const c: WinogradCase = { cin: 20, cout: 26, h: 45, w: 38, pad: [2, 3], dilation: [2, 3], batch: 2, bias: true, activation: 'none', seed: 17 };
    const { x, w, b } = tensors(c);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      expect(runChecked(ctx2, x, w, b, { padding: c.pad, dilation: c.dilation, layout, algorithm: 'winograd' }, c.pad).threads).toBe(2);
    }
  });

  it('conv3d: matches the reference within the Winograd bound (F(2x2x2, 3x3x3))', () => {
    fc.assert(
      fc.property(case3dArb, (c) => {
        const next = rng(c.seed);
        const x = randomTensor([c.batch, c.cin, ...c.size], next);
        const w = randomTensor([c.cout, c.cin, 3, 3, 3], next);
        const b = c.bias ? randomTensor([c.cout], next) : null;
        runChecked(ctx, x, w, b, { padding: c.pad, layout: c.layout, algorithm: 'winograd' }, c.pad);
      }),
      { numRuns: 60 },
    );
  });

  it('conv3d: splits tile rows across two threads', () => {
    const next = rng(9);
    const x = randomTensor([1, 16, 8, 12, 13], next);
    const w = randomTensor([14, 16, 3, 3, 3], next);
    const b = randomTensor([14], next);
    expect(runChecked(ctx2, x, w, b, { padding: 1, algorithm: 'winograd' }, [1, 1, 1]).threads).toBe(2);
  });

  it('splits tile rows across two threads', () => {
    const c: WinogradCase = { cin: 24, cout: 40, h: 31, w: 37, pad: [1, 1], batch: 2, bias: true, activation: 'none', seed: 7 };
    const { x, w, b } = tensors(c);
    expect(runChecked(ctx2, x, w, b, { padding: 1, algorithm: 'winograd' }, c.pad).threads).toBe(2);
  });

  it('panels of 4 rows on the SIMD128 build, 6 on the relaxed one (every last-panel remainder)', () => {
    for (const [i, cout] of [31, 36, 37, 38, 39].entries()) {
      const c: WinogradCase = { cin: 5, cout, h: 9, w: 13, pad: [1, 1], batch: 1, bias: true, activation: 'none', seed: 40 + i };
      const { x, w, b } = tensors(c);
      const info = runChecked(ctx, x, w, b, { padding: c.pad, algorithm: 'winograd' }, c.pad);
      expect(info.tile).toBe(`${build === 'simd128' ? 4 : 6}x8`);
    }
  });

  it('spans several blocks of tile rows (large channel counts)', () => {
    const c: WinogradCase = { cin: 96, cout: 7, h: 12, w: 70, pad: [1, 0], batch: 1, bias: false, activation: 'relu', seed: 11 };
    const { x, w, b } = tensors(c);
    runChecked(ctx, x, w, b, { padding: c.pad, activation: 'relu', algorithm: 'winograd' }, c.pad);
  });

  it.each([
    ['conv2d', 1, [2, 3, 7, 63], [5, 3, 3, 3]],
    ['conv2d', 3, [2, 3, 11, 67], [5, 3, 3, 3]],
    ['conv3d', 1, [2, 3, 5, 7, 9], [5, 3, 3, 3, 3]],
  ] as const)('%s (dilation %d): writes nothing past its output (odd sizes, so edge tiles are partial)', async (op, dilation, xShape, wShape) => {
    const fresh = await sc.createContext({ build });
    const next = rng(13);
    const x = randomTensor(xShape, next);
    const w = randomTensor(wShape, next);
    const options: ConvOptions = { padding: 0, dilation: new Array<number>(xShape.length - 2).fill(dilation), algorithm: 'winograd' };
    const plan = op === 'conv2d' ? sc.createConv2d(w, null, options, fresh) : sc.createConv3d(w, null, options, fresh);
    const input = fresh.tensor(xShape, x.data);
    const out = fresh.tensor(plan.outputShape(xShape));
    // Allocated right after the output (first fit on a fresh heap) and its 64 bytes of slack: anything written
    // a row past the output (244 bytes and more here) lands here.
    const guard = fresh.tensor([4096], new Float32Array(4096).fill(7.5));
    plan.run(input, out);
    expect(guard.data.every((v) => v === 7.5)).toBe(true);
    expectWinogradClose({ shape: out.shape, data: new Float32Array(out.data) }, x, w, null, options, new Array(xShape.length - 2).fill(0));
    plan.dispose();
  });

  it('gives NaN exactly where the window holds a NaN input', () => {
    const c: WinogradCase = { cin: 3, cout: 5, h: 9, w: 11, pad: [1, 1], batch: 1, bias: true, activation: 'none', seed: 3 };
    const { x, w, b } = tensors(c);
    for (const at of [0, 4 * 11 + 5, 8 * 11 + 10, 9 * 11 * 2 + 3 * 11 + 7]) {
      const data = new Float32Array(x.data);
      data[at] = NaN;
      const xn = { shape: x.shape, data };
      const options: ConvOptions = { padding: 1, algorithm: 'winograd' };
      expect(referenceConv('conv2d', xn, w, b, options).data.some(Number.isNaN)).toBe(true);
      runChecked(ctx, xn, w, b, options, c.pad);
    }
  });

  it.each<[string, ConvOptions, number[]]>([
    ['stride 2', { stride: 2, padding: 1 }, [5, 3, 3, 3]],
    ['5x5 kernel', { padding: 2 }, [5, 3, 5, 5]],
    ['groups', { groups: 3, padding: 1 }, [6, 1, 3, 3]],
    ['reflect padding', { padding: 1, paddingMode: 'reflect' }, [5, 3, 3, 3]],
  ])('falls back to the default path: %s', (_name, base, wShape) => {
    const next = rng(5);
    const options: ConvOptions = { ...base, algorithm: 'winograd' };
    const x = randomTensor(options.layout === 'channels-last' ? [2, 9, 10, 3] : [2, 3, 9, 10], next);
    const w = randomTensor(wShape, next);
    const y = sc.createConv2d(w, null, options, ctx).run(x);
    const plan = sc.createConv2d(w, null, options, ctx);
    plan.run(x);
    expect(plan.info.path).not.toBe('winograd');
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { ...base });
    expectConvClose(
      y,
      referenceConv('conv2d', x, w, null, base),
      bound.data,
      wShape.slice(1).reduce((p, k) => p * k, 1),
    );
  });
});

describe('the algorithm option', () => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ backend: 'js' });
  });

  it('is validated', () => {
    const w = randomTensor([2, 2, 3, 3], rng(1));
    expect(() => sc.createConv2d(w, null, { algorithm: 'turbo' as never }, ctx)).toThrow(/options\.algorithm.*'default', 'winograd' or 'fast'/);
  });

  it('is accepted and ignored by the js backend', () => {
    const next = rng(2);
    const x = randomTensor([1, 2, 6, 7], next);
    const w = randomTensor([3, 2, 3, 3], next);
    for (const algorithm of ['winograd', 'fast'] as const) {
      const options: ConvOptions = { padding: 1, algorithm };
      const y = sc.createConv2d(w, null, options, ctx).run(x);
      const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 });
      expectConvClose(y, referenceConv('conv2d', x, w, null, options), bound.data, 18);
    }
  });
});

/**
 * `algorithm: 'fast'`: per input shape, Winograd where the cost model predicts it faster, else the default path;
 * each result within the bound of the algorithm that ran (plan.info.path says which).
 */
describe.each(['simd128', 'relaxed'] as const)("algorithm 'fast' on %s", (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
  });

  /** Runs `plan` on x, checks the result within the bound of the path it took; returns that path. */
  function runFast(plan: sc.ConvPlan, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions, pad: readonly number[]): string {
    const y = plan.run(x);
    const path = plan.info.path;
    if (plan.info.flags.transform === 'F(4x4, 3x3)') {
      const { algorithm: _fast, ...exact } = options;
      expectConvClose(y, referenceConv('conv2d', x, w, b, exact), windowBound(x, w, b, pad, undefined, F43), x.shape[1]! + 12);
    } else if (path === 'winograd') expectWinogradClose(y, x, w, b, options, pad);
    else {
      const { algorithm: _fast, ...exact } = options;
      const bound = referenceConv(x.shape.length === 4 ? 'conv2d' : 'conv3d', absTensor(x), absTensor(w), b && absTensor(b), exact);
      expectConvClose(y, referenceConv(x.shape.length === 4 ? 'conv2d' : 'conv3d', x, w, b, exact), bound.data, w.data.length / w.shape[0]! + 1);
    }
    return path;
  }

  it('picks Winograd on wide 3x3 layers and the default path where transforms or dilation phases dominate', () => {
    const next = rng(11);
    const cases: Array<[string, number[], number[], ConvOptions, string]> = [
      // 32 channels on 20x20: 0.44 of the multiplies plus transforms, predicted ~0.6 of the default time.
      ['32->32 20x20', [1, 32, 20, 20], [32, 32, 3, 3], { padding: 1 }, 'winograd'],
      ['conv3d 32->32 4x16x16', [1, 32, 4, 16, 16], [32, 32, 3, 3, 3], { padding: 1 }, 'winograd'],
      // 3-D on 4x6x6: a third of the tiles computed are round-up.
      ['conv3d 16->16 4x6x6', [1, 16, 4, 6, 6], [16, 16, 3, 3, 3], { padding: 1 }, 'direct'],
      ['dilation 2, 32->32 32x32', [2, 32, 32, 32], [32, 32, 3, 3], { padding: 2, dilation: 2 }, 'winograd'],
      // Three input channels: the input transform costs more than the multiplies it saves.
      ['3->16 24x24', [1, 3, 24, 24], [16, 3, 3, 3], { padding: 1 }, 'direct'],
      // Dilation 8 on 14x14: 64 phases of one or two tiles each, mostly round-up.
      ['dilation 8, 16->16 14x14', [1, 16, 14, 14], [16, 16, 3, 3], { padding: 8, dilation: 8 }, 'direct'],
    ];
    for (const [name, xs, ws, base, want] of cases) {
      const x = randomTensor(xs, next);
      const w = randomTensor(ws, next);
      const b = randomTensor([ws[0]!], next);
      const options: ConvOptions = { ...base, algorithm: 'fast', activation: 'relu' };
      const plan = xs.length === 4 ? sc.createConv2d(w, b, options, ctx) : sc.createConv3d(w, b, options, ctx);
      const pad = xs.slice(2).map(() => base.padding as number);
      const path = runFast(plan, x, w, b, options, pad);
      expect(path === 'winograd' ? 'winograd' : 'direct', name).toBe(want);
      plan.dispose();
    }
  });

  it('chooses per input shape: one plan, both paths, each within its bound, the same choice for the same shape', () => {
    const next = rng(12);
    const w = randomTensor([32, 32, 3, 3], next);
    const options: ConvOptions = { padding: 1, algorithm: 'fast' };
    const plan = sc.createConv2d(w, null, options, ctx);
    const big = randomTensor([1, 32, 24, 24], next);
    // 2x2 outputs: one tile row of four tile columns for one real tile, the rest round-up.
    const tiny = randomTensor([2, 32, 2, 2], next);
    const paths = [big, tiny, big, tiny].map((x) => runFast(plan, x, w, null, options, [1, 1]));
    expect(paths[0]).toBe('winograd');
    expect(paths[1]).not.toBe('winograd');
    expect(paths.slice(2)).toEqual(paths.slice(0, 2));
    // Both packed weight sets are held: Winograd's 16 transformed matrices and the default panels.
    expect(plan.info.weightBytes).toBeGreaterThan(16 * 32 * 32 * 4);
    plan.dispose();
    expect(() => plan.run(big)).toThrow(sc.SimdconvError);
    expect(plan.info.path).toBe(paths[1]);
  });

  it('F(4x4, 3x3) on wide maps: within its own bound (odd sizes, padding, batch, bias, activations, layouts, one and two threads)', async () => {
    const ctx2 = await sc.createContext({ build, threads: 2 });
    fc.assert(
      fc.property(
        fc.record({
          // From 24 channels the cost model takes F(4x4, 3x3) on all of these sizes.
          cin: fc.integer({ min: 24, max: 29 }),
          cout: fc.integer({ min: 24, max: 31 }),
          h: fc.integer({ min: 26, max: 35 }),
          w: fc.integer({ min: 26, max: 37 }),
          pad: fc.integer({ min: 0, max: 2 }),
          batch: fc.integer({ min: 1, max: 2 }),
          bias: fc.boolean(),
          activation: fc.constantFrom('none' as const, 'relu' as const, 'relu6' as const),
          layout: fc.constantFrom('channels-first' as const, 'channels-last' as const),
          threads: fc.constantFrom(1, 2),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        (c) => {
          const next = rng(c.seed);
          const x = randomTensor([c.batch, c.cin, c.h, c.w], next);
          const w = randomTensor([c.cout, c.cin, 3, 3], next);
          const b = c.bias ? randomTensor([c.cout], next) : null;
          const options: ConvOptions = { padding: c.pad, activation: c.activation, layout: c.layout, algorithm: 'fast' };
          const plan = sc.createConv2d(w, b, options, c.threads === 2 ? ctx2 : ctx);
          const last = c.layout === 'channels-last';
          const y = last ? moveChannels(plan.run(moveChannels(x, true)), false) : plan.run(x);
          expect(plan.info.flags.transform).toBe('F(4x4, 3x3)');
          // Cin + 14 roundings at most (assembly/winograd-f43.ts); errorBound adds the last 2.
          const exact = { padding: c.pad, activation: c.activation };
          expectConvClose(y, referenceConv('conv2d', x, w, b, exact), windowBound(x, w, b, [c.pad, c.pad], undefined, F43), c.cin + 12);
          plan.dispose();
        },
      ),
      { numRuns: 12 },
    );
    ctx2.dispose();
  });

  it('F(4x4, 3x3) propagates NaN to the outputs of the tiles whose patch holds it, as its bound allows', () => {
    const next = rng(15);
    const x = randomTensor([1, 16, 28, 28], next);
    x.data[5 * 784 + 13 * 28 + 13] = NaN;
    const w = randomTensor([16, 16, 3, 3], next);
    const plan = sc.createConv2d(w, null, { padding: 1, algorithm: 'fast' }, ctx);
    const y = plan.run(x);
    expect(plan.info.flags.transform).toBe('F(4x4, 3x3)');
    const ref = referenceConv('conv2d', x, w, null, { padding: 1 });
    expectConvClose(y, ref, windowBound(x, w, null, [1, 1], undefined, F43), 16 + 12);
    // Outputs far from it stay finite.
    expect(Number.isFinite(y.data[3 * 784 + 2 * 28 + 20])).toBe(true);
    plan.dispose();
  });

  it('picks F(2x2, 3x3) over F(4x4, 3x3) on small maps (14x14: 16 tiles of 4x4)', () => {
    const next = rng(16);
    const x = randomTensor([1, 64, 14, 14], next);
    const w = randomTensor([64, 64, 3, 3], next);
    const plan = sc.createConv2d(w, null, { padding: 1, algorithm: 'fast' }, ctx);
    const y = plan.run(x);
    expect(plan.info.flags.transform).toBe('F(2x2, 3x3)');
    expectWinogradClose(y, x, w, null, { padding: 1 }, [1, 1]);
    plan.dispose();
  });

  it('runs the default path where Winograd does not apply (stride 2, groups, 5x5, reflect padding)', () => {
    const next = rng(13);
    for (const [base, ws] of [
      [{ stride: 2, padding: 1 }, [8, 8, 3, 3]],
      [{ groups: 2, padding: 1 }, [8, 4, 3, 3]],
      [{ padding: 2 }, [8, 8, 5, 5]],
      [{ padding: 1, paddingMode: 'reflect' }, [8, 8, 3, 3]],
    ] as Array<[ConvOptions, number[]]>) {
      const x = randomTensor([1, 8, 16, 16], next);
      const w = randomTensor(ws, next);
      const plan = sc.createConv2d(w, null, { ...base, algorithm: 'fast' }, ctx);
      const y = plan.run(x);
      expect(plan.info.path).not.toBe('winograd');
      const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, base);
      expectConvClose(y, referenceConv('conv2d', x, w, null, base), bound.data, w.data.length / w.shape[0]!);
      plan.dispose();
    }
  });

  it('runs on resident tensors and one-shot as a plan does', async () => {
    const next = rng(14);
    const x = randomTensor([1, 32, 16, 16], next);
    const w = randomTensor([32, 32, 3, 3], next);
    const plan = sc.createConv2d(w, null, { padding: 1, algorithm: 'fast' }, ctx);
    const y = plan.run(x);
    expect(plan.info.path).toBe('winograd');
    expectWinogradClose(y, x, w, null, { padding: 1 }, [1, 1]);
    const input = ctx.tensor(x.shape, x.data);
    expect(Array.from(plan.run(input).data)).toEqual(Array.from(y.data));
    input.dispose();
    plan.dispose();
    await sc.init({ build });
    expect(Array.from(sc.conv2d(x, w, null, { padding: 1, algorithm: 'fast' }).data)).toEqual(Array.from(y.data));
  });
});
