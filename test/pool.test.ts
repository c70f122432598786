/**
 * Pooling (max, average, adaptive; 1-D to 3-D; both layouts; batched or not) on every backend:
 * - PyTorch 1.13 golden fixtures (test/fixtures/pool.json, from generate_pool.py): max values and indices bit
 *   for bit (NaN, Inf, ties, signed zeros), averages within the float32 bound of their sums;
 * - a property against an oracle written here from PyTorch's formulas (not from src/pool-shape.ts);
 * - plans reused across shapes, `out`, and every refusal PyTorch makes, as a SimdconvError naming the argument.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { GpuContext } from '../src/webgpu.js';
import { type TestContexts, testContexts } from './helpers/contexts.js';
import { rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x9001 });

const U = 2 ** -24;
type Json = number | null | 'inf' | '-inf';

interface PoolCase {
  readonly name: string;
  readonly op: string;
  readonly options: Record<string, unknown>;
  readonly input: { shape: number[]; data: Json[]; negZero: number[] };
  readonly output: { shape: number[]; data: Json[]; negZero: number[] };
  readonly indices?: number[];
  readonly absOutput?: Json[];
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/pool.json', import.meta.url), 'utf8')) as { torch: string; cases: PoolCase[] };

function decode(data: Json[], negZero: number[]): Float32Array {
  return Float32Array.from(data, (v, i) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : negZero[i] ? -0 : v));
}

let contexts: Record<string, sc.Context>;
let gpu: GpuContext | null;
let all: TestContexts;
beforeAll(async () => {
  all = await testContexts('pool.test');
  ({ contexts, gpu } = all);
});
afterAll(() => all.dispose());

/** A plan of op `op` ('maxPool2d', 'adaptiveAvgPool1d', ...) with fixture-style options on `ctx`. */
function planOf(op: string, options: Record<string, unknown>, ctx: sc.Context): sc.PoolPlan {
  const create = (sc as unknown as Record<string, (...a: unknown[]) => sc.PoolPlan>)[`create${op[0]!.toUpperCase()}${op.slice(1)}`]!;
  if (op.startsWith('adaptive')) {
    const { outputSize, ...rest } = options;
    return create(outputSize, rest, ctx);
  }
  return create(options, ctx);
}

/** (N, C, *spatial) <-> (N, *spatial, C), or (C, *s) <-> (*s, C) unbatched (`rank` spatial axes). */
function moveChannels(data: ArrayLike<number>, shape: readonly number[], rank: number, toLast: boolean): { data: Float32Array; shape: number[] } {
  const batched = shape.length === rank + 2;
  const N = batched ? shape[0]! : 1;
  const C = toLast ? shape[batched ? 1 : 0]! : shape[shape.length - 1]!;
  const spatial = toLast ? shape.slice(batched ? 2 : 1) : shape.slice(batched ? 1 : 0, -1);
  const plane = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(N * C * plane);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < plane; i++) {
        const first = (n * C + c) * plane + i;
        const last = (n * plane + i) * C + c;
        if (toLast) out[last] = data[first]!;
        else out[first] = data[last]!;
      }
  const lead = batched ? [N] : [];
  return { data: out, shape: toLast ? [...lead, ...spatial, C] : [...lead, C, ...spatial] };
}

