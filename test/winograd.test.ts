/**
 * The opt-in Winograd F(2x2, 3x3) path (`algorithm: 'winograd'`): against the float64 reference within the
 * algorithm's own float32 error bound, on both wasm builds, one and two threads; where it does not apply, the
 * option falls back to the default path (and the default bound).
 *
 * The bound. Y = A^T [sum_c (G g G^T) . (B^T d B)] A is evaluated as short sums: U = G g G^T rounded once,
 * V = B^T d B in two passes of 2-term sums (2 roundings), one product, Cin - 1 additions over channels, A^T .. A
 * in two passes of 3-term sums (4 roundings), the bias add (1). So every term carries at most Cin + 9
 * roundings, and |error| <= gamma_(Cin+9) * sum over terms of |coefficient product| |w| |x|, the sum taken
 * through |A^T|, |G| and |B^T| (a few times the direct convolution's sum |w| |x|). windowBound computes that
 * sum in float64; zero coefficients are skipped, so a NaN input only widens the bound of outputs it reaches.
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

/** sum_ab |L_ia| |X_ab| |L_jb| over nonzero coefficients (a NaN in X reaches only the (i, j) it feeds). */
function absTransform(L: number[][], X: (a: number, b: number) => number, n: number): number[][] {
  return L.map((li) =>
    L.map((lj) => {
      let s = 0;
      for (let a = 0; a < n; a++) {
        if (li[a] === 0) continue;
        for (let b = 0; b < n; b++) if (lj[b] !== 0) s += Math.abs(li[a]!) * Math.abs(X(a, b)) * Math.abs(lj[b]!);
      }
      return s;
    }),
  );
}

