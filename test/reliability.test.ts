// Issue #30's findings, one regression test each (each failed before its fix): sparse option arrays (2),
// re-entering a running plan (5); and a resident input whose view the run's own allocations detach.
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
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
  /** A Float32Array whose `set` (the copy of a staged output into it) calls `during` first. */
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
    const shape = plan.outputShape(x.shape);
    const data = new CallbackArray(shape.reduce((p, v) => p * v, 1));
    let inner: unknown;
    data.during = () => {
      try {
        plan.run(x);
      } catch (error) {
        inner = error;
        throw error;
      }
    };
    expect(() => plan.run(x, { data, shape })).toThrow(sc.SimdconvError);
    expect(inner).toBeInstanceOf(sc.SimdconvError);
    expect((inner as sc.SimdconvError).argument).toBe('plan');
    const y = plan.run(x);
    expectConvClose(
      y,
      referenceConv('conv2d', x, w, null, { padding: 1 }),
      referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 }).data,
      16 * 9,
    );
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
