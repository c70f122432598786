/**
 * Special values and the life cycle of calls and plans, on every backend:
 * - NaN / +-Inf propagation (NaN exactly where the receptive field holds a NaN; Inf - Inf = NaN; activations
 *   keep NaN, relu(-Inf) = 0);
 * - inputs are never mutated, also when a call throws;
 * - `out` is honoured (the returned object is `out`) and validated (shape, length, aliasing the input);
 * - plans reused across input shapes stay right and do not grow memory; dispose() frees everything, is
 *   idempotent, and a disposed plan throws DISPOSED;
 * - the library keeps working after every error;
 * - the seed examples of the issue; channels-last results equal channels-first results transposed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { ConvOp } from '../src/shape.js';
import type { ConvOptions, Layout, PaddingMode, Tensor } from '../src/types.js';
import { absTensor, errorBound, expectConvClose } from './helpers/tolerance.js';
import { sameBits } from './helpers/bits.js';
import { rng, randomTensor } from './helpers/random.js';

const SEED = 0x0dd_ba11;
fc.configureGlobal({ seed: SEED });

type PlanOptions = Omit<ConvOptions, 'out'>;

// ---------------------------------------------------------------------------------------------------------
// Helpers

function tensor(shape: readonly number[], values: ArrayLike<number>): Tensor {
  return { data: Float32Array.from(values), shape: [...shape] };
}

function filled(shape: readonly number[], value: number): Tensor {
  return { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape: [...shape] };
}

function copy(t: Tensor): Tensor {
  return { data: new Float32Array(t.data), shape: [...t.shape] };
}

const OP_OF_RANK: Record<1 | 2 | 3, ConvOp> = { 1: 'conv1d', 2: 'conv2d', 3: 'conv3d' };
const CREATE = { conv1d: sc.createConv1d, conv2d: sc.createConv2d, conv3d: sc.createConv3d };
const ONE_SHOT = { conv1d: sc.conv1d, conv2d: sc.conv2d, conv3d: sc.conv3d };

/** Runs through a plan on `ctx` (disposed afterwards), or the one-shot function when ctx is null. */
function runOn(ctx: sc.Context | null, op: ConvOp, input: Tensor, weight: Tensor, bias: Tensor | null, options: PlanOptions = {}): Tensor {
  if (ctx === null) return ONE_SHOT[op](input, weight, bias, options);
  const plan = CREATE[op](weight, bias, options, ctx);
  try {
    return plan.run(input);
  } finally {
    plan.dispose();
  }
}

function expectMatchesReference(actual: Tensor, op: ConvOp, input: Tensor, weight: Tensor, bias: Tensor | null, options: PlanOptions = {}): void {
  const expected = referenceConv(op, input, weight, bias, options);
  const bound = referenceConv(op, absTensor(input), absTensor(weight), bias && absTensor(bias), { ...options, activation: 'none' }).data;
  expectConvClose(
    actual,
    expected,
    bound,
    weight.shape.slice(1).reduce((a, b) => a * b, 1),
  );
}

/** Asserts `fn` throws a SimdconvError with this code (and argument, when given). */
function expectError(fn: () => unknown, code: sc.ErrorCode, argument?: string): sc.SimdconvError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(sc.SimdconvError);
  const err = error as sc.SimdconvError;
  expect(err.code).toBe(code);
  if (argument !== undefined) expect(err.argument).toBe(argument);
  expect(String(err.message)).toContain(err.argument);
  return err;
}

/** Channels-first (N, C, *s) <-> channels-last (N, *s, C); batched tensors only. */
function toChannelsLast(t: Tensor): Tensor {
  const [n, c, ...s] = t.shape as [number, number, ...number[]];
  const sp = s.reduce((a, b) => a * b, 1);
  const data = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < sp; i++) data[(b * sp + i) * c + ch] = t.data[(b * c + ch) * sp + i]!;
  return { data, shape: [n, ...s, c] };
}

const ctxByName: Record<string, sc.Context> = {};

beforeAll(async () => {
  ctxByName.simd128 = await sc.createContext({ build: 'simd128' });
  ctxByName.relaxed = await sc.createContext({ build: 'relaxed' });
  ctxByName.js = await sc.createContext({ backend: 'js' });
  await sc.init();
});

