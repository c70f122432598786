/**
 * interpolate on every wasm build, the js backend and WebGPU-free contexts: PyTorch 1.13 golden fixtures
 * (test/fixtures/interpolate.json: every mode, size and scale factors, align_corners, corners, NaN/Inf) in both
 * layouts, within the float32 bound of a weighted sum, and every refusal PyTorch makes.
 *
 * Bound: an output is a nested sum of at most K = 4^rank products w x; ours and PyTorch's each lie within
 * gamma_{K+2 rank} * sum |w x| of the exact value (any order, weights equal up to their float32 rounding), so
 * within twice that of each other; sum |w x| <= max|x| * prod over axes of the largest sum |w| of a position
 * (1 for the linear and nearest modes, 1.375 for bicubic's A = -0.75).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { GpuContext } from '../src/webgpu.js';
import { type TestContexts, testContexts } from './helpers/contexts.js';

const U = 2 ** -24;
type Json = number | null | 'inf' | '-inf';
interface Case {
  name: string;
  options: Record<string, unknown>;
  input: { shape: number[]; data: Json[] };
  output: { shape: number[]; data: Json[] };
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/interpolate.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };
const decode = (d: Json[]) => Float32Array.from(d, (v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));

let contexts: Record<string, sc.Context>;
let gpu: GpuContext | null;
let all: TestContexts;
beforeAll(async () => {
  all = await testContexts('interpolate.test');
  ({ contexts, gpu } = all);
});
afterAll(() => all.dispose());

function toLast(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [N, C, ...sp] = shape as [number, number, ...number[]];
  const plane = sp.reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) out[(n * plane + i) * C + c] = data[(n * C + c) * plane + i]!;
  return { data: out, shape: [N, ...sp, C] };
}

function toFirst(data: Float32Array, shape: number[]): Float32Array {
  const [N, ...rest] = shape as [number, ...number[]];
  const C = rest[rest.length - 1]!;
  const plane = rest.slice(0, -1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) out[(n * C + c) * plane + i] = data[(n * plane + i) * C + c]!;
  return out;
}

describe(`PyTorch ${fixtures.torch} golden fixtures`, () => {
  it('cover every mode and rank', () => {
    const seen = new Set(fixtures.cases.map((c) => `${c.options.mode}-${c.input.shape.length - 2}`));
    for (const m of ['nearest', 'nearest-exact', 'area']) for (const r of [1, 2, 3]) expect(seen).toContain(`${m}-${r}`);
    for (const m of ['linear-1', 'bilinear-2', 'bicubic-2', 'trilinear-3']) expect(seen).toContain(m);
  });

  for (const layout of ['channels-first', 'channels-last'] as const) {
    it.each(fixtures.cases.map((c) => [c.name, c] as const))(`${layout}: %s`, async (_name, c) => {
      const x = decode(c.input.data);
      const expected = decode(c.output.data);
      const rank = c.input.shape.length - 2;
      const maxAbs = Math.max(0, ...Array.from(x).filter(Number.isFinite).map(Math.abs));
      const K = 4 ** rank;
      const gamma = ((K + 2 * rank) * U) / (1 - (K + 2 * rank) * U);
      const weightSum = c.options.mode === 'bicubic' ? 1.375 ** rank : 1;
      const bound = 2 * gamma * maxAbs * weightSum + 2 ** -126;
      const last = layout === 'channels-last';
      const input = last ? toLast(x, c.input.shape) : { data: x, shape: c.input.shape };
      for (const name of [...Object.keys(contexts), ...(gpu ? ['webgpu'] : [])]) {
        const options = { ...(c.options as sc.InterpolateOptions), ...(last && { layout }) };
        const plan = contexts[name] ? sc.createInterpolate(options, contexts[name]) : gpu!.createInterpolate(options);
        const raw = await plan.run(input);
        plan.dispose();
        const y = last ? toFirst(raw.data, raw.shape as number[]) : raw.data;
        const shape = last ? [raw.shape[0]!, raw.shape.at(-1)!, ...raw.shape.slice(1, -1)] : raw.shape;
        expect(shape, name).toEqual(c.output.shape);
        const bad = expected.findIndex((e, i) => {
          const a = y[i]!;
          if (!Number.isFinite(e)) return !(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)));
          return !(Math.abs(a - e) <= bound);
        });
        expect(bad, `${name}: [${bad}] got ${y[bad]}, torch ${expected[bad]} (bound ${bound})`).toBe(-1);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// An oracle written here from PyTorch's formulas (UpSample.h), in float64: per axis the source positions and
// weights of one output, then the nested sum.

function oracleTaps(mode: string, n: number, out: number, ac: boolean, scale: number | null): (o: number) => [number, number][] {
  const ratio = ac ? (out > 1 ? (n - 1) / (out - 1) : 0) : scale !== null ? 1 / scale : n / out;
  const clampIdx = (i: number) => Math.min(Math.max(i, 0), n - 1);
  // A nearest index is a floor, so float32 matters where the product lands next to an integer: PyTorch's
  // float scale, and floorf's rounding of the product to float, as in nearest_idx.
  const f = Math.fround;
  const fscale = scale !== null ? f(1 / scale) : f(n / out);
  if (mode === 'nearest') return (o) => [[out === n ? o : out === 2 * n ? o >> 1 : Math.min(Math.floor(f(o * fscale)), n - 1), 1]];
  if (mode === 'nearest-exact') return (o) => [[Math.min(Math.floor(f((o + 0.5) * fscale)), n - 1), 1]];
  if (mode === 'bicubic') {
    const A = -0.75;
    const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
    const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return (o) => {
      const real = ac ? ratio * o : ratio * (o + 0.5) - 0.5;
      const i = Math.floor(real);
      const t = real - i;
      return [
        [clampIdx(i - 1), c2(t + 1)],
        [clampIdx(i), c1(t)],
        [clampIdx(i + 1), c1(1 - t)],
        [clampIdx(i + 2), c2(2 - t)],
      ];
    };
  }
  return (o) => {
    if (out === n) return [[o, 1]];
    const real = Math.max(ac ? ratio * o : ratio * (o + 0.5) - 0.5, 0);
    const i = Math.floor(real);
    const l = real - i;
    return [
      [i, 1 - l],
      [Math.min(i + 1, n - 1), l],
    ];
  };
}

describe('property: every backend against the oracle', () => {
  it('random modes, sizes, factors, alignCorners, both layouts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
        fc.oneof(
          fc.record({ size: fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 3, maxLength: 3 }) }),
          fc.record({ scale: fc.array(fc.double({ min: 0.3, max: 3.2, noNaN: true }), { minLength: 3, maxLength: 3 }) }),
        ),
        fc.boolean(),
        fc.constantFrom<sc.Layout>('channels-first', 'channels-last'),
        fc.integer({ min: 1, max: 1e6 }),
        (mode, sizes, target, ac, layout, seed) => {
          const rank = mode === 'linear' ? 1 : mode === 'bilinear' || mode === 'bicubic' ? 2 : mode === 'trilinear' ? 3 : 1 + (seed % 3);
          const inSize = sizes.slice(0, rank);
          const scale = 'scale' in target ? target.scale.slice(0, rank).map((v, i) => Math.max(v, 1 / inSize[i]!)) : null;
          const outSize = scale ? inSize.map((n, i) => Math.floor(n * scale[i]!)) : (target as { size: number[] }).size.slice(0, rank);
          const interp = !mode.startsWith('nearest');
          let r = seed;
          const x = Float32Array.from(
            { length: 2 * 3 * inSize.reduce((a, b) => a * b, 1) },
            () => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1,
          );
          const shape = [2, 3, ...inSize];
          const taps = inSize.map((n, i) => oracleTaps(mode, n, outSize[i]!, interp && ac, scale ? scale[i]! : null));
          const want = new Float64Array(2 * 3 * outSize.reduce((a, b) => a * b, 1));
          const outPlane = want.length / 6;
          const inPlane = x.length / 6;
          for (let p = 0; p < 6; p++)
            for (let o = 0; o < outPlane; o++) {
              const pos: number[] = [];
              let rest = o;
              for (let a = rank - 1; a >= 0; a--) {
                pos[a] = rest % outSize[a]!;
                rest = Math.floor(rest / outSize[a]!);
              }
              const walk = (a: number, offset: number): number =>
                a === rank ? x[p * inPlane + offset]! : taps[a]!(pos[a]!).reduce((sum, [i, w]) => sum + w * walk(a + 1, offset * inSize[a]! + i), 0);
              want[p * outPlane + o] = walk(0, 0);
            }
          const options: sc.InterpolateOptions = {
            mode: mode as sc.InterpolateMode,
            ...(scale ? { scaleFactor: scale } : { size: outSize }),
            ...(interp && { alignCorners: ac }),
            layout,
          };
          const input = layout === 'channels-last' ? toLast(x, shape) : { data: x, shape };
          const K = 4 ** rank + 2 * rank + 8; // the sum's terms, its nesting, the float32 weights' roundings
          const bound = 2 * ((K * U) / (1 - K * U)) * (mode === 'bicubic' ? 1.375 ** rank : 1) + 2 ** -126;
          for (const [name, ctx] of Object.entries(contexts)) {
            const plan = sc.createInterpolate(options, ctx);
            const raw = plan.run(input);
            plan.dispose();
            const y = layout === 'channels-last' ? toFirst(raw.data, raw.shape as number[]) : raw.data;
            for (let i = 0; i < want.length; i++) {
              if (!(Math.abs(y[i]! - want[i]!) <= bound)) throw new Error(`${name} ${JSON.stringify(options)} [${shape}] at ${i}: ${y[i]} vs ${want[i]}`);
            }
          }
        },
      ),
      { numRuns: 120, seed: 0x1e7 },
    );
  });
});

describe('interpolate', () => {
  const x = { data: Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i)), shape: [2, 3, 4, 5] };

  it('one-shot, out, and a plan over several shapes', () => {
    const y = sc.interpolate(x, { scaleFactor: 2, mode: 'bilinear' });
    expect(y.shape).toEqual([2, 3, 8, 10]);
    const out = { data: new Float32Array(y.data.length), shape: y.shape };
    expect(sc.interpolate(x, { scaleFactor: 2, mode: 'bilinear', out })).toBe(out);
    expect(out.data).toEqual(y.data);
    const plan = sc.createInterpolate({ scaleFactor: 0.5, mode: 'area' });
    expect(plan.run(x).shape).toEqual([2, 3, 2, 2]);
    expect(plan.run({ data: new Float32Array(3 * 6 * 6), shape: [1, 3, 6, 6] }).shape).toEqual([1, 3, 3, 3]);
    expect(plan.outputShape([1, 3, 10, 9])).toEqual([1, 3, 5, 4]);
    plan.dispose();
    // nearest x2 repeats each value
    const n = sc.interpolate({ data: Float32Array.of(1, 2, 3, 4), shape: [1, 1, 2, 2] }, { scaleFactor: 2 });
    expect(Array.from(n.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  const refusals: Array<[string, () => unknown, string, string]> = [
    ['neither size nor scaleFactor', () => sc.interpolate(x, {}), 'INVALID_ARGUMENT', 'options.size'],
    ['both', () => sc.interpolate(x, { size: 4, scaleFactor: 2 }), 'INVALID_ARGUMENT', 'options.size'],
    ['alignCorners with nearest', () => sc.interpolate(x, { size: 4, alignCorners: false }), 'INVALID_ARGUMENT', 'options.alignCorners'],
    ['alignCorners with area', () => sc.interpolate(x, { size: 4, mode: 'area', alignCorners: true }), 'INVALID_ARGUMENT', 'options.alignCorners'],
    ['bilinear on 3-D input', () => sc.interpolate({ data: new Float32Array(6), shape: [1, 2, 3] }, { size: 4, mode: 'bilinear' }), 'INVALID_RANK', 'input'],
    ['linear on 4-D input', () => sc.interpolate(x, { size: 4, mode: 'linear' }), 'INVALID_RANK', 'input'],
    ['trilinear on 4-D input', () => sc.interpolate(x, { size: 4, mode: 'trilinear' }), 'INVALID_RANK', 'input'],
    ['unbatched input', () => sc.interpolate({ data: new Float32Array(20), shape: [4, 5] }, { size: 4 }), 'INVALID_RANK', 'input'],
    ['unknown mode', () => sc.interpolate(x, { size: 4, mode: 'cubic' as sc.InterpolateMode }), 'INVALID_ARGUMENT', 'options.mode'],
    ['size 0', () => sc.interpolate(x, { size: 0 }), 'INVALID_ARGUMENT', 'options.size'],
    ['size of the wrong length', () => sc.interpolate(x, { size: [4, 4, 4] }), 'INVALID_ARGUMENT', 'options.size'],
    ['scaleFactor -1', () => sc.interpolate(x, { scaleFactor: -1 }), 'INVALID_ARGUMENT', 'options.scaleFactor'],
    ['scaleFactor giving no output', () => sc.interpolate(x, { scaleFactor: 0.1 }), 'EMPTY_OUTPUT', 'options.scaleFactor'],
    ['misspelt option', () => sc.interpolate(x, { size: 4, align_corners: true } as sc.InterpolateOptions), 'INVALID_ARGUMENT', 'options.align_corners'],
    ['out on a plan', () => sc.createInterpolate({ size: 4, out: x } as sc.InterpolateOptions), 'INVALID_ARGUMENT', 'options.out'],
  ];
  it.each(refusals)('refuses %s', (_name, call, code, argument) => {
    expect(call).toThrow(expect.objectContaining({ code, argument }));
  });
});
