/**
 * Multi-threaded runs: layers big enough to be split across the pool give the reference's results within the
 * float32 bound, on both builds, and the plan reports the split. The threads claim chunks of the work as they
 * go (assembly/schedule.ts); every output is still computed by one thread with the same arithmetic, so the
 * results are also bit-identical to one thread's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import type { Tensor } from '../src/types.js';
import { sameBits } from './helpers/bits.js';
import { randomTensor, rng } from './helpers/random.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';

const random = (shape: number[], seed: number): Tensor => randomTensor(shape, rng(seed));

describe.each(['simd128', 'relaxed'] as const)('two threads on %s', (build) => {
  let ctx: sc.Context;
  let single: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build, threads: 2 });
    single = await sc.createContext({ build, threads: 1 });
  });
  afterAll(() => {
    ctx.dispose();
    single.dispose();
  });

  it('the context runs two threads here (Node has SharedArrayBuffer and a blocking main thread)', () => {
    expect(ctx.threads).toBe(2);
  });

  const convCases: Array<[string, 'conv2d' | 'conv3d', number[], number[], sc.ConvOptions]> = [
    ['conv2d cf 3x3', 'conv2d', [2, 32, 33, 31], [36, 32, 3, 3], { padding: 1 }],
    ['conv2d cl 3x3 stride 2', 'conv2d', [1, 81, 77, 24], [20, 24, 3, 3], { stride: 2, padding: 'valid', layout: 'channels-last' }],
    ['conv2d reflect relu', 'conv2d', [1, 16, 40, 40], [24, 16, 5, 5], { padding: 2, paddingMode: 'reflect', activation: 'relu' }],
    // Zero padding: the threads copy the input into the padded image together, here split by width phase.
    ['conv2d stride 2, shared pad copy', 'conv2d', [2, 24, 81, 77], [32, 24, 5, 5], { stride: 2, padding: 2 }],
    ['conv2d grouped', 'conv2d', [1, 64, 34, 34], [64, 16, 3, 3], { padding: 1, groups: 4 }],
    // Channels-last with 4 channels per group: the channels-first direct path between two transposes.
    ['conv2d cl grouped (via channels-first)', 'conv2d', [2, 60, 61, 64], [64, 4, 3, 3], { padding: 1, groups: 16, layout: 'channels-last' }],
    // Direct path split into tile-major (tile, row) units: 9 tiles of 6 channels x 30 rows, so the split falls
    // mid-group and inside tile 4, whose rows the two threads share.
    ['conv2d grouped, tile split mid-group', 'conv2d', [1, 48, 30, 31], [54, 16, 3, 3], { padding: 1, groups: 3 }],
    ['conv2d depthwise x2', 'conv2d', [1, 64, 61, 63], [128, 1, 3, 3], { padding: 1, groups: 64 }],
    ['conv2d depthwise cl', 'conv2d', [1, 63, 65, 128], [128, 1, 3, 3], { padding: 1, groups: 128, layout: 'channels-last' }],
    // 1x1: the direct path (channels-first, row-major units over 29-pixel rows ending in 5) and 6-pixel blocks
    // (channels-last, input read in place; 23 x 29 pixels end them short); with a stride, im2col over 8-pixel
    // blocks.
    ['conv2d cf 1x1', 'conv2d', [1, 96, 23, 29], [100, 96, 1, 1], {}],
    ['conv2d cl 1x1 in place', 'conv2d', [1, 23, 29, 96], [100, 96, 1, 1], { layout: 'channels-last' }],
    ['conv2d cf 1x1 stride 2', 'conv2d', [1, 96, 47, 59], [100, 96, 1, 1], { stride: 2 }],
    ['conv3d', 'conv3d', [1, 16, 9, 20, 20], [16, 16, 3, 3, 3], { padding: 1 }],
    // Rows ending in 3 (2-D) and 4 (3-D, odd OH: pairs cross depth slices) pixels end in two-row tiles, whose
    // pairs a chunk boundary can split. One group: row-major (row, tile) units, so the first chunk (78 of the
    // 2-D case's 7 tiles x 45 rows) ends one tile into a row.
    ['conv2d two-row tails', 'conv2d', [1, 32, 45, 43], [40, 32, 3, 3], { padding: 1 }],
    ['conv3d two-row tails', 'conv3d', [1, 16, 9, 21, 12], [26, 16, 3, 3, 3], { padding: 1 }],
    // A 1x1 map, batch 2: weight-bound (tile-policy.ts WEIGHT_BOUND_MAC_COST), so split from a quarter of the
    // multiply-adds a larger map needs (2048 -> 130: 266K per image); 130 channels end in a tile of 4.
    ['conv2d 1x1 on a 1x1 map', 'conv2d', [2, 2048, 1, 1], [130, 2048, 1, 1], {}],
  ];
  it.each(convCases)('%s', (_name, op, xShape, wShape, options) => {
    const x = random(xShape, 1);
    const w = random(wShape, 2);
    const b = random([wShape[0]!], 3);
    const create = (c: sc.Context) => (op === 'conv2d' ? sc.createConv2d(w, b, options, c) : sc.createConv3d(w, b, options, c));
    const plan = create(ctx);
    const y = plan.run(x);
    const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), { ...options, activation: 'none' });
    const reduction = wShape[1]! * wShape.slice(2).reduce((a, c) => a * c, 1);
    expectConvClose(y, referenceConv(op, x, w, b, options), bound.data, reduction);
    expect(plan.info.threads).toBe(2);
    const one = create(single);
    expect(one.info.threads).toBe(1);
    expect(sameBits(y.data, one.run(x).data)).toBe(true);
    one.dispose();
    plan.dispose();
  });

  it.each([
    ['channels-first', [1, 64, 20, 20]],
    ['channels-last', [1, 20, 20, 64]],
  ] as const)('convTranspose2d %s', (layout, xShape) => {
    const x = random([...xShape], 4);
    const w = random([64, 32, 4, 4], 5);
    const b = random([32], 6);
    const options = { stride: 2, padding: 1, layout, activation: 'relu' } as const;
    const plan = sc.createConvTranspose2d(w, b, options, ctx);
    const y = plan.run(x);
    expect(plan.info.threads).toBe(2);
    const bound = referenceConvTranspose('convTranspose2d', absTensor(x), absTensor(w), absTensor(b), { ...options, activation: 'none' });
    expectConvClose(y, referenceConvTranspose('convTranspose2d', x, w, b, options), bound.data, 64 * 16); // each output sums at most Cin x taps products
    const one = sc.createConvTranspose2d(w, b, options, single);
    expect(sameBits(y.data, one.run(x).data)).toBe(true);
    one.dispose();
    plan.dispose();
  });

  it("convTranspose2d on a one-pixel input (a generator's first layer: one weight-bound GEMM, split)", () => {
    const x = random([2, 100, 1, 1], 7);
    const w = random([100, 170, 4, 4], 8);
    const b = random([170], 9);
    const plan = sc.createConvTranspose2d(w, b, {}, ctx);
    const y = plan.run(x);
    expect(plan.info.threads).toBe(2);
    const bound = referenceConvTranspose('convTranspose2d', absTensor(x), absTensor(w), absTensor(b), {});
    expectConvClose(y, referenceConvTranspose('convTranspose2d', x, w, b, {}), bound.data, 100);
    const one = sc.createConvTranspose2d(w, b, {}, single);
    expect(one.info.threads).toBe(1);
    expect(sameBits(y.data, one.run(x).data)).toBe(true);
    one.dispose();
    plan.dispose();
  });

  // Channels-first, the threads copy each image into the window the phases read together
  // (assembly/transposed.ts padTogether): padded (a 4-tap kernel at stride 2 and padding 1 reads one value
  // before the input), cropped (padding 5 leaves the first and last rows and columns unread), per image of a
  // batch, with a depth axis and with groups. Bit-identical to one thread, whose host copies it.
  const windowCases: Array<[string, number[], number[], sc.ConvTransposeOptions]> = [
    ['2-D padded, batch 2', [2, 48, 19, 21], [48, 24, 4, 4], { stride: 2, padding: 1 }],
    ['2-D cropped', [1, 64, 20, 22], [64, 16, 4, 4], { stride: 2, padding: 5, outputPadding: 1 }],
    ['3-D padded, batch 2', [2, 16, 7, 8, 9], [16, 16, 4, 4, 4], { stride: 2, padding: 1 }],
    ['2-D grouped', [1, 64, 24, 25], [64, 16, 3, 3], { stride: [2, 1], padding: 1, groups: 4 }],
  ];
  it.each(windowCases)('convTranspose channels-first, shared window copy: %s', (_, xShape, wShape, options) => {
    const x = random(xShape, 7);
    const w = random(wShape, 8);
    const b = random([wShape[1]! * (options.groups ?? 1)], 9);
    const op = xShape.length === 5 ? 'convTranspose3d' : 'convTranspose2d';
    const create = (c: sc.Context) => (op === 'convTranspose3d' ? sc.createConvTranspose3d(w, b, options, c) : sc.createConvTranspose2d(w, b, options, c));
    const plan = create(ctx);
    const y = plan.run(x);
    expect(plan.info.threads).toBe(2);
    const bound = referenceConvTranspose(op, absTensor(x), absTensor(w), absTensor(b), options);
    const taps = wShape.slice(2).reduce((a, c) => a * c, 1);
    expectConvClose(y, referenceConvTranspose(op, x, w, b, options), bound.data, (xShape[1]! / (options.groups ?? 1)) * taps);
    const one = create(single);
    expect(one.info.threads).toBe(1);
    expect(sameBits(y.data, one.run(x).data)).toBe(true);
    one.dispose();
    plan.dispose();
  });
});