function sameFloat(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** The most taps a window of this case can hold (the reduction of an average). */
function windowTaps(c: PoolCase, rank: number): number {
  const size = c.input.shape.slice(-rank);
  if (c.op.startsWith('adaptive')) {
    const target = c.options.outputSize as number | (number | null)[];
    const out = size.map((n, i) => (typeof target === 'number' ? target : (target[i] ?? n)));
    return size.reduce((k, n, i) => k * (Math.ceil(n / out[i]!) + 1), 1);
  }
  const k = c.options.kernelSize as number | number[];
  return size.reduce((p, _, i) => p * (typeof k === 'number' ? k : k[i]!), 1);
}

describe(`PyTorch ${fixtures.torch} golden fixtures`, () => {
  it('cover every op and the corners', () => {
    const ops = new Set(fixtures.cases.map((c) => c.op));
    for (const r of [1, 2, 3]) for (const op of ['maxPool', 'avgPool', 'adaptiveAvgPool', 'adaptiveMaxPool']) expect(ops).toContain(`${op}${r}d`);
    expect(fixtures.cases.length).toBeGreaterThan(150);
  });

  for (const layout of ['channels-first', 'channels-last'] as const) {
    it.each(fixtures.cases.map((c) => [c.name, c] as const))(`${layout}: %s`, (_name, c) => {
      const rank = Number(c.op.at(-2));
      const x = decode(c.input.data, c.input.negZero);
      const expected = decode(c.output.data, c.output.negZero);
      const last = layout === 'channels-last';
      const input = last ? moveChannels(x, c.input.shape, rank, true) : { data: x, shape: c.input.shape };
      for (const [name, ctx] of Object.entries(contexts)) {
        const plan = planOf(c.op, { ...c.options, returnIndices: undefined, ...(last && { layout }) }, ctx);
        const result = c.indices ? plan.runWithIndices(input) : { output: plan.run(input), indices: null };
        plan.dispose();
        const y = last ? moveChannels(result.output.data, result.output.shape, rank, false) : result.output;
        expect(y.shape, `${name} shape`).toEqual(c.output.shape);
        if (c.indices) {
          const ind = last ? moveChannels(result.indices!.data, result.indices!.shape, rank, false).data : result.indices!.data;
          const bad = expected.findIndex((e, i) => !sameFloat(y.data[i]!, e) || ind[i] !== c.indices![i]);
          expect(bad, `${name}: [${bad}] got ${y.data[bad]} at ${ind[bad]}, torch ${expected[bad]} at ${c.indices[bad]}`).toBe(-1);
        } else {
          const abs = decode(c.absOutput!, []);
          const k = windowTaps(c, rank);
          const gamma = ((k + 3) * U) / (1 - (k + 3) * U);
          const bad = expected.findIndex((e, i) => {
            const a = y.data[i]!;
            if (!Number.isFinite(e) || !Number.isFinite(abs[i]!)) return !sameFloat(a, e);
            return !(Math.abs(a - e) <= gamma * abs[i]! + 2 * U * Math.abs(e) + 2 ** -126);
          });
          expect(bad, `${name}: [${bad}] got ${y.data[bad]}, torch ${expected[bad]}`).toBe(-1);
        }
      }
    });
  }
});

describe('WebGPU: the golden fixtures', () => {
  // WGSL's division is within 2.5 ulp (not correctly rounded); an adaptive average divides three times.
  const DIVISION_ULPS = 8;
  for (const layout of ['channels-first', 'channels-last'] as const) {
    it(`every case, ${layout}`, async () => {
      if (!gpu) return expect(process.env.SIMDCONV_REQUIRE_WEBGPU).not.toBe('1');
      const last = layout === 'channels-last';
      for (const c of fixtures.cases) {
        const rank = Number(c.op.at(-2));
        const x = decode(c.input.data, c.input.negZero);
        const expected = decode(c.output.data, c.output.negZero);
        const input = last ? moveChannels(x, c.input.shape, rank, true) : { data: x, shape: c.input.shape };
        const create = (gpu as unknown as Record<string, (...a: unknown[]) => import('../src/webgpu.js').GpuPoolPlan>)[
          `create${c.op[0]!.toUpperCase()}${c.op.slice(1)}`
        ]!;
        const { outputSize, returnIndices: _r, ...rest } = c.options;
        const options = { ...rest, ...(last && { layout }) };
        const plan = c.op.startsWith('adaptive') ? create(outputSize, options) : create(options);
        const result = c.indices ? await plan.runWithIndices(input) : { output: await plan.run(input), indices: null };
        plan.dispose();
        const y = last ? moveChannels(result.output.data, result.output.shape, rank, false) : result.output;
        expect(y.shape, c.name).toEqual(c.output.shape);
        const abs = c.absOutput ? decode(c.absOutput, []) : null;
        const k = windowTaps(c, rank);
        const gamma = ((k + 3) * U) / (1 - (k + 3) * U);
        const ind = result.indices && (last ? moveChannels(result.indices.data, result.indices.shape, rank, false).data : result.indices.data);
        const bad = expected.findIndex((e, i) => {
          const a = y.data[i]!;
          if (ind) return !sameFloat(a, e) || ind[i] !== c.indices![i];
          if (!abs || !Number.isFinite(e) || !Number.isFinite(abs[i]!)) return !sameFloat(a, e);
          return !(Math.abs(a - e) <= gamma * abs[i]! + DIVISION_ULPS * 2 * U * Math.abs(e) + 2 ** -126);
        });
        expect(
          bad,
          `${c.name}: [${bad}] got ${y.data[bad]}${ind ? ` @${ind[bad]}` : ''}, torch ${expected[bad]}${c.indices ? ` @${c.indices[bad]}` : ''}`,
        ).toBe(-1);
      }
    });
  }

  it('one-shot ops, resident chaining with a convolution, and out', async () => {
    if (!gpu) return expect(process.env.SIMDCONV_REQUIRE_WEBGPU).not.toBe('1');
    const x = { data: Float32Array.from([1, 5, 2, 0, 3, 4, 9, 9, 7, 8, 1, 1, 6, 2, 3, 0]), shape: [1, 1, 4, 4] };
    expect(Array.from((await gpu.maxPool2d(x, { kernelSize: 2 })).data)).toEqual([5, 9, 8, 3]);
    const r = await gpu.maxPool2d(x, { kernelSize: 2, returnIndices: true });
    expect(Array.from(r.indices.data)).toEqual([1, 6, 9, 14]);
    const into = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    expect((await gpu.maxPool2d(x, { kernelSize: 2, returnIndices: true, out: into })).output).toBe(into);
    expect(Array.from(into.data)).toEqual([5, 9, 8, 3]);
    const out = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    expect(await gpu.avgPool2d(x, { kernelSize: 2, out })).toBe(out);
    expect(Array.from(out.data)).toEqual([3.25, 5, 5.75, 1.25]);
    const conv = gpu.createConv2d({ data: Float32Array.of(2), shape: [1, 1, 1, 1] });
    const pool = gpu.createMaxPool2d({ kernelSize: 2 });
    const h = conv.runResident(x);
    expect(Array.from((await pool.run(h)).data)).toEqual([10, 18, 16, 6]);
    h.dispose();
    conv.dispose();
    pool.dispose();
    await expect(gpu.maxPool2d(x, { kernelSize: 3, padding: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.padding' });
    expect(() => gpu!.createMaxPool2d({ kernelSize: 2, out } as sc.MaxPoolOptions)).toThrow(expect.objectContaining({ argument: 'options.out' }));
  });
});

// ---------------------------------------------------------------------------------------------------------
// An oracle from PyTorch's formulas, written here: output sizes (pooling_output_shape), windows, the max rule.

function oracleSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

interface OracleOptions {
  kind: 'max' | 'avg' | 'adaptive-max' | 'adaptive-avg';
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  ceil: boolean;
  cip: boolean;
  div: number | null;
  out: number[];
}

/** Channels-first, batched: values (float64 sums for averages) and plane indices. */
function oracle(x: Float32Array, shape: number[], o: OracleOptions): { shape: number[]; data: Float64Array; indices: Int32Array; abs: Float64Array } {
  const [N, C, ...size] = shape as [number, number, ...number[]];
  const rank = size.length;
  const adaptive = o.kind.startsWith('adaptive');
  const outSize = adaptive ? o.out : size.map((n, a) => oracleSize(n, o.k[a]!, o.s[a]!, o.p[a]!, o.d[a]!, o.ceil));
  const plane = size.reduce((a, b) => a * b, 1);
  const outPlane = outSize.reduce((a, b) => a * b, 1);
  const data = new Float64Array(N * C * outPlane);
  const abs = new Float64Array(data.length);
  const indices = new Int32Array(data.length);
  // Per axis and output: the list of input positions (in order) and the avg divisor factor.
  const taps = size.map((n, a) =>
    Array.from({ length: outSize[a]! }, (_, i) => {
      if (adaptive) {
        const lo = Math.floor((i * n) / outSize[a]!);
        const hi = Math.ceil(((i + 1) * n) / outSize[a]!);
        return { list: Array.from({ length: hi - lo }, (_, t) => lo + t), factor: hi - lo, first: lo };
      }
      const start = i * o.s[a]! - o.p[a]!;
      const list = Array.from({ length: o.k[a]! }, (_, t) => start + t * o.d[a]!).filter((v) => v >= 0 && v < n);
      let first = start;
      while (first < 0) first += o.d[a]!;
      const factor = o.cip ? Math.min(start + o.k[a]!, n + o.p[a]!) - start : list.length;
      return { list, factor, first };
    }),
  );
  for (let nc = 0; nc < N * C; nc++) {
    for (let oi = 0; oi < outPlane; oi++) {
      const pos: number[] = [];
      let rest = oi;
      for (let a = rank - 1; a >= 0; a--) {
        pos[a] = rest % outSize[a]!;
        rest = Math.floor(rest / outSize[a]!);
      }
      const windows = pos.map((q, a) => taps[a]![q]!);
      let best = -Infinity;
      let at = windows.reduce((acc, w, a) => acc * size[a]! + w.first, 0);
      let sum = 0;
      let sumAbs = 0;
      const walk = (a: number, offset: number): void => {
        if (a === rank) {
          const v = x[nc * plane + offset]!;
          if (v > best || Number.isNaN(v)) {
            best = v;
            at = offset;
          }
          sum += v;
          sumAbs += Math.abs(v);
          return;
        }
        for (const t of windows[a]!.list) walk(a + 1, offset * size[a]! + t);
      };
      walk(0, 0);
      const y = nc * outPlane + oi;
      if (o.kind === 'max' || o.kind === 'adaptive-max') {
        data[y] = best;
        indices[y] = at;
      } else {
        const divisor = o.div ?? windows.reduce((p, w) => p * w.factor, 1);
        data[y] = sum / divisor;
        abs[y] = sumAbs / Math.abs(divisor);
      }
    }
  }
  return { shape: [N, C, ...outSize], data, indices, abs };
}

const caseArb = fc
  .record({
    kind: fc.constantFrom<OracleOptions['kind']>('max', 'avg', 'adaptive-max', 'adaptive-avg'),
    rank: fc.constantFrom(1, 2, 3),
    size: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 3, maxLength: 3 }),
    k: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    s: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    p: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
    d: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    out: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    ceil: fc.boolean(),
    cip: fc.boolean(),
    div: fc.oneof(
      fc.constant(null),
      fc.integer({ min: -4, max: 9 }).filter((v) => v !== 0),
    ),
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 6 }),
    layout: fc.constantFrom<sc.Layout>('channels-first', 'channels-last'),
    special: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1e6 }),
  })
  .map((r) => {
    const rank = r.rank;
    const k = r.k.slice(0, rank);
    const p = r.p.slice(0, rank).map((v, a) => Math.min(v, Math.floor(k[a]! / 2)));
    const d = r.kind === 'max' ? r.d.slice(0, rank) : k.map(() => 1);
    // Large enough for an output on every axis.
    const size = r.size.slice(0, rank).map((n, a) => Math.max(n, d[a]! * (k[a]! - 1) + 1 - 2 * p[a]!));
    const o: OracleOptions = {
      kind: r.kind,
      k,
      s: r.s.slice(0, rank),
      p,
      d,
      ceil: r.ceil,
      cip: r.kind === 'avg' && r.cip,
      div: r.kind === 'avg' && rank > 1 ? r.div : null,
      out: r.out.slice(0, rank),
    };
    if (r.kind === 'avg' && !r.cip) o.cip = false;
    if (r.kind === 'avg' && r.cip) o.cip = true;
    const next = rng(r.seed);
    const shape = [r.batch, r.channels, ...size];
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      const v = next();
      if (r.special && v < 0.05) return [NaN, Infinity, -Infinity, -0][Math.floor(v * 80)]!;
      return Math.round((v * 2 - 1) * 64) / 16; // few distinct values: ties
    });
    const options: Record<string, unknown> =
      r.kind === 'max'
        ? { kernelSize: k, stride: o.s, padding: p, dilation: d, ceilMode: r.ceil }
        : r.kind === 'avg'
          ? { kernelSize: k, stride: o.s, padding: p, ceilMode: r.ceil, countIncludePad: o.cip, ...(o.div !== null && { divisorOverride: o.div }) }
          : { outputSize: o.out };
    const op = `${{ max: 'maxPool', avg: 'avgPool', 'adaptive-max': 'adaptiveMaxPool', 'adaptive-avg': 'adaptiveAvgPool' }[r.kind]}${rank}d`;
    return { o, op, options, x, shape, rank, layout: r.layout };
  });