/** Backends, resolved lazily (the contexts are made in beforeAll). */
const BACKENDS = ['wasm simd128', 'wasm relaxed', 'js', 'one-shot (default)'] as const;
function ctxOf(name: (typeof BACKENDS)[number]): sc.Context | null {
  switch (name) {
    case 'wasm simd128':
      return ctxByName.simd128!;
    case 'wasm relaxed':
      return ctxByName.relaxed!;
    case 'js':
      return ctxByName.js!;
    case 'one-shot (default)':
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// NaN and infinities

describe.each(BACKENDS)('special values on %s', (backendName) => {
  it('1-D: +Inf and -Inf propagate, Inf - Inf is NaN, zero padding stays finite', () => {
    const ctx = ctxOf(backendName);
    const input = tensor([1, 1, 7], [0, 0, Infinity, 0, -Infinity, 0, 0]);
    const weight = tensor([1, 1, 3], [1, 1, 1]);
    const y = runOn(ctx, 'conv1d', input, weight, null, { padding: 1 });
    expect([...y.data]).toEqual([0, Infinity, Infinity, NaN, -Infinity, -Infinity, 0]);
    // A negative weight flips the sign of the infinity.
    const y2 = runOn(ctx, 'conv1d', input, tensor([1, 1, 3], [0.5, -2, 0.25]), null, { padding: 1 });
    // out[1] = 0.5*0 - 2*0 + 0.25*Inf; out[2] = 0.5*0 - 2*Inf + 0.25*0; out[3] = 0.5*Inf - 2*0 + 0.25*(-Inf) = NaN
    expect([...y2.data]).toEqual([0, Infinity, -Infinity, NaN, Infinity, -Infinity, 0]);
  });

  it('NaN in the input: NaN exactly where the receptive field holds it (2-D, channels and groups)', () => {
    const ctx = ctxOf(backendName);
    // 2 images x 4 channels x 6 x 7, groups 2, 3x3 kernel, padding 1. NaN in image 0, channel 1 (group 0), at (2, 3).
    const next = rng(7);
    const input = randomTensor([2, 4, 6, 7], next);
    input.data[(0 * 4 + 1) * 42 + 2 * 7 + 3] = NaN;
    const weight = randomTensor([6, 2, 3, 3], next);
    const bias = randomTensor([6], next);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      const x = layout === 'channels-first' ? input : toChannelsLast(input);
      const y = runOn(ctx, 'conv2d', x, weight, bias, { padding: 1, groups: 2, layout });
      const cf = layout === 'channels-first' ? y : fromChannelsLast(y);
      for (let n = 0; n < 2; n++)
        for (let co = 0; co < 6; co++)
          for (let i = 0; i < 6; i++)
            for (let j = 0; j < 7; j++) {
              const v = cf.data[((n * 6 + co) * 6 + i) * 7 + j]!;
              const inField = n === 0 && co < 3 && Math.abs(i - 2) <= 1 && Math.abs(j - 3) <= 1;
              expect(Number.isNaN(v), `${layout} n${n} c${co} (${i}, ${j})`).toBe(inField);
            }
    }
  });

  it('a NaN that no receptive field reaches (skipped by the stride) leaves the output finite', () => {
    const ctx = ctxOf(backendName);
    const input = tensor([1, 2, 5], [1, NaN, 2, NaN, 3, 4, NaN, 5, NaN, 6]);
    const weight = tensor([3, 2, 1], [1, 2, 3, 4, 5, 6]);
    const y = runOn(ctx, 'conv1d', input, weight, null, { stride: 2 });
    expect(y.shape).toEqual([1, 3, 3]);
    expect([...y.data].every(Number.isFinite)).toBe(true);
    expectMatchesReference(y, 'conv1d', input, weight, null, { stride: 2 });
  });

  it('NaN or Inf in the bias fills its output channel, NaN in a weight fills its channel (valid padding)', () => {
    const ctx = ctxOf(backendName);
    const next = rng(11);
    const input = randomTensor([1, 3, 5, 5], next);
    const weight = randomTensor([5, 3, 3, 3], next);
    const bias = tensor([5], [0, NaN, Infinity, -Infinity, 0]);
    const w = copy(weight);
    w.data[4 * 27 + 13] = NaN; // output channel 4
    const y = runOn(ctx, 'conv2d', input, w, bias);
    const plane = 9;
    const chan = (c: number) => [...y.data.slice(c * plane, (c + 1) * plane)];
    expect(chan(0).every(Number.isFinite)).toBe(true);
    expect(chan(1).every(Number.isNaN)).toBe(true);
    expect(chan(2).every((v) => v === Infinity)).toBe(true);
    expect(chan(3).every((v) => v === -Infinity)).toBe(true);
    expect(chan(4).every(Number.isNaN)).toBe(true);
  });

  it('activations: relu(-Inf) = 0, relu6(+Inf) = 6, clamps keep NaN', () => {
    const ctx = ctxOf(backendName);
    const input = tensor([1, 1, 6], [-Infinity, Infinity, NaN, -3, 3, 8]);
    const weight = tensor([1, 1, 1], [1]);
    const run = (activation: ConvOptions['activation']) => [...runOn(ctx, 'conv1d', input, weight, null, { activation }).data];
    expect(run('none')).toEqual([-Infinity, Infinity, NaN, -3, 3, 8]);
    expect(run('relu')).toEqual([0, Infinity, NaN, 0, 3, 8]);
    expect(run('relu6')).toEqual([0, 6, NaN, 0, 3, 6]);
    expect(run({ min: -1, max: 1 })).toEqual([-1, 1, NaN, -1, 1, 1]);
    expect(run({ min: -1 })).toEqual([-1, Infinity, NaN, -1, 3, 8]);
    expect(run({ max: 2 })).toEqual([-Infinity, 2, NaN, -3, 2, 2]);
    // Also through the GEMM with a multi-tap reduction, both layouts.
    for (const layout of ['channels-first', 'channels-last'] as const) {
      const x = tensor(layout === 'channels-first' ? [1, 1, 2, 2] : [1, 2, 2, 1], [-Infinity, 1, 1, 1]);
      const y = runOn(ctx, 'conv2d', x, tensor([9, 1, 1, 1], new Array(9).fill(1)), null, { layout, activation: 'relu' });
      expect(y.data[0]).toBe(0);
    }
  });

  it('property: NaN and +-Inf planted anywhere, every option: NaN mask from the receptive fields, values from the reference', () => {
    const ctx = ctxOf(backendName);
    const arb = fc
      .record({
        rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
        groups: fc.integer({ min: 1, max: 3 }),
        cinG: fc.integer({ min: 1, max: 2 }),
        coutG: fc.integer({ min: 1, max: 9 }),
        k: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 3 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        pad: fc.integer({ min: 0, max: 2 }),
        mode: fc.constantFrom<PaddingMode>('zeros', 'reflect', 'replicate', 'circular'),
        layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
        activation: fc.constantFrom<ConvOptions['activation']>('none', 'relu', 'relu6', { min: -0.5, max: 0.5 }),
        size: fc.integer({ min: 1, max: 9 }),
        batch: fc.integer({ min: 1, max: 2 }),
        specials: fc.array(fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)), { minLength: 1, maxLength: 3 }),
        seed: fc.nat(),
      })
      .map((r) => {
        const span = r.dilation * (r.k - 1) + 1;
        let size = Math.max(r.size, span - 2 * r.pad, 1);
        if (r.mode === 'reflect') size = Math.max(size, r.pad + 1);
        if (r.mode === 'circular') size = Math.max(size, r.pad);
        const cin = r.groups * r.cinG;
        const cout = r.groups * r.coutG;
        const spatial = new Array<number>(r.rank).fill(size);
        if (r.rank === 3) spatial[0] = Math.min(size, 4);
        const next = rng(r.seed);
        const input = randomTensor(r.layout === 'channels-first' ? [r.batch, cin, ...spatial] : [r.batch, ...spatial, cin], next);
        for (const [at, value] of r.specials) input.data[at % input.data.length] = value;
        const weight = randomTensor([cout, r.cinG, ...new Array<number>(r.rank).fill(r.k)], next, 0.1, 1);
        // Signs mixed but never zero, so Inf * w is never NaN.
        for (let i = 0; i < weight.data.length; i++) if (next() < 0.5) weight.data[i] = -weight.data[i]!;
        const options: PlanOptions = {
          stride: r.stride,
          dilation: r.dilation,
          padding: r.pad,
          groups: r.groups,
          paddingMode: r.mode,
          layout: r.layout,
          activation: r.activation,
        };
        return { op: OP_OF_RANK[r.rank], input, weight, bias: randomTensor([cout], next), options };
      });
    fc.assert(
      fc.property(arb, ({ op, input, weight, bias, options }) => {
        const y = runOn(ctx, op, input, weight, bias, options);
        // Independent NaN-reach mask: the reference on an indicator of the NaN positions with all-ones weights.
        const indicator = { data: input.data.map((v) => (Number.isNaN(v) ? 1 : 0)), shape: input.shape };
        const reach = referenceConv(op, indicator, filled(weight.shape, 1), null, { ...options, activation: 'none' }).data;
        for (let i = 0; i < y.data.length; i++) {
          if (reach[i]! > 0) expect(Number.isNaN(y.data[i]), `NaN expected at ${i}`).toBe(true);
        }
        // Everything else (Inf, Inf - Inf, finite values) as the reference says.
        expectMatchesReference(y, op, input, weight, bias, options);
      }),
      { numRuns: 60 },
    );
  });
});

