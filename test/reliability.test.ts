// Issue #30's findings, one regression test each (each failed before its fix): sparse option arrays (2), views
// of wasm memory that are not live tensors (3), re-entering a running plan (5), arguments read once (6), plans
// copying their weights (9); and a resident input whose view the run's own allocations detach.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import { platform } from '../src/platform/platform.js';
import { resolveConvParams, resolveConvTransposeParams } from '../src/shape.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

function expectError(fn: () => unknown, code: sc.ErrorCode, argument: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a SimdconvError ${code} naming ${argument}`).toBeInstanceOf(sc.SimdconvError);
  expect((thrown as sc.SimdconvError).code).toBe(code);
  expect((thrown as sc.SimdconvError).argument).toBe(argument);
}

/** An array of `length` with a hole at `hole` and `fill` elsewhere, as `[, 2]` makes. */
function sparse(length: number, hole: number, fill: number): number[] {
  const a = new Array<number>(length);
  for (let i = 0; i < length; i++) if (i !== hole) a[i] = fill;
  return a;
}

beforeAll(async () => {
  await sc.init();
});

describe('sparse arrays are rejected, not read as holes (#30.2)', () => {
  const next = rng(30);
  const x = randomTensor([1, 2, 6, 5], next);
  const w = randomTensor([3, 2, 3, 3], next);

  it.each(['stride', 'padding', 'dilation'] as const)('options.%s', (option) => {
    for (const hole of [0, 1]) expectError(() => sc.conv2d(x, w, null, { [option]: sparse(2, hole, 1) }), 'INVALID_ARGUMENT', `options.${option}`);
  });

  it('transposed options.outputPadding, options.outputSize and options.stride', () => {
    const wt = randomTensor([2, 3, 3, 3], next);
    expectError(() => sc.convTranspose2d(x, wt, null, { stride: 2, outputPadding: sparse(2, 0, 1) }), 'INVALID_ARGUMENT', 'options.outputPadding');
    expectError(() => sc.convTranspose2d(x, wt, null, { stride: sparse(2, 1, 2) }), 'INVALID_ARGUMENT', 'options.stride');
    expectError(() => sc.convTranspose2d(x, wt, null, { outputSize: sparse(2, 0, 13) }), 'INVALID_ARGUMENT', 'options.outputSize');
  });

  it('input.shape and out.shape', () => {
    expectError(() => sc.conv2d({ data: x.data, shape: sparse(4, 2, 6) }, w, null), 'INVALID_TENSOR', 'input.shape');
    const out = { data: new Float32Array(3 * 4 * 3), shape: sparse(4, 0, 0) };
    out.shape[1] = 3;
    out.shape[2] = 4;
    out.shape[3] = 3;
    expectError(() => sc.conv2d(x, w, null, { out }), 'OUTPUT_MISMATCH', 'options.out.shape');
  });

  it('introspection', () => {
    expectError(() => sc.convOutputShape('conv2d', sparse(4, 2, 5), [3, 2, 3, 3]), 'INVALID_ARGUMENT', 'inputShape');
  });
});

describe('a running plan rejects a second run from inside the first (#30.5)', () => {
  /** A Float32Array whose `set` calls `during` first: before #30.6 a staged output's copy-out ran it mid-run. */
  class CallbackArray extends Float32Array {
    during: (() => void) | null = null;
    override set(array: ArrayLike<number>, offset?: number): void {
      const f = this.during;
      this.during = null;
      f?.();
      super.set(array, offset);
    }
  }

  it.each([1, 2])('on %i thread(s), and the plan still gives the right result after', async (threads) => {
    const ctx = await sc.createContext({ threads });
    const next = rng(31);
    const x = randomTensor([1, 16, 40, 40], next);
    const w = randomTensor([16, 16, 3, 3], next);
    const plan = sc.createConv2d(w, null, { padding: 1 }, ctx);
    const expected = referenceConv('conv2d', x, w, null, { padding: 1 });
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 }).data;
    const shape = plan.outputShape(x.shape);
    // No user code runs during a run now: a subclass is written through a plain view of its memory.
    const data = new CallbackArray(shape.reduce((p, v) => p * v, 1));
    let called = false;
    data.during = () => (called = true);
    plan.run(x, { data, shape });
    expect(called, "the subclass's set ran").toBe(false);
    expectConvClose({ data, shape }, expected, bound, 16 * 9);
    // The guard itself, entered from inside the run's kernels' driver.
    const inner: unknown[] = [];
    const driver = plan as unknown as { execute: (...args: unknown[]) => void };
    const execute = driver.execute;
    driver.execute = function (this: unknown, ...args: unknown[]) {
      try {
        plan.run(x);
      } catch (error) {
        inner.push(error);
      }
      execute.apply(this, args);
    };
    const y = plan.run(x);
    driver.execute = execute;
    expect(inner).toHaveLength(1);
    expect(inner[0]).toBeInstanceOf(sc.SimdconvError);
    expect((inner[0] as sc.SimdconvError).argument).toBe('plan');
    expectConvClose(y, expected, bound, 16 * 9);
    expectConvClose(plan.run(x), expected, bound, 16 * 9);
    plan.dispose();
    ctx.dispose();
  });
});

describe('a resident input whose view the first run detaches (memory grown by prepare) is read where it lies', () => {
  it.each([
    ['direct conv2d (padded copy)', [1, 64, 64, 64], [64, 64, 3, 3], {}],
    ['depthwise, chunked', [1, 144, 56, 56], [144, 1, 3, 3], { groups: 144 }],
  ] as const)('%s', async (_name, xShape, wShape, extra) => {
    const ctx = await sc.createContext({ build: 'simd128' });
    const next = rng(33);
    const x = randomTensor([...xShape], next);
    const w = randomTensor([...wShape], next);
    const resident = ctx.tensor([...xShape], x.data);
    const plan = sc.createConv2d(w, null, { padding: 1, ...extra }, ctx);
    const before = ctx.memoryStats().memoryBytes;
    const y = plan.run(resident);
    expect(ctx.memoryStats().memoryBytes, 'the run grew the memory').toBeGreaterThan(before);
    const options = { padding: 1, ...extra };
    expectConvClose(y, referenceConv('conv2d', x, w, null, options), referenceConv('conv2d', absTensor(x), absTensor(w), null, options).data, wShape[1] * 9);
    plan.dispose();
    resident.dispose();
    ctx.dispose();
  });
});

describe('a js-backend plan keeps its own copy of the weights (#30.9)', () => {
  it('changing or detaching the weight and bias arrays after the plan is made changes nothing', async () => {
    const ctx = await sc.createContext({ backend: 'js' });
    const next = rng(34);
    const x = randomTensor([1, 3, 7, 6], next);
    const w = randomTensor([4, 3, 3, 3], next);
    const b = randomTensor([4], next);
    const expected = referenceConv('conv2d', x, w, b, { padding: 1 });
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), absTensor(b), { padding: 1 }).data;
    const mine = { w: w.data.slice(), b: b.data.slice() };
    const changing = sc.createConv2d({ data: mine.w, shape: w.shape }, { data: mine.b, shape: b.shape }, { padding: 1 }, ctx);
    mine.w.fill(0);
    mine.b.fill(0);
    expectConvClose(changing.run(x), expected, bound, 27);
    structuredClone(mine.w.buffer, { transfer: [mine.w.buffer] });
    structuredClone(mine.b.buffer, { transfer: [mine.b.buffer] });
    expect(mine.w.length).toBe(0);
    expectConvClose(changing.run(x), expected, bound, 27);
    changing.dispose();
  });
});

describe('only live resident tensors are used in place; other views of wasm memory are copied or refused (#30.3)', () => {
  const next = rng(35);
  const x = randomTensor([1, 3, 9, 8], next);
  const w = randomTensor([4, 3, 3, 3], next);
  const expected = () => referenceConv('conv2d', x, w, null, { padding: 1 });
  const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 }).data;
  const outShape = [1, 4, 9, 8];

  it.each([1, 2])('an out view at byte 0, a stale view of a disposed tensor and part of a live one are refused (%i thread(s))', async (threads) => {
    const ctx = await sc.createContext({ threads, build: 'simd128' });
    const plan = sc.createConv2d(w, null, { padding: 1 }, ctx);
    const live = ctx.tensor([2 * 4 * 9 * 8]);
    const memory = live.data.buffer;
    expectError(() => plan.run(x, { data: new Float32Array(memory, 0, 4 * 9 * 8), shape: outShape }), 'INVALID_TENSOR', 'options.out.data');
    expectError(() => plan.run(x, { data: live.data.subarray(8, 8 + 4 * 9 * 8), shape: outShape }), 'INVALID_TENSOR', 'options.out.data');
    const gone = ctx.tensor(outShape);
    const stale = gone.data;
    gone.dispose();
    // Its block is free: a plan made now may pack its weights there.
    const plan2 = sc.createConv2d(w, null, { padding: 1 }, ctx);
    expectError(() => plan2.run(x, { data: stale, shape: outShape }), 'INVALID_TENSOR', 'options.out.data');
    // A shared memory's views from before a growth keep working; a disposed tensor's is still refused.
    // (An unshared memory's old views are detached: length 0.)
    const growth = ctx.tensor([8 << 20]);
    expectError(() => plan2.run(x, { data: stale, shape: outShape }), threads > 1 ? 'INVALID_TENSOR' : 'OUTPUT_MISMATCH', 'options.out.data');
    expectError(
      () => sc.channelShuffle(ctx.tensor([1, 4, 2]), 2, { out: { data: new Float32Array(growth.data.buffer, 64, 8), shape: [1, 4, 2] } }),
      'INVALID_TENSOR',
      'options.out.data',
    );
    // Nothing was overwritten: both plans still compute the right values, in place in a live tensor too.
    expectConvClose(plan.run(x), expected(), bound, 27);
    expectConvClose(plan2.run(x), expected(), bound, 27);
    const out = ctx.tensor(outShape);
    plan2.run(x, out);
    expectConvClose(out, expected(), bound, 27);
    for (const t of [live, growth, out]) t.dispose();
    plan.dispose();
    plan2.dispose();
    ctx.dispose();
  });

  it('an input view of wasm memory that is not a live tensor is read as it was at the call', async () => {
    const ctx = await sc.createContext({ build: 'simd128' });
    const plan = sc.createConv2d(w, null, { padding: 1 }, ctx);
    plan.run(x);
    const probe = ctx.tensor([1]);
    // A view over memory the plan owns (its packed weights and workspaces lie below the probe).
    const view = new Float32Array(probe.data.buffer, 1024, x.data.length);
    const seen = { data: view.slice(), shape: x.shape };
    const big = sc.createConv2d(randomTensor([64, 3, 3, 3], next), null, { padding: 1 }, ctx);
    const y = big.run({ data: view, shape: x.shape });
    const w64 = big.params.weight;
    expectConvClose(
      y,
      referenceConv('conv2d', seen, w64, null, { padding: 1 }),
      referenceConv('conv2d', absTensor(seen), absTensor(w64), null, { padding: 1 }).data,
      27,
    );
    expectConvClose(plan.run(x), expected(), bound, 27);
    probe.dispose();
    plan.dispose();
    big.dispose();
    ctx.dispose();
  });

  it('a resident tensor as weight and bias, when making the plan grows the memory', async () => {
    const ctx = await sc.createContext({ build: 'simd128' });
    const wBig = randomTensor([256, 64, 3, 3], next);
    const b = randomTensor([256], next);
    const weight = ctx.tensor(wBig.shape, wBig.data);
    const bias = ctx.tensor(b.shape, b.data);
    const before = ctx.memoryStats().memoryBytes;
    const plan = sc.createConv2d(weight, bias, { padding: 1 }, ctx);
    expect(ctx.memoryStats().memoryBytes, 'making the plan grew the memory').toBeGreaterThan(before);
    const input = randomTensor([1, 64, 5, 5], next);
    const y = plan.run(input);
    expectConvClose(
      y,
      referenceConv('conv2d', input, wBig, b, { padding: 1 }),
      referenceConv('conv2d', absTensor(input), absTensor(wBig), absTensor(b), { padding: 1 }).data,
      64 * 9,
    );
    plan.dispose();
    weight.dispose();
    bias.dispose();
    ctx.dispose();
  });
});

describe('each argument is read once and what was validated is used (#30.6)', () => {
  const next = rng(36);
  const x = randomTensor([1, 3, 9, 8], next);
  const w = randomTensor([4, 3, 3, 3], next);
  const options = { padding: 1 };
  const expected = () => referenceConv('conv2d', x, w, null, options);
  const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, options).data;

  /** A tensor whose getters count their reads and give `later` after the first. */
  function fickle(first: sc.Tensor, later: sc.Tensor): { tensor: sc.Tensor; reads: { data: number; shape: number } } {
    const reads = { data: 0, shape: 0 };
    const tensor = {
      get data() {
        return reads.data++ === 0 ? first.data : later.data;
      },
      get shape() {
        return reads.shape++ === 0 ? first.shape : later.shape;
      },
    };
    return { tensor, reads };
  }

  it.each(['wasm', 'js'] as const)('input, weight, bias and out on %s', async (backend) => {
    const ctx = await sc.createContext({ backend });
    const big = randomTensor([2, 3, 90, 80], next);
    const input = fickle(x, big);
    const weight = fickle(w, randomTensor([8, 3, 5, 5], next));
    const plan = sc.createConv2d(weight.tensor, null, options, ctx);
    const y = plan.run(input.tensor);
    expect(y.shape).toEqual([1, 4, 9, 8]);
    expectConvClose(y, expected(), bound, 27);
    expect(input.reads).toEqual({ data: 1, shape: 1 });
    expect(weight.reads).toEqual({ data: 1, shape: 1 });
    const out = fickle({ data: new Float32Array(4 * 9 * 8), shape: [1, 4, 9, 8] }, { data: new Float32Array(1), shape: [1] });
    const again = fickle(x, big);
    plan.run(again.tensor, out.tensor);
    expect(out.reads).toEqual({ data: 1, shape: 1 });
    expect(again.reads).toEqual({ data: 1, shape: 1 });
    plan.dispose();
    ctx.dispose();
  });

  it('a shape array whose elements change after they were read', () => {
    let reads = 0;
    const shape = new Proxy([1, 3, 9, 8], {
      get(target, key, receiver) {
        if (key === '2') return reads++ === 0 ? 9 : 90;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const y = sc.conv2d({ data: x.data, shape }, w, null, options);
    expect(y.shape).toEqual([1, 4, 9, 8]);
    expectConvClose(y, expected(), bound, 27);
    expect(reads).toBe(1);
  });

  it('a Float32Array subclass whose getters lie about its memory is used as the memory it views', () => {
    class Liar extends Float32Array {
      override get length(): number {
        return 27648;
      }
      override get byteOffset(): number {
        return 0;
      }
    }
    const data = new Liar(x.data.length + 5).subarray(5) as Float32Array;
    const honest = new Float32Array(data.buffer, 20, x.data.length);
    honest.set(x.data);
    expectConvClose(sc.conv2d({ data, shape: x.shape }, w, null, options), expected(), bound, 27);
    const out = new Liar(4 * 9 * 8);
    sc.conv2d(x, w, null, { ...options, out: { data: out, shape: [1, 4, 9, 8] } });
    expectConvClose({ data: new Float32Array(out.buffer), shape: [1, 4, 9, 8] }, expected(), bound, 27);
  });

  it('a Proxy around a Float32Array is refused with a SimdconvError (#30.10)', () => {
    const data = new Proxy(x.data, {});
    expectError(() => sc.conv2d({ data, shape: x.shape }, w, null, options), 'INVALID_TENSOR', 'input.data');
    expectError(() => sc.conv2d(x, { data: new Proxy(w.data, {}), shape: w.shape }, null, options), 'INVALID_TENSOR', 'weight.data');
  });
});

describe('non-finite weights follow PyTorch on every backend and path (#30.7, #30.8)', () => {
  type Runner = { name: string; make: () => Promise<sc.Context | null>; done?: (c: sc.Context | null) => void };
  const RUNNERS: Runner[] = [
    { name: 'wasm simd128', make: () => sc.createContext({ build: 'simd128' }) },
    { name: 'wasm relaxed', make: () => sc.createContext({ build: 'relaxed' }) },
    { name: 'wasm, 2 threads', make: () => sc.createContext({ threads: 2 }) },
    { name: 'js', make: () => sc.createContext({ backend: 'js' }) },
  ];
  const f = (v: number[]) => new Float32Array(v);

  it.each(RUNNERS)('the cases of the issue on $name', async ({ make }) => {
    const ctx = (await make())!;
    // Transposed: only terms of the true input take part (PyTorch: [1, 1, Inf, 2, Inf, 3, Inf]).
    const t = sc.createConvTranspose1d({ data: f([1, 1, Infinity]), shape: [1, 1, 3] }, null, { stride: 2 }, ctx).run({ data: f([1, 2, 3]), shape: [1, 1, 3] });
    expect([...t.data]).toEqual([1, 1, Infinity, 2, Infinity, 3, Infinity]);
    // Conv: zero padding takes part (0 x Inf = NaN), as in PyTorch's float64 and native float32 paths.
    const c = sc.createConv1d({ data: f([Infinity, 1, 1]), shape: [1, 1, 3] }, null, { padding: 1 }, ctx).run({ data: f([1, 2, 3]), shape: [1, 1, 3] });
    expect([...c.data]).toEqual([NaN, Infinity, Infinity]);
    // 2-D depthwise 3x3 with padding, an Inf corner tap in channel 1: NaN on the rows and columns whose tap is padding.
    const x = { data: new Float32Array(2 * 4 * 5).fill(1), shape: [1, 2, 4, 5] };
    const w = { data: new Float32Array(18).fill(0.5), shape: [2, 1, 3, 3] };
    w.data[9] = -Infinity;
    const d = sc.createConv2d(w, null, { padding: 1, groups: 2 }, ctx).run(x);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 5; j++) {
        expect(Number.isFinite(d.data[i * 5 + j]!), `channel 0 (${i}, ${j})`).toBe(true);
        expect(d.data[20 + i * 5 + j], `channel 1 (${i}, ${j})`).toBe(i === 0 || j === 0 ? NaN : -Infinity);
      }
    ctx.dispose();
  });

  /** A random case with a few weights made Inf, -Inf or NaN (and some exact zeros in the input). */
  function plantedCase(next: () => number, i: number) {
    const kinds = [
      { op: 'conv2d', x: [2, 6, 9, 8], w: [6, 1, 3, 3], o: { padding: 1, groups: 6 } },
      { op: 'conv2d', x: [1, 6, 9, 8], w: [6, 1, 5, 5], o: { padding: 2, stride: 2, groups: 6 } },
      { op: 'conv2d', x: [2, 5, 7, 9], w: [7, 5, 3, 3], o: { padding: 1 } },
      { op: 'conv2d', x: [1, 8, 12, 11], w: [16, 8, 3, 3], o: { padding: [2, 1], dilation: 2, layout: 'channels-last' } },
      { op: 'conv2d', x: [1, 4, 6, 6], w: [8, 2, 3, 3], o: { padding: 'same', groups: 2, paddingMode: 'reflect' } },
      { op: 'conv2d', x: [1, 16, 10, 10], w: [16, 16, 3, 3], o: { padding: 1, algorithm: 'winograd' } },
      { op: 'conv1d', x: [3, 4, 20], w: [6, 4, 5], o: { padding: 3, stride: 3 } },
      { op: 'conv3d', x: [1, 3, 5, 6, 5], w: [4, 3, 3, 3, 3], o: { padding: 1 } },
      { op: 'convTranspose2d', x: [2, 4, 5, 6], w: [4, 3, 3, 3], o: { stride: 2, padding: 1, outputPadding: 1 } },
      { op: 'convTranspose2d', x: [1, 6, 4, 4], w: [6, 1, 4, 4], o: { stride: 3, groups: 6, layout: 'channels-last' } },
      { op: 'convTranspose1d', x: [1, 3, 7], w: [3, 5, 3], o: { stride: 2, dilation: 2, padding: 2 } },
      { op: 'convTranspose3d', x: [1, 2, 3, 3, 3], w: [2, 3, 2, 2, 2], o: { stride: 2 } },
    ] as const;
    const k = kinds[i % kinds.length]!;
    const channelsLast = 'layout' in k.o && k.o.layout === 'channels-last';
    const xShape = channelsLast ? [k.x[0], ...k.x.slice(2), k.x[1]] : [...k.x];
    const x = randomTensor(xShape, next);
    for (let j = 0; j < 4; j++) x.data[Math.floor(next() * x.data.length)] = 0;
    const w = randomTensor([...k.w], next);
    const values = [Infinity, -Infinity, NaN];
    for (let j = 0; j < 1 + (i % 3); j++) w.data[Math.floor(next() * w.data.length)] = values[(i + j) % 3]!;
    const b = randomTensor([k.op.startsWith('convTranspose') ? k.w[1] * ('groups' in k.o ? k.o.groups : 1) : k.w[0]], next);
    const activation = (['none', 'relu', { min: -0.5, max: 0.5 }] as const)[i % 3];
    return { op: k.op, x, w, b, options: { ...k.o, activation } as sc.ConvOptions & sc.ConvTransposeOptions };
  }

  it.each(RUNNERS)('planted Inf, -Inf and NaN weights against the reference on $name: every kernel path', async ({ make }) => {
    const ctx = (await make())!;
    const next = rng(37);
    for (let i = 0; i < 36; i++) {
      const { op, x, w, b, options } = plantedCase(next, i);
      const transposed = op.startsWith('convTranspose');
      const create = { conv1d: sc.createConv1d, conv2d: sc.createConv2d, conv3d: sc.createConv3d } as Record<string, typeof sc.createConv2d>;
      const createT = {
        convTranspose1d: sc.createConvTranspose1d,
        convTranspose2d: sc.createConvTranspose2d,
        convTranspose3d: sc.createConvTranspose3d,
      } as Record<string, typeof sc.createConvTranspose2d>;
      const call = (input: sc.Tensor, weight: sc.Tensor, bias: sc.Tensor) => {
        const plan = transposed ? createT[op]!(weight, bias, options, ctx) : create[op]!(weight, bias, options, ctx);
        expect(plan.info.backend).toBe(ctx.backend);
        const y = plan.run(input);
        plan.dispose();
        return y;
      };
      const ref = (input: sc.Tensor, weight: sc.Tensor, bias: sc.Tensor) =>
        transposed
          ? referenceConvTranspose(op as 'convTranspose2d', input, weight, bias, options)
          : referenceConv(op as 'conv2d', input, weight, bias, options);
      const expected = ref(x, w, b);
      expect(
        expected.data.some((v) => !Number.isFinite(v)),
        `case ${i} (${op}) has non-finite outputs`,
      ).toBe(true);
      // Most products in one output: (Cin / groups) * prod(kernel), for both kinds.
      const params = transposed ? resolveConvTransposeParams(op as 'convTranspose2d', w, b, options) : resolveConvParams(op as 'conv2d', w, b, options);
      const reduction = (params.inChannels / params.groups) * params.kernel.reduce((s, v) => s * v, 1);
      expectConvClose(call(x, w, b), expected, ref(absTensor(x), absTensor(w), absTensor(b)).data, reduction);
    }
    ctx.dispose();
  });
});

describe('bad input once accepted silently is refused with a SimdconvError (#30.11)', () => {
  const next = rng(39);
  const x = randomTensor([1, 2, 5, 5], next);
  const w = randomTensor([3, 2, 3, 3], next);

  it.each([
    [{ minimum: 0 }, 'a misspelt key'],
    [{ min: 0, max: 6, slope: 0.1 }, 'an extra key'],
    [[0, 6], 'an array'],
    [null, 'null'],
  ] as Array<[unknown, string]>)('activation %j (%s)', (activation) => {
    expectError(() => sc.conv2d(x, w, null, { activation: activation as never }), 'INVALID_ARGUMENT', 'options.activation');
  });

  it('null where an option was left out, in ops and in init', async () => {
    expectError(() => sc.conv2d(x, w, null, { paddingMode: null as never }), 'INVALID_PADDING_MODE', 'options.paddingMode');
    for (const [key, value, code] of [
      ['threads', null, 'INVALID_ARGUMENT'],
      ['backend', null, 'INVALID_ARGUMENT'],
      ['build', null, 'INVALID_ARGUMENT'],
      ['deterministic', 'yes', 'INVALID_ARGUMENT'],
      ['threads', 200, 'INVALID_ARGUMENT'],
      ['threads', 33, 'INVALID_ARGUMENT'],
    ] as const) {
      const error = await sc.createContext({ [key]: value } as never).catch((e: unknown) => e);
      expect(error, `${key}: ${String(value)}`).toMatchObject({ code, argument: `options.${key}` });
    }
    const relaxd = new Uint8Array(8);
    const error = await sc.createContext({ wasm: { relaxd } } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.wasm.relaxd' });
  });

  it('out given to a plan (it belongs to run), on wasm, js and the transposed plans', async () => {
    const out = { data: new Float32Array(3 * 25), shape: [1, 3, 5, 5] };
    expectError(() => sc.createConv2d(w, null, { padding: 1, out } as never), 'INVALID_ARGUMENT', 'options.out');
    expectError(() => sc.createConvTranspose2d(randomTensor([2, 3, 3, 3], next), null, { out } as never), 'INVALID_ARGUMENT', 'options.out');
    // The one-shot ops still take it.
    expect(sc.conv2d(x, w, null, { padding: 1, out })).toBe(out);
  });

  it('plan.outputShape names inputShape', () => {
    const plan = sc.createConv2d(w, null);
    expectError(() => plan.outputShape('abc' as never), 'INVALID_ARGUMENT', 'inputShape');
    expectError(() => plan.outputShape(sparse(4, 1, 5)), 'INVALID_ARGUMENT', 'inputShape');
    plan.dispose();
  });

  it.each(['wasm', 'js'] as const)('context.tensor on %s: values that are not numbers, a 5 GiB shape, a disposed tensor', async (backend) => {
    const ctx = await sc.createContext({ backend });
    expectError(() => ctx.tensor([3], 'abc' as never), 'INVALID_ARGUMENT', 'values');
    expectError(() => ctx.tensor([2], ['1', 2] as never), 'INVALID_ARGUMENT', 'values');
    expectError(() => ctx.tensor(sparse(2, 0, 2)), 'INVALID_ARGUMENT', 'shape');
    expectError(() => ctx.tensor([5, 1024, 1024, 256]), 'OUT_OF_MEMORY', 'shape');
    const t = ctx.tensor([1, 2, 5, 5], x.data);
    expect([...t.data]).toEqual([...x.data]);
    t.dispose();
    expectError(() => t.data, 'DISPOSED', 'tensor');
    expectError(() => sc.createConv2d(w, null, {}, ctx).run(t), 'DISPOSED', 'tensor');
    ctx.dispose();
  });
});

describe('work and memory are bounded by the input and output, not by a stride or a padding (#30.1)', () => {
  it.each(['simd128', 'js'] as const)('conv2d with strides up to 2^31 and padding beyond the window, on %s', async (build) => {
    const ctx = await sc.createContext(build === 'js' ? { backend: 'js' } : { build });
    const next = rng(40);
    const x = randomTensor([1, 3, 9, 8], next);
    const w = randomTensor([4, 3, 3, 3], next);
    for (const options of [
      { stride: [1, 1e7] },
      { stride: [1, 2 ** 31], padding: 1 },
      { stride: [2 ** 31, 5] },
      { stride: 1e7, padding: [1e6, 2] },
      { stride: [3, 1e7], padding: 1, paddingMode: 'replicate' as const },
      // Several outputs per axis, a padding far past what the stride reads: the reference computes these.
      { stride: [1, 1e7], padding: [0, 1e7] },
      { stride: [1e6, 1e6], padding: 1e6 },
    ]) {
      const plan = sc.createConv2d(w, null, options, ctx);
      const y = plan.run(x);
      expectConvClose(y, referenceConv('conv2d', x, w, null, options), referenceConv('conv2d', absTensor(x), absTensor(w), null, options).data, 27);
      plan.dispose();
    }
    // Found by the fuzz suite: channels-last 1x1, grouped, one output column at stride 1000 (a stride of 1 there
    // had sent it down the in-place 1x1 path, which reads input pixels as output pixels).
    const xl = randomTensor([2, 2, 16], next);
    const wl = randomTensor([8, 4, 1, 1], next);
    const ol = { stride: [1, 1000], groups: 4, layout: 'channels-last' as const };
    const yl = sc.createConv2d(wl, null, ol, ctx).run(xl);
    expectConvClose(yl, referenceConv('conv2d', xl, wl, null, ol), referenceConv('conv2d', absTensor(xl), absTensor(wl), null, ol).data, 4);
    // Nothing near the strides' size was ever allocated.
    if (build !== 'js') expect(ctx.memoryStats().peakBytes).toBeLessThan(1 << 20);
    ctx.dispose();
  });

  it('a transposed conv of a 1x1 input at stride 3000 and 20000: the phase table is the output, not the stride squared', async () => {
    const ctx = await sc.createContext({ build: 'simd128' });
    const x = { data: new Float32Array([2]), shape: [1, 1, 1, 1] };
    const w = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
    for (const stride of [3000, 20000, [5, 2 ** 20]]) {
      const y = sc.createConvTranspose2d(w, { data: new Float32Array([0.5]), shape: [1] }, { stride }, ctx).run(x);
      expect([...y.data]).toEqual([2.5, 4.5, 6.5, 8.5]);
    }
    // A larger output at strides above the kernel: bias where no tap reaches.
    const x2 = randomTensor([1, 2, 3, 4], rng(41));
    const w2 = randomTensor([2, 3, 2, 2], rng(42));
    for (const o of [{ stride: [7, 5] }, { stride: [3, 40], padding: [0, 1], outputPadding: [2, 0] }]) {
      const y2 = sc.createConvTranspose2d(w2, null, o, ctx).run(x2);
      expectConvClose(
        y2,
        referenceConvTranspose('convTranspose2d', x2, w2, null, o),
        referenceConvTranspose('convTranspose2d', absTensor(x2), absTensor(w2), null, o).data,
        8,
      );
    }
    expect(ctx.memoryStats().peakBytes).toBeLessThan(1 << 20);
    ctx.dispose();
  });
});

describe('a dead pool worker is noticed, and dispose during an op is refused (#30.4)', () => {
  it('a worker terminated between ops: the next threaded op fails within about a second, and the context says it is unusable', async () => {
    const handles: Array<{ terminate(): void }> = [];
    const start = platform().startWorker.bind(platform());
    const spy = vi.spyOn(platform(), 'startWorker').mockImplementation((url, init) => {
      const started = start(url, init);
      handles.push(started.handle);
      return started;
    });
    const ctx = await sc.createContext({ threads: 2, build: 'simd128' });
    spy.mockRestore();
    expect(handles).toHaveLength(1);
    const next = rng(43);
    const x = randomTensor([1, 32, 48, 48], next);
    const w = randomTensor([32, 32, 3, 3], next);
    const plan = sc.createConv2d(w, null, { padding: 1 }, ctx);
    const expected = referenceConv('conv2d', x, w, null, { padding: 1 });
    const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 }).data;
    expectConvClose(plan.run(x), expected, bound, 32 * 9);
    expect(plan.info.threads).toBe(2);
    handles[0]!.terminate();
    const t0 = Date.now();
    expectError(() => plan.run(x), 'BACKEND_UNAVAILABLE', 'threads');
    // Bounded: the grace is max(1 s, 20x the calling thread's share); nothing near a hang.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectError(() => plan.run(x), 'BACKEND_UNAVAILABLE', 'threads');
    // A layer too small to split still runs on the calling thread.
    const small = sc.createConv2d(randomTensor([2, 1, 3, 3], next), null, {}, ctx);
    expect(small.run(randomTensor([1, 1, 5, 5], next)).shape).toEqual([1, 2, 3, 3]);
    plan.dispose();
    small.dispose();
    ctx.dispose();
  });
});