/** The Winograd sum of |terms| per output, plus |bias| (see the top of this file). */
function windowBound(x: Tensor, w: Tensor, b: Tensor | null, padding: [number, number]): Float64Array {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const K = w.shape[0]!;
  const OH = H + 2 * padding[0] - 2;
  const OW = W + 2 * padding[1] - 2;
  const out = new Float64Array(N * K * OH * OW);
  const u = Array.from({ length: K * C }, (_, i) => absTransform(G, (a, c) => w.data[i * 9 + a * 3 + c]!, 3));
  for (let n = 0; n < N; n++) {
    for (let ty = 0; ty < Math.ceil(OH / 2); ty++) {
      for (let tx = 0; tx < Math.ceil(OW / 2); tx++) {
        const v = Array.from({ length: C }, (_, c) =>
          absTransform(BT, (a, e) => {
            const iy = 2 * ty + a - padding[0];
            const ix = 2 * tx + e - padding[1];
            return iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : x.data[((n * C + c) * H + iy) * W + ix]!;
          }, 4),
        );
        for (let k = 0; k < K; k++) {
          const m = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => {
            let s = 0;
            for (let c = 0; c < C; c++) s += u[k * C + c]![i]![j]! * v[c]![i]![j]!;
            return s;
          }));
          for (let r = 0; r < 2; r++) {
            for (let s = 0; s < 2; s++) {
              const oy = 2 * ty + r;
              const ox = 2 * tx + s;
              if (oy >= OH || ox >= OW) continue;
              let sum = b ? Math.abs(b.data[k]!) : 0;
              for (let i = 0; i < 4; i++) {
                if (AT[r]![i] === 0) continue;
                for (let j = 0; j < 4; j++) if (AT[s]![j] !== 0) sum += m[i]![j]!;
              }
              out[((n * K + k) * OH + oy) * OW + ox] = sum;
            }
          }
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
  batch: number;
  bias: boolean;
  activation: 'none' | 'relu' | 'relu6';
  seed: number;
}

const caseArb: fc.Arbitrary<WinogradCase> = fc
  .record({
    cin: fc.integer({ min: 1, max: 12 }),
    cout: fc.integer({ min: 1, max: 14 }),
    h: fc.integer({ min: 1, max: 13 }),
    w: fc.integer({ min: 1, max: 21 }),
    pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    batch: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
    activation: fc.constantFrom('none' as const, 'relu' as const, 'relu6' as const),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .filter((c) => c.h + 2 * c.pad[0] >= 3 && c.w + 2 * c.pad[1] >= 3);

function tensors(c: WinogradCase): { x: Tensor; w: Tensor; b: Tensor | null } {
  const next = rng(c.seed);
  return {
    x: randomTensor([c.batch, c.cin, c.h, c.w], next),
    w: randomTensor([c.cout, c.cin, 3, 3], next),
    b: c.bias ? randomTensor([c.cout], next) : null,
  };
}

function expectWinogradClose(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, options: ConvOptions, pad: [number, number]): void {
  expectConvClose(y, referenceConv('conv2d', x, w, b, options), windowBound(x, w, b, pad), x.shape[1]! + 7);
}

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
      fc.property(caseArb, (c) => {
        const { x, w, b } = tensors(c);
        const options: ConvOptions = { padding: c.pad, activation: c.activation, algorithm: 'winograd' };
        const plan = sc.createConv2d(w, b, options, ctx);
        const y = plan.run(x);
        expect(plan.info.kernel).toMatch(/^winograd-f2x2-3x3/);
        expectWinogradClose(y, x, w, b, options, c.pad);
        plan.dispose();
      }),
      { numRuns: 150 },
    );
  });

  it('splits tile rows across two threads', () => {
    const c: WinogradCase = { cin: 24, cout: 40, h: 31, w: 37, pad: [1, 1], batch: 2, bias: true, activation: 'none', seed: 7 };
    const { x, w, b } = tensors(c);
    const options: ConvOptions = { padding: 1, algorithm: 'winograd' };
    const plan = sc.createConv2d(w, b, options, ctx2);
    const y = plan.run(x);
    expect(plan.info.threads).toBe(2);
    expectWinogradClose(y, x, w, b, options, c.pad);
    plan.dispose();
  });

  it('spans several blocks of tile rows (large channel counts)', () => {
    const c: WinogradCase = { cin: 96, cout: 7, h: 40, w: 70, pad: [1, 0], batch: 1, bias: false, activation: 'relu', seed: 11 };
    const { x, w, b } = tensors(c);
    const options: ConvOptions = { padding: c.pad, activation: 'relu', algorithm: 'winograd' };
    const y = sc.createConv2d(w, b, options, ctx).run(x);
    expectWinogradClose(y, x, w, b, options, c.pad);
  });

  it('gives NaN exactly where the window holds a NaN input', () => {
    const c: WinogradCase = { cin: 3, cout: 5, h: 9, w: 11, pad: [1, 1], batch: 1, bias: true, activation: 'none', seed: 3 };
    const { x, w, b } = tensors(c);
    for (const at of [0, 4 * 11 + 5, 8 * 11 + 10, 9 * 11 * 2 + 3 * 11 + 7]) {
      const data = new Float32Array(x.data);
      data[at] = NaN;
      const xn = { shape: x.shape, data };
      const options: ConvOptions = { padding: 1, algorithm: 'winograd' };
      const y = sc.createConv2d(w, b, options, ctx).run(xn);
      const expected = referenceConv('conv2d', xn, w, b, options);
      expect(expected.data.some(Number.isNaN)).toBe(true);
      expectWinogradClose(y, xn, w, b, options, c.pad);
    }
  });

  it.each<[string, ConvOptions, number[]]>([
    ['stride 2', { stride: 2, padding: 1 }, [5, 3, 3, 3]],
    ['dilation 2', { dilation: 2, padding: 2 }, [5, 3, 3, 3]],
    ['5x5 kernel', { padding: 2 }, [5, 3, 5, 5]],
    ['groups', { groups: 3, padding: 1 }, [6, 1, 3, 3]],
    ['reflect padding', { padding: 1, paddingMode: 'reflect' }, [5, 3, 3, 3]],
    ['channels-last', { padding: 1, layout: 'channels-last' }, [5, 3, 3, 3]],
  ])('falls back to the default path: %s', (_name, base, wShape) => {
    const next = rng(5);
    const options: ConvOptions = { ...base, algorithm: 'winograd' };
    const x = randomTensor(options.layout === 'channels-last' ? [2, 9, 10, 3] : [2, 3, 9, 10], next);
    const w = randomTensor(wShape, next);
    const y = sc.createConv2d(w, null, options, ctx).run(x);
    const plan = sc.createConv2d(w, null, options, ctx);
    plan.run(x);
    expect(plan.info.kernel).not.toMatch(/winograd/);
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { ...base });
    expectConvClose(y, referenceConv('conv2d', x, w, null, base), bound.data, wShape.slice(1).reduce((p, k) => p * k, 1));
  });
});

describe('the algorithm option', () => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ backend: 'js' });
  });

  it('is validated', () => {
    const w = randomTensor([2, 2, 3, 3], rng(1));
    expect(() => sc.createConv2d(w, null, { algorithm: 'fast' as never }, ctx)).toThrow(/options\.algorithm.*'default' or 'winograd'/);
  });

  it('is accepted and ignored by the js backend', () => {
    const next = rng(2);
    const x = randomTensor([1, 2, 6, 7], next);
    const w = randomTensor([3, 2, 3, 3], next);
    const options: ConvOptions = { padding: 1, algorithm: 'winograd' };
    const y = sc.createConv2d(w, null, options, ctx).run(x);
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 });
    expectConvClose(y, referenceConv('conv2d', x, w, null, options), bound.data, 18);
  });
});