function fromChannelsLast(t: Tensor): Tensor {
  const [n, ...rest] = t.shape as [number, ...number[]];
  const c = rest[rest.length - 1]!;
  const s = rest.slice(0, -1);
  const sp = s.reduce((a, b) => a * b, 1);
  const data = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < sp; i++) data[(b * c + ch) * sp + i] = t.data[(b * sp + i) * c + ch]!;
  return { data, shape: [n, c, ...s] };
}

// ---------------------------------------------------------------------------------------------------------
// Inputs are never mutated; `out`

describe.each(BACKENDS)('calls on %s', (backendName) => {
  const next = rng(99);
  const input = randomTensor([2, 3, 6, 5], next);
  const weight = randomTensor([4, 3, 3, 3], next);
  const bias = randomTensor([4], next);
  const options: PlanOptions = { padding: 1, paddingMode: 'reflect', activation: 'relu' };

  function call(out?: Tensor, inp: Tensor = input, opts: PlanOptions = options): Tensor {
    const ctx = ctxOf(backendName);
    if (ctx === null) return sc.conv2d(inp, weight, bias, { ...opts, out });
    const plan = sc.createConv2d(weight, bias, opts, ctx);
    try {
      return plan.run(inp, out);
    } finally {
      plan.dispose();
    }
  }

  it('never mutates input, weight or bias (nor an out it rejects), also when the call throws', () => {
    const snapshots = [copy(input), copy(weight), copy(bias)];
    const unchanged = () => {
      expect(sameBits(input.data, snapshots[0]!.data)).toBe(true);
      expect(sameBits(weight.data, snapshots[1]!.data)).toBe(true);
      expect(sameBits(bias.data, snapshots[2]!.data)).toBe(true);
      expect(input.shape).toEqual([2, 3, 6, 5]);
      expect(weight.shape).toEqual([4, 3, 3, 3]);
      expect(bias.shape).toEqual([4]);
    };
    call();
    unchanged();
    const badOut = filled([2, 4, 6, 4], 7);
    expectError(() => call(badOut), 'OUTPUT_MISMATCH');
    expect([...badOut.data].every((v) => v === 7)).toBe(true);
    unchanged();
    expectError(() => call(undefined, input, { ...options, padding: 6 }), 'INVALID_PADDING_MODE');
    unchanged();
    expectError(() => call(undefined, { data: input.data, shape: [2, 3, 5, 6, 1] }), 'INVALID_RANK');
    unchanged();
  });

  it('honours out: returns that very object, writes its data, and leaves the rest of its buffer alone', () => {
    const expected = call();
    const buffer = new Float32Array(expected.data.length + 8).fill(-99);
    const out: Tensor = { data: buffer.subarray(4, 4 + expected.data.length), shape: [2, 4, 6, 5] };
    const result = call(out);
    expect(result).toBe(out);
    expect(result.data).toBe(out.data);
    expect(sameBits(out.data, expected.data)).toBe(true);
    expect([...buffer.subarray(0, 4), ...buffer.subarray(4 + expected.data.length)]).toEqual(new Array(8).fill(-99));
    // Reused: the second call overwrites (no accumulation).
    call(out);
    expect(sameBits(out.data, expected.data)).toBe(true);
    expectMatchesReference(out, 'conv2d', input, weight, bias, options);
  });

  it('validates out: the right shape but the wrong data length is an OUTPUT_MISMATCH (errors.ts: "wrong shape or length")', () => {
    for (const n of [2 * 4 * 6 * 5 + 1, 2 * 4 * 6 * 5 - 1, 10]) {
      const err = expectError(() => call({ data: new Float32Array(n), shape: [2, 4, 6, 5] }), 'OUTPUT_MISMATCH');
      expect(err.argument).toMatch(/^options\.out/);
    }
  });

  it('validates out: wrong shape, not a tensor, overlapping the input', () => {
    // Right length, wrong shape.
    let err = expectError(() => call({ data: new Float32Array(2 * 4 * 6 * 5), shape: [2, 4, 5, 6] }), 'OUTPUT_MISMATCH', 'options.out.shape');
    expect(err.expected).toContain('[2, 4, 6, 5]');
    expect(err.received).toContain('[2, 4, 5, 6]');
    expectError(() => call({ data: new Float32Array(2 * 4 * 6 * 5), shape: [240] }), 'OUTPUT_MISMATCH', 'options.out.shape');
    expectError(() => call({ data: new Float32Array(4 * 6 * 5), shape: [4, 6, 5] }), 'OUTPUT_MISMATCH', 'options.out.shape');
    // Not a tensor at all.
    expectError(() => call({ data: new Float64Array(240), shape: [2, 4, 6, 5] } as unknown as Tensor), 'INVALID_TENSOR', 'options.out.data');
    expectError(() => call(5 as unknown as Tensor), 'INVALID_TENSOR', 'options.out');
    // Overlapping the input (same buffer): rejected; a disjoint view of the same buffer is fine.
    const n = input.data.length;
    const shared = new Float32Array(n + 240);
    shared.set(input.data);
    const inView: Tensor = { data: shared.subarray(0, n), shape: input.shape };
    const overlapping: Tensor = { data: shared.subarray(n - 1, n + 239), shape: [2, 4, 6, 5] };
    err = expectError(() => call(overlapping, inView), 'OUTPUT_MISMATCH', 'options.out');
    expect(sameBits(inView.data, input.data)).toBe(true);
    const disjoint: Tensor = { data: shared.subarray(n, n + 240), shape: [2, 4, 6, 5] };
    expect(call(disjoint, inView)).toBe(disjoint);
    expect(sameBits(inView.data, input.data)).toBe(true);
    expect(sameBits(disjoint.data, call().data)).toBe(true);
    // The very same array as input and output (a shape-preserving 1x1 convolution).
    const square = sc.createConv2d(randomTensor([3, 3, 1, 1], rng(1)), null, {}, ctxOf(backendName) ?? undefined);
    const x = copy(input);
    expectError(() => square.run(x, x), 'OUTPUT_MISMATCH', 'options.out');
    expect(sameBits(x.data, input.data)).toBe(true);
    square.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Plans: reuse, memory, dispose

describe.each(['simd128', 'relaxed', 'js'] as const)('plans on %s', (name) => {
  it('reused across many input shapes (all ranks): results right, memory back to baseline after dispose', () => {
    const ctx = ctxByName[name]!;
    const baseline = ctx.memoryStats().bytesInUse;
    const next = rng(5);
    const setups: Array<{ op: ConvOp; weight: Tensor; bias: Tensor | null; options: PlanOptions; shapes: number[][] }> = [
      {
        op: 'conv1d',
        weight: randomTensor([5, 3, 3], next),
        bias: randomTensor([5], next),
        options: { padding: 'same', dilation: 2, paddingMode: 'circular' },
        shapes: [
          [1, 3, 9],
          [3, 3, 17],
          [3, 4],
          [2, 3, 1000],
          [3, 2],
          [1, 3, 9],
        ],
      },
      {
        op: 'conv2d',
        weight: randomTensor([6, 2, 3, 2], next),
        bias: null,
        options: { groups: 2, stride: [2, 1], padding: [1, 2], paddingMode: 'reflect', layout: 'channels-last' },
        shapes: [
          [1, 8, 8, 4],
          [2, 5, 17, 4],
          [9, 9, 4],
          [1, 64, 48, 4],
          [2, 3, 3, 4],
          [1, 8, 8, 4],
        ],
      },
      {
        op: 'conv3d',
        weight: randomTensor([9, 1, 2, 3, 1], next),
        bias: randomTensor([9], next),
        options: { groups: 3, activation: 'relu6', padding: 1 },
        shapes: [
          [1, 3, 4, 5, 6],
          [3, 2, 2, 2],
          [2, 3, 7, 3, 9],
          [1, 3, 4, 5, 6],
        ],
      },
    ];
    for (const s of setups) {
      const plan = CREATE[s.op](s.weight, s.bias, s.options, ctx);
      const inUse: number[][] = [];
      const reserved: number[] = [];
      for (let cycle = 0; cycle < 3; cycle++) {
        inUse.push([]);
        for (const shape of s.shapes) {
          const x = randomTensor(shape, next);
          expect(plan.outputShape(shape)).toEqual(referenceConv(s.op, x, s.weight, s.bias, s.options).shape);
          const y = plan.run(x);
          expectMatchesReference(y, s.op, x, s.weight, s.bias, s.options);
          // The same shape twice in a row: no new allocation.
          const before = ctx.memoryStats().bytesInUse;
          plan.run(x, y);
          expect(ctx.memoryStats().bytesInUse).toBe(before);
          inUse[cycle]!.push(before);
        }
        reserved.push(ctx.memoryStats().memoryBytes);
      }
      // Memory in use per shape is the same every cycle, and reserved memory stops growing after the first.
      expect(inUse[1]).toEqual(inUse[0]);
      expect(inUse[2]).toEqual(inUse[0]);
      expect(reserved[2]).toBe(reserved[1]);
      plan.dispose();
      expect(ctx.memoryStats().bytesInUse, `${s.op} after dispose`).toBe(baseline);
    }
  });

  it('outputShape allocates nothing; dispose() is idempotent; run after dispose throws DISPOSED', () => {
    const ctx = ctxByName[name]!;
    const baseline = ctx.memoryStats().bytesInUse;
    const weight = randomTensor([4, 2, 3, 3], rng(3));
    const plan = sc.createConv2d(weight, null, { padding: 1 }, ctx);
    const afterCreate = ctx.memoryStats().bytesInUse;
    expect(plan.outputShape([1, 2, 50, 60])).toEqual([1, 4, 50, 60]);
    expect(plan.outputShape([2, 7, 7])).toEqual([4, 7, 7]);
    expect(ctx.memoryStats().bytesInUse).toBe(afterCreate);
    const x = randomTensor([1, 2, 5, 5], rng(4));
    plan.run(x);
    plan.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
    plan.dispose();
    plan.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
    const err = expectError(() => plan.run(x), 'DISPOSED', 'plan');
    expect(err.message).toContain('plan');
    expectError(() => plan.run(x, { data: new Float32Array(100), shape: [1, 4, 5, 5] }), 'DISPOSED', 'plan');
    // A plan disposed before it ever ran.
    const never = sc.createConv2d(weight, null, {}, ctx);
    never.dispose();
    never.dispose();
    expectError(() => never.run(x), 'DISPOSED', 'plan');
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
  });

  it('errors leave no memory behind and the plan keeps working', () => {
    const ctx = ctxByName[name]!;
    const baseline = ctx.memoryStats().bytesInUse;
    const weight = randomTensor([3, 2, 3, 3], rng(8));
    const plan = sc.createConv2d(weight, null, { paddingMode: 'reflect', padding: 2 }, ctx);
    const good = randomTensor([1, 2, 6, 6], rng(9));
    plan.run(good);
    const held = ctx.memoryStats().bytesInUse;
    const bad: Array<[Tensor, sc.ErrorCode]> = [
      [randomTensor([1, 2, 2, 6], rng(1)), 'INVALID_PADDING_MODE'],
      [randomTensor([1, 3, 6, 6], rng(1)), 'CHANNEL_MISMATCH'],
      [randomTensor([2, 6, 6], rng(1)).data as unknown as Tensor, 'INVALID_TENSOR'],
      [{ data: new Float32Array(0), shape: [1, 2, 0, 6] }, 'EMPTY_OUTPUT'],
    ];
    for (const [x, code] of bad) {
      expectError(() => plan.run(x), code);
      expect(ctx.memoryStats().bytesInUse).toBeLessThanOrEqual(held);
      expectMatchesReference(plan.run(good), 'conv2d', good, weight, null, { paddingMode: 'reflect', padding: 2 });
    }
    plan.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
    // Plan creation that throws allocates nothing.
    expectError(() => sc.createConv2d(weight, tensor([2], [1, 2]), {}, ctx), 'CHANNEL_MISMATCH');
    expectError(() => sc.createConv2d(weight, null, { groups: 2 }, ctx), 'INVALID_GROUPS');
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
  });

  it('many plans alive at once on one context stay independent', () => {
    const ctx = ctxByName[name]!;
    const baseline = ctx.memoryStats().bytesInUse;
    const next = rng(21);
    const plans = Array.from({ length: 12 }, (_, i) => {
      const weight = randomTensor([1 + (i % 5), 2, 1 + (i % 3), 1 + (i % 2)], next);
      return { weight, plan: sc.createConv2d(weight, null, { padding: i % 2 }, ctx) };
    });
    for (let round = 0; round < 2; round++) {
      for (const [i, { weight, plan }] of plans.entries()) {
        const x = randomTensor([1, 2, 4 + i, 5 + round], next);
        expectMatchesReference(plan.run(x), 'conv2d', x, weight, null, { padding: i % 2 });
      }
    }
    for (const { plan } of plans) plan.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(baseline);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The library keeps working after every error

describe('the library keeps working after every error', () => {
  it('a good convolution after each bad one (one-shot and plans)', () => {
    const next = rng(31);
    const x = randomTensor([1, 2, 6, 6], next);
    const w = randomTensor([3, 2, 3, 3], next);
    const b = randomTensor([3], next);
    const good = () => {
      expectMatchesReference(sc.conv2d(x, w, b, { padding: 1 }), 'conv2d', x, w, b, { padding: 1 });
      for (const ctx of Object.values(ctxByName)) {
        const plan = sc.createConv2d(w, b, { padding: 1 }, ctx);
        expectMatchesReference(plan.run(x), 'conv2d', x, w, b, { padding: 1 });
        plan.dispose();
      }
    };
    const bad: Array<() => unknown> = [
      () => sc.conv2d(null as unknown as Tensor, w, b),
      () => sc.conv2d(x, { data: new Float32Array(3), shape: [3, 2, 3, 3] }, b),
      () => sc.conv2d(x, w, b, { stride: 0 }),
      () => sc.conv2d(x, w, b, { padding: 'full' as 'same' }),
      () => sc.conv2d(x, w, b, { paddingMode: 'reflect', padding: 6 }),
      () => sc.conv2d(x, w, b, { groups: 2 }),
      () => sc.conv2d(x, w, b, { dilation: 4 }),
      () => sc.conv2d(x, w, b, { out: { data: new Float32Array(1), shape: [1] } }),
      () => sc.conv2d({ data: new Float32Array(0), shape: [1, 2, 0, 6] }, w, b),
      () => sc.conv1d(x, w, b),
      () => sc.conv3d(x, w, b),
      () => sc.conv2d(x, w, b, { activation: 'gelu' as 'relu' }),
      () => sc.conv2d(x, w, b, { out: { data: x.data, shape: [1, 3, 4, 4] } as Tensor }),
      () => sc.conv2d(randomTensor([1, 1, 4096, 4096], next), randomTensor([1024, 1, 1, 1], next), null),
    ];
    good();
    for (const [i, fn] of bad.entries()) {
      let error: unknown = null;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error, `bad call #${i} must throw`).not.toBeNull();
      // Soft, so the library is still exercised after a wrong error type (reported, not fatal).
      expect.soft(error, `bad call #${i} throws a SimdconvError, got ${String(error)}`).toBeInstanceOf(sc.SimdconvError);
      good();
    }
  });

  it('a failed init() leaves the default context working', async () => {
    await expect(sc.init({ backend: 'gpu' as 'js' })).rejects.toThrow(sc.SimdconvError);
    await expect(sc.init({ build: 'x' as 'relaxed' })).rejects.toThrow(sc.SimdconvError);
    const x = randomTensor([1, 1, 5], rng(2));
    const w = randomTensor([2, 1, 3], rng(3));
    expectMatchesReference(sc.conv1d(x, w, null), 'conv1d', x, w, null);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Seed examples from the issue

describe('seed examples from the issue', () => {
  it('Conv2d(3, 1, k=3, dilation=2) on 1x3x7x7 gives 1x1x3x3', () => {
    const next = rng(41);
    const x = randomTensor([1, 3, 7, 7], next);
    const w = randomTensor([1, 3, 3, 3], next);
    const b = randomTensor([1], next);
    for (const ctx of [...Object.values(ctxByName), null]) {
      if (ctx) expect(sc.createConv2d(w, b, { dilation: 2 }, ctx).outputShape([1, 3, 7, 7])).toEqual([1, 1, 3, 3]);
      const y = runOn(ctx, 'conv2d', x, w, b, { dilation: 2 });
      expect(y.shape).toEqual([1, 1, 3, 3]);
      expectMatchesReference(y, 'conv2d', x, w, b, { dilation: 2 });
    }
  });

  it('depthwise Conv2d(8, 8, k=3, groups=8) then pointwise Conv2d(8, 8, k=1) on 1x8x32x32 gives 1x8x30x30', () => {
    const next = rng(43);
    const x = randomTensor([1, 8, 32, 32], next);
    const dw = randomTensor([8, 1, 3, 3], next);
    const dwb = randomTensor([8], next);
    const pw = randomTensor([8, 8, 1, 1], next);
    const pwb = randomTensor([8], next);
    // Reference chain in float64 and its error bound: the stage-2 bound plus stage 1's bound carried through |pw|.
    const r1 = referenceConv('conv2d', x, dw, dwb, { groups: 8 });
    const abs1 = referenceConv('conv2d', absTensor(x), absTensor(dw), absTensor(dwb), { groups: 8 }).data;
    const e1 = abs1.map((a) => errorBound(9, a) * (1 + 1e-6));
    const r2 = referenceConv('conv2d', { data: new Float32Array(r1.data), shape: r1.shape }, pw, pwb);
    const abs2 = referenceConv('conv2d', { data: new Float32Array(r1.data.map(Math.abs)), shape: r1.shape }, absTensor(pw), absTensor(pwb)).data;
    const carried = referenceConv('conv2d', { data: new Float32Array(e1), shape: r1.shape }, absTensor(pw), null).data;
    for (const ctx of [...Object.values(ctxByName), null]) {
      const y1 = runOn(ctx, 'conv2d', x, dw, dwb, { groups: 8 });
      expect(y1.shape).toEqual([1, 8, 30, 30]);
      expectConvClose(y1, r1, abs1, 9);
      const y2 = runOn(ctx, 'conv2d', y1, pw, pwb);
      expect(y2.shape).toEqual([1, 8, 30, 30]);
      // Stage 2 against the reference on the library's own stage-1 output ...
      expectMatchesReference(y2, 'conv2d', y1, pw, pwb);
      // ... and the whole chain against the float64 chain (rounding r1 to float32 adds one ulp: covered by 1 + 1e-6 and the +2 in the bound).
      const bad: string[] = [];
      for (let i = 0; i < y2.data.length; i++) {
        const tol = errorBound(8, abs2[i]!) + 2 * carried[i]! + Math.abs(r2.data[i]!) * 2 ** -23;
        if (!(Math.abs(y2.data[i]! - r2.data[i]!) <= tol) && bad.length < 5) bad.push(`[${i}] ${y2.data[i]} vs ${r2.data[i]} (tol ${tol})`);
      }
      expect(bad).toEqual([]);
    }
  });

  it('Conv2d(32, 256, k=3, groups=8) has weight shape (256, 4, 3, 3); (256, 32, 3, 3) is a CHANNEL_MISMATCH', () => {
    const next = rng(47);
    const x = randomTensor([1, 32, 5, 5], next);
    const w = randomTensor([256, 4, 3, 3], next);
    for (const ctx of [...Object.values(ctxByName), null]) {
      if (ctx) expect(sc.createConv2d(w, null, { groups: 8 }, ctx).outputShape(x.shape)).toEqual([1, 256, 3, 3]);
      const y = runOn(ctx, 'conv2d', x, w, null, { groups: 8 });
      expect(y.shape).toEqual([1, 256, 3, 3]);
      expectMatchesReference(y, 'conv2d', x, w, null, { groups: 8 });
    }
    const wrong = randomTensor([256, 32, 3, 3], next);
    const err = expectError(() => sc.conv2d(x, wrong, null, { groups: 8 }), 'CHANNEL_MISMATCH', 'input.shape[1]');
    expect(err.expected).toContain('256');
    expect(err.received).toContain('32');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Layouts

describe.each(['wasm simd128', 'wasm relaxed', 'js'] as const)('layouts on %s', (backendName) => {
  it('channels-last results equal the channels-first results transposed, every rank', () => {
    const ctx = ctxOf(backendName)!;
    const arb = fc.record({
      rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
      groups: fc.integer({ min: 1, max: 3 }),
      cinG: fc.integer({ min: 1, max: 5 }),
      coutG: fc.integer({ min: 1, max: 10 }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 1 }),
      mode: fc.constantFrom<PaddingMode>('zeros', 'reflect', 'replicate', 'circular'),
      size: fc.integer({ min: 3, max: 11 }),
      batch: fc.integer({ min: 1, max: 2 }),
      bias: fc.boolean(),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const op = OP_OF_RANK[r.rank];
        const next = rng(r.seed);
        const spatial = new Array<number>(r.rank).fill(r.rank === 3 ? Math.min(r.size, 6) : r.size);
        const xcf = randomTensor([r.batch, r.groups * r.cinG, ...spatial], next);
        const w = randomTensor([r.groups * r.coutG, r.cinG, ...new Array<number>(r.rank).fill(r.k)], next);
        const b = r.bias ? randomTensor([r.groups * r.coutG], next) : null;
        const base: PlanOptions = { stride: r.stride, padding: r.pad, paddingMode: r.mode, groups: r.groups, activation: 'relu6' };
        const ycf = runOn(ctx, op, xcf, w, b, { ...base, layout: 'channels-first' });
        const ycl = runOn(ctx, op, toChannelsLast(xcf), w, b, { ...base, layout: 'channels-last' });
        const expectedCl = toChannelsLast(ycf);
        expect(ycl.shape).toEqual(expectedCl.shape);
        if (ctx.backend === 'js') {
          // The js backend sums in the same order for both layouts: bit-identical.
          expect(sameBits(ycl.data, expectedCl.data)).toBe(true);
        } else {
          // The wasm kernels sum in layout-specific orders (channel-major vs tap-major GEMM reductions, split
          // accumulators in the depthwise kernels): the same numbers up to float32 rounding, each result
          // within the float32 bound of the exact value, so within twice that of each other.
          const bound = referenceConv(op, toChannelsLast(absTensor(xcf)), absTensor(w), b && absTensor(b), {
            ...base,
            layout: 'channels-last',
            activation: 'none',
          }).data;
          const k = w.shape.slice(1).reduce((a, c) => a * c, 1);
          for (let i = 0; i < bound.length; i++) {
            expect(Math.abs(ycl.data[i]! - expectedCl.data[i]!)).toBeLessThanOrEqual(2 * errorBound(k, bound[i]!) + 2 ** -22 * Math.abs(expectedCl.data[i]!));
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
