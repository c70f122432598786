// Issue #30's findings, one regression test each (each failed before its fix): sparse option arrays (2),
// re-entering a running plan (5), tensors whose properties change between reads (6).
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { Tensor } from '../src/types.js';
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

describe('each argument is read once: what was validated is what is used (#30.6)', () => {
  const next = rng(32);
  const x = randomTensor([1, 2, 6, 5], next);
  const w = randomTensor([3, 2, 3, 3], next);
  const expected = referenceConv('conv2d', x, w, null, { padding: 1 });
  const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, { padding: 1 }).data;

  /** A tensor whose `data` or `shape` is `first` on the first read and `later` after. */
  function changing<K extends 'data' | 'shape'>(key: K, first: Tensor[K], later: Tensor[K]): Tensor {
    const t = { ...x } as Tensor;
    let reads = 0;
    Object.defineProperty(t, key, { get: () => (reads++ === 0 ? first : later) });
    return t;
  }

  it('input.data: a larger array on a second read is never copied into the staging buffer', () => {
    const input = changing('data', x.data, new Float32Array(27_648).fill(1));
    const y = sc.createConv2d(w, null, { padding: 1 }).run(input);
    expectConvClose(y, expected, bound, 18);
  });

  it('input.shape: another shape on a second read is not used', () => {
    const input = changing('shape', x.shape, [2, 4, 88, 78]);
    const y = sc.conv2d(input, w, null, { padding: 1 });
    expect(y.shape).toEqual([1, 3, 6, 5]);
    expectConvClose(y, expected, bound, 18);
  });
});
