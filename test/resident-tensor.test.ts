/**
 * Tensors in wasm memory (context.tensor): plans read and write them in place and give the very same bits
 * as the copying path, also after the memory grew between creating the tensor and running, and on threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { ConvPlan } from '../src/plan.js';
import type { Tensor } from '../src/types.js';
import { randomTensor, rng } from './helpers/random.js';

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

type Make = (ctx: sc.Context) => { plan: ConvPlan; x: Tensor };
const plans: Record<string, Make> = {
  'gemm direct stride-1': (ctx) => ({
    plan: sc.createConv2d(randomTensor([6, 3, 3, 3], rng(1)), randomTensor([6], rng(2)), { padding: 1 }, ctx),
    x: randomTensor([2, 3, 11, 13], rng(3)),
  }),
  'gemm im2col': (ctx) => ({ plan: sc.createConv2d(randomTensor([5, 4, 3, 3], rng(4)), null, { stride: 2 }, ctx), x: randomTensor([1, 4, 15, 9], rng(5)) }),
  'gemm channels-last 1x1 in place': (ctx) => ({
    plan: sc.createConv2d(randomTensor([9, 8, 1, 1], rng(6)), null, { layout: 'channels-last' }, ctx),
    x: randomTensor([7, 5, 8], rng(7)),
  }),
  depthwise: (ctx) => ({
    plan: sc.createConv2d(randomTensor([12, 1, 3, 3], rng(8)), null, { groups: 6, padding: 1 }, ctx),
    x: randomTensor([1, 6, 17, 19], rng(9)),
  }),
  transposed: (ctx) => ({
    plan: sc.createConvTranspose2d(randomTensor([4, 3, 4, 4], rng(10)), null, { stride: 2, padding: 1 }, ctx),
    x: randomTensor([1, 4, 9, 7], rng(11)),
  }),
  conv3d: (ctx) => ({ plan: sc.createConv3d(randomTensor([4, 2, 3, 3, 3], rng(12)), null, { padding: 1 }, ctx), x: randomTensor([2, 5, 6, 7], rng(13)) }),
};

describe.each([
  ['relaxed, 1 thread', { build: 'relaxed', threads: 1 }],
  ['simd128, 2 threads (shared memory)', { build: 'simd128', threads: 2 }],
] as const)('resident tensors on %s', (_name, options) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext(options);
  });
  afterAll(() => ctx.dispose());

  it.each(Object.entries(plans))("%s: in place in, out, and both give the copying path's bits", (_n, make) => {
    const { plan, x } = make(ctx);
    const expected = plan.run(x);
    const xr = ctx.tensor(x.shape, x.data);
    const yr = ctx.tensor(expected.shape);
    expect(sameBits(plan.run(xr).data, expected.data)).toBe(true);
    expect(plan.run(x, yr)).toBe(yr);
    expect(sameBits(yr.data, expected.data)).toBe(true);
    yr.data.fill(0);
    plan.run(xr, yr);
    expect(sameBits(yr.data, expected.data)).toBe(true);
    expect(sameBits(xr.data, x.data), 'input not mutated').toBe(true);
    plan.dispose();
    xr.dispose();
    yr.dispose();
  });

  it('survives the memory growing between creating the tensors and running', () => {
    const { plan, x } = plans['gemm direct stride-1']!(ctx);
    const expected = plan.run(x);
    const xr = ctx.tensor(x.shape, x.data);
    const yr = ctx.tensor(expected.shape);
    const before = ctx.memoryStats().memoryBytes;
    expect(xr.data, 'one view while the memory stays').toBe(xr.data);
    const big = ctx.tensor([64, 1024, 1024]); // 256 MiB: forces growth
    expect(ctx.memoryStats().memoryBytes).toBeGreaterThan(before);
    expect(sameBits(xr.data, x.data), 'a view of the grown memory').toBe(true);
    plan.run(xr, yr);
    expect(sameBits(yr.data, expected.data)).toBe(true);
    for (const t of [big, xr, yr]) t.dispose();
    plan.dispose();
  });

  it('frees its memory on dispose, and is unusable afterwards', () => {
    const base = ctx.memoryStats().bytesInUse;
    const t = ctx.tensor([3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ctx.memoryStats().bytesInUse).toBeGreaterThan(base);
    t.dispose();
    t.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(base);
    expect(() => t.data).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('rejects a bad shape or values of the wrong length', () => {
    expect(() => ctx.tensor([2, -1])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'shape' }));
    expect(() => ctx.tensor([2, 2], [1, 2, 3])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'values' }));
  });
});

it('on the js backend, context.tensor is an ordinary tensor', async () => {
  const ctx = await sc.createContext({ backend: 'js' });
  const t = ctx.tensor([2], [5, 6]);
  expect(t.data).toBeInstanceOf(Float32Array);
  expect([...t.data]).toEqual([5, 6]);
});
