/**
 * NOT_INITIALIZED: the synchronous ops before `await init()`. This file must never call init() before these
 * tests (vitest runs each file in its own module graph, so other files' init() does not leak in here).
 */
import { describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { Tensor } from '../src/types.js';

const t = (shape: number[]): Tensor => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape });

function expectNotInitialized(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(sc.SimdconvError);
  const err = error as sc.SimdconvError;
  expect(err.code).toBe('NOT_INITIALIZED');
  expect(err.argument).toBe('simdconv');
  expect(String(err.message)).toContain(err.argument);
  expect(String(err.message)).toContain(err.expected);
  expect(String(err.message)).toContain(err.received);
  expect(err.expected).toContain('init');
}

describe('before init()', () => {
  it('one-shot ops throw NOT_INITIALIZED', () => {
    expectNotInitialized(() => sc.conv1d(t([1, 2, 5]), t([3, 2, 3])));
    expectNotInitialized(() => sc.conv2d(t([1, 2, 5, 5]), t([3, 2, 3, 3]), t([3]), { padding: 1 }));
    expectNotInitialized(() => sc.conv3d(t([1, 2, 4, 4, 4]), t([3, 2, 3, 3, 3])));
  });

  it('plan constructors without a context throw NOT_INITIALIZED', () => {
    expectNotInitialized(() => sc.createConv1d(t([3, 2, 3])));
    expectNotInitialized(() => sc.createConv2d(t([3, 2, 3, 3]), null, { stride: 2 }));
    expectNotInitialized(() => sc.createConv3d(t([3, 2, 3, 3, 3])));
  });

  it('NOT_INITIALIZED comes first, even for otherwise invalid arguments', () => {
    expectNotInitialized(() => sc.conv2d(null as unknown as Tensor, null as unknown as Tensor));
    expectNotInitialized(() => sc.createConv2d(t([3, 2, 3]), null, { groups: 0 }));
  });

  it('plans on an explicit context work without init()', async () => {
    const ctx = await sc.createContext({ backend: 'js' });
    const plan = sc.createConv1d(t([1, 1, 3]), null, {}, ctx);
    expect([...plan.run(t([1, 1, 5])).data]).toEqual([0.75, 0.75, 0.75]);
    plan.dispose();
    // ... and the default context is still missing.
    expectNotInitialized(() => sc.conv1d(t([1, 1, 5]), t([1, 1, 3])));
  });

  it('a failed init() does not initialise; a successful one does', async () => {
    await expect(sc.init({ backend: 'nope' as 'js' })).rejects.toThrow(sc.SimdconvError);
    expectNotInitialized(() => sc.conv1d(t([1, 1, 5]), t([1, 1, 3])));
    await sc.init();
    expect([...sc.conv1d(t([1, 1, 5]), t([1, 1, 3])).data]).toEqual([0.75, 0.75, 0.75]);
  });
});