describe('property: every backend against the oracle', () => {
  it('values (max: exactly, with indices; average: within the bound of its sum)', () => {
    fc.assert(
      fc.property(caseArb, ({ o, op, options, x, shape, rank, layout }) => {
        const want = oracle(x, shape, o);
        const last = layout === 'channels-last';
        const input = last ? moveChannels(x, shape, rank, true) : { data: x, shape };
        const isMax = o.kind.endsWith('max');
        for (const [name, ctx] of Object.entries(contexts)) {
          const plan = planOf(op, { ...options, ...(last && { layout }) }, ctx);
          const result = isMax ? plan.runWithIndices(input) : { output: plan.run(input), indices: null };
          plan.dispose();
          const y = last ? moveChannels(result.output.data, result.output.shape, rank, false) : result.output;
          expect(y.shape, name).toEqual(want.shape);
          const ind = result.indices && (last ? moveChannels(result.indices.data, result.indices.shape, rank, false).data : result.indices.data);
          const taps = o.kind.startsWith('adaptive')
            ? shape.slice(2).reduce((t, n, a) => t * (Math.ceil(n / o.out[a]!) + 1), 1)
            : o.k.reduce((a, b) => a * b, 1);
          const gamma = ((taps + 3) * U) / (1 - (taps + 3) * U);
          for (let i = 0; i < want.data.length; i++) {
            const e = want.data[i]!;
            const a = y.data[i]!;
            const ok = isMax
              ? sameFloat(a, Math.fround(e)) && ind![i] === want.indices[i]
              : Number.isFinite(want.abs[i]!)
                ? Math.abs(a - e) <= gamma * want.abs[i]! + 2 * U * Math.abs(e) + 2 ** -126
                : sameFloat(a, Math.fround(e)) || (Number.isNaN(a) && !Number.isFinite(want.abs[i]!));
            if (!ok)
              throw new Error(
                `${name} ${op} ${JSON.stringify(options)} ${layout} [${shape}] at ${i}: got ${a}${ind ? ` @${ind[i]}` : ''}, expected ${e}${isMax ? ` @${want.indices[i]}` : ''}`,
              );
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('NaN at every position of a stride-2 row (fuzz seed 726873440)', () => {
  // The stride-2 max path flagged NaN by the lanes of the loaded inputs, not of the outputs they feed: a NaN
  // showed up in the wrong output.
  it.each([
    [2, 0],
    [2, 1],
    [3, 1],
    [4, 2],
  ])('kernel %i, padding %i, rows of 8 to 13', (k, p) => {
    for (const W of [8, 9, 10, 11, 12, 13])
      for (let at = 0; at < W; at++) {
        const x = { data: Float32Array.from({ length: 2 * W }, (_, i) => (i % W) - 0.5 * (i % 3)), shape: [1, 1, 2, W] };
        x.data[W + at] = NaN;
        const want = sc.createMaxPool2d({ kernelSize: [1, k], stride: [1, 2], padding: [0, p] }, contexts.js).run(x).data;
        for (const [name, ctx] of Object.entries(contexts)) {
          const y = sc.createMaxPool2d({ kernelSize: [1, k], stride: [1, 2], padding: [0, p] }, ctx).run(x).data;
          const bad = want.findIndex((v, i) => !sameFloat(y[i]!, v));
          expect(bad, `${name} W ${W}, NaN at ${at}: [${bad}] ${y[bad]} vs ${want[bad]}`).toBe(-1);
        }
      }
  });
});

describe('plans and outputs', () => {
  it('a plan runs several shapes and writes into out; inputs are not mutated', () => {
    const plan = sc.createMaxPool2d({ kernelSize: 3, stride: 2, padding: 1 });
    for (const shape of [
      [1, 3, 9, 9],
      [2, 3, 5, 7],
      [3, 4, 4],
      [1, 3, 9, 9],
    ]) {
      const x = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i)), shape };
      const copy = x.data.slice();
      const y = plan.run(x);
      const out = { data: new Float32Array(y.data.length), shape: plan.outputShape(shape) };
      expect(plan.run(x, out)).toBe(out);
      expect(out.data).toEqual(y.data);
      expect(x.data).toEqual(copy);
      expect(y.shape).toEqual(sc.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }).shape);
    }
    expect(plan.info.backend).toBe('wasm');
    plan.dispose();
    expect(() => plan.run({ data: new Float32Array(4), shape: [1, 1, 2, 2] })).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('one-shot functions: returnIndices gives { output, indices }; lenet-style 2x2 max pool', () => {
    const x = { data: Float32Array.from([1, 5, 2, 0, 3, 4, 9, 9, 7, 8, 1, 1, 6, 2, 3, 0]), shape: [1, 1, 4, 4] };
    expect(Array.from(sc.maxPool2d(x, { kernelSize: 2 }).data)).toEqual([5, 9, 8, 3]);
    const r = sc.maxPool2d(x, { kernelSize: 2, returnIndices: true });
    expect(Array.from(r.indices.data)).toEqual([1, 6, 9, 14]);
    expect(Array.from(sc.avgPool2d(x, { kernelSize: 2 }).data)).toEqual([3.25, 5, 5.75, 1.25]);
    expect(Array.from(sc.adaptiveAvgPool2d(x, 1).data)).toEqual([61 / 16]);
    const out = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    expect(sc.maxPool2d(x, { kernelSize: 2, out })).toBe(out);
  });

  it('memory stays bounded: a million-element map pools with tables the size of the output', async () => {
    const ctx = await sc.createContext();
    const plan = sc.createAvgPool2d({ kernelSize: 2 }, ctx);
    plan.run({ data: new Float32Array(4 * 512 * 512), shape: [1, 4, 512, 512] });
    expect(plan.info.workspaceBytes).toBeLessThanOrEqual(3 * (1 + 256 + 256) * 4);
    plan.dispose();
    ctx.dispose();
  });
});

describe('refusals, as PyTorch refuses (SimdconvError naming the argument)', () => {
  const x = { data: new Float32Array(2 * 5 * 5), shape: [1, 2, 5, 5] };
  const cases: Array<[string, () => unknown, string, string]> = [
    ['no kernelSize', () => sc.maxPool2d(x, {} as sc.MaxPoolOptions), 'INVALID_ARGUMENT', 'options.kernelSize'],
    ['kernelSize 0', () => sc.maxPool2d(x, { kernelSize: 0 }), 'INVALID_ARGUMENT', 'options.kernelSize'],
    ['three sizes for 2-D', () => sc.maxPool2d(x, { kernelSize: [2, 2, 2] }), 'INVALID_ARGUMENT', 'options.kernelSize'],
    ['stride 0', () => sc.avgPool2d(x, { kernelSize: 2, stride: 0 }), 'INVALID_ARGUMENT', 'options.stride'],
    ['padding above half the kernel', () => sc.maxPool2d(x, { kernelSize: 3, padding: 2 }), 'INVALID_ARGUMENT', 'options.padding'],
    ['dilation for average', () => sc.avgPool2d(x, { kernelSize: 2, dilation: 2 } as sc.AvgPoolOptions), 'INVALID_ARGUMENT', 'options.dilation'],
    ['divisorOverride 0', () => sc.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 }), 'INVALID_ARGUMENT', 'options.divisorOverride'],
    ['divisorOverride 1.5', () => sc.avgPool2d(x, { kernelSize: 2, divisorOverride: 1.5 }), 'INVALID_ARGUMENT', 'options.divisorOverride'],
    [
      'divisorOverride on 1-D',
      () => sc.avgPool1d({ data: new Float32Array(10), shape: [2, 5] }, { kernelSize: 2, divisorOverride: 2 } as sc.AvgPoolOptions),
      'INVALID_ARGUMENT',
      'options.divisorOverride',
    ],
    ['ceilMode not boolean', () => sc.maxPool2d(x, { kernelSize: 2, ceilMode: 1 as unknown as boolean }), 'INVALID_ARGUMENT', 'options.ceilMode'],
    ['window past the padded input', () => sc.maxPool2d(x, { kernelSize: 3, dilation: 3 }), 'KERNEL_TOO_LARGE', 'options.kernelSize'],
    ['wrong rank', () => sc.maxPool2d({ data: new Float32Array(5), shape: [5] }, { kernelSize: 2 }), 'INVALID_RANK', 'input'],
    ['empty input', () => sc.maxPool2d({ data: new Float32Array(0), shape: [0, 2, 5, 5] }, { kernelSize: 2 }), 'EMPTY_OUTPUT', 'input.shape'],
    ['misspelt option', () => sc.maxPool2d(x, { kernelSize: 2, strides: 2 } as sc.MaxPoolOptions), 'INVALID_ARGUMENT', 'options.strides'],
    ['bad layout', () => sc.maxPool2d(x, { kernelSize: 2, layout: 'nhwc' as sc.Layout }), 'INVALID_ARGUMENT', 'options.layout'],
    [
      'out on a plan',
      () => sc.createMaxPool2d({ kernelSize: 2, out: { data: new Float32Array(8), shape: [1, 2, 2, 2] } } as sc.MaxPoolOptions),
      'INVALID_ARGUMENT',
      'options.out',
    ],
    [
      'wrong out shape',
      () => sc.maxPool2d(x, { kernelSize: 2, out: { data: new Float32Array(8), shape: [1, 2, 4, 1] } }),
      'OUTPUT_MISMATCH',
      'options.out.shape',
    ],
    ['adaptive size 0', () => sc.adaptiveAvgPool2d(x, 0), 'INVALID_ARGUMENT', 'outputSize'],
    ['adaptive one size for 2-D', () => sc.adaptiveAvgPool2d(x, [3]), 'INVALID_ARGUMENT', 'outputSize'],
    ['indices of an average', () => sc.createAvgPool2d({ kernelSize: 2 }).runWithIndices(x), 'INVALID_ARGUMENT', 'returnIndices'],
    [
      'input data not Float32Array',
      () => sc.maxPool2d({ data: [1, 2] as unknown as Float32Array, shape: [1, 1, 1, 2] }, { kernelSize: 1 }),
      'INVALID_TENSOR',
      'input.data',
    ],
  ];
  it.each(cases)('%s', (_name, call, code, argument) => {
    expect(call).toThrow(expect.objectContaining({ code, argument }));
  });
});
