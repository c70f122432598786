/**
 * Every wasm kernel path the GEMM plan can choose, forced by shape, checked against the float64 reference
 * across the remainders of its tiles (6 or 4 output channels x 8 pixels channels-first, a row's last 1-4 pixels
 * on the direct path's 6x4 tile, 6 pixels x 8 channels channels-last), so no path is covered only by chance. The
 * output-channel counts reach both panel heights. Channels-last with few channels per group takes the
 * channels-first direct path between two transposes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import { recutRowLength, rowsPerTile, tileBlockFor } from '../src/backends/wasm/tile-policy.js';
import type { ConvOptions, Tensor } from '../src/types.js';
import { sameBits } from './helpers/bits.js';
import { randomTensor, rng } from './helpers/random.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';

const random = (shape: number[], seed: number): Tensor => randomTensor(shape, rng(seed));

interface PathCase {
  expect: Partial<Omit<sc.PlanInfo, 'flags'>> & { flags?: sc.PlanInfo['flags'] };
  op: 'conv1d' | 'conv2d' | 'conv3d';
  cin: number;
  kernel: number[];
  options: ConvOptions;
}

/** A case: the kernel path expected, op, input channels, kernel size, options. */
const pathCase = (expect: PathCase['expect'], op: PathCase['op'], cin: number, kernel: number[], options: ConvOptions = {}): PathCase => ({
  expect,
  op,
  cin,
  kernel,
  options,
});

const cases: Record<string, PathCase> = {
  'direct stride-1, zero padding': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 3, [3, 3], { padding: 1 }),
  'direct stride-1, no padding (input read in place)': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 2, [3, 4]),
  'direct stride-1, dilated, asymmetric same': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 2, [3, 4], {
    padding: 'same',
    dilation: [2, 1],
  }),
  'direct stride-1, reflect': pathCase({ path: 'gemm-direct', flags: { strided: false, padCopy: 'reflect' } }, 'conv2d', 2, [3, 3], {
    padding: 1,
    paddingMode: 'reflect',
  }),
  'direct stride-1, conv1d k9': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv1d', 3, [9], { padding: 4 }),
  'direct stride-1, grouped': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 4, [3, 3], { padding: 1, groups: 2 }),
  'direct strided, stride 2': pathCase({ path: 'gemm-direct', flags: { strided: true } }, 'conv2d', 3, [3, 3], { stride: 2, padding: 1 }),
  'direct strided, no padding (phase copy only)': pathCase({ path: 'gemm-direct', flags: { strided: true } }, 'conv2d', 2, [3, 3], { stride: 2 }),
  'direct strided, stride (1,3), dilated': pathCase({ path: 'gemm-direct', flags: { strided: true } }, 'conv2d', 2, [3, 3], {
    stride: [1, 3],
    dilation: [1, 2],
    padding: [1, 2],
  }),
  'direct strided, conv1d k7 s2 p3 (stem-like)': pathCase({ path: 'gemm-direct', flags: { strided: true } }, 'conv1d', 3, [7], { stride: 2, padding: 3 }),
  'direct strided, stride (2,1), reflect': pathCase({ path: 'gemm-direct', flags: { strided: true, padCopy: 'reflect' } }, 'conv2d', 2, [3, 3], {
    stride: [2, 1],
    padding: 1,
    paddingMode: 'reflect',
  }),
  'im2col, width stride 2, reflect': pathCase({ path: 'gemm-im2col', flags: { padCopy: 'reflect' } }, 'conv2d', 2, [3, 3], {
    stride: 2,
    padding: 1,
    paddingMode: 'reflect',
  }),
  'im2col, 1x1 stride 2': pathCase({ path: 'gemm-im2col' }, 'conv2d', 3, [1, 1], { stride: 2 }),
  'direct stride-1, 1x1 (input read in place)': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 5, [1, 1]),
  'direct stride-1, conv3d 1x1x1': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv3d', 5, [1, 1, 1]),
  'direct stride-1, 1x2 kernel': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 3, [1, 2], { padding: [0, 1] }),
  'im2col, 1x1 padded': pathCase({ path: 'gemm-im2col' }, 'conv2d', 5, [1, 1], { padding: 1 }),
  'im2col, 1x2 stride 2': pathCase({ path: 'gemm-im2col' }, 'conv2d', 3, [1, 2], { stride: 2 }),
  'direct stride-1, conv3d': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv3d', 2, [3, 3, 3], { padding: 1 }),
  'direct stride-1, (3,1) kernel': pathCase({ path: 'gemm-direct', flags: { strided: false } }, 'conv2d', 3, [3, 1], { padding: [1, 0] }),
  'direct strided, conv3d stride 2': pathCase({ path: 'gemm-direct', flags: { strided: true } }, 'conv3d', 2, [3, 3, 3], { padding: 1, stride: 2 }),
  'im2col, channels-last 3x3': pathCase({ path: 'gemm-im2col', layout: 'channels-last' }, 'conv2d', 5, [3, 3], { padding: 1, layout: 'channels-last' }),
  'channels-last via channels-first, 3 channels': pathCase(
    { path: 'gemm-direct', layout: 'channels-first', flags: { strided: false, viaChannelsFirst: true } },
    'conv2d',
    3,
    [3, 3],
    { padding: 1, layout: 'channels-last' },
  ),
  'channels-last via channels-first, grouped': pathCase(
    { path: 'gemm-direct', layout: 'channels-first', flags: { strided: false, viaChannelsFirst: true } },
    'conv2d',
    16,
    [3, 3],
    { padding: 1, groups: 4, layout: 'channels-last' },
  ),
  'channels-last via channels-first, stride 2 (stem-like)': pathCase(
    { path: 'gemm-direct', layout: 'channels-first', flags: { strided: true, viaChannelsFirst: true } },
    'conv2d',
    3,
    [7, 7],
    { stride: 2, padding: 3, layout: 'channels-last' },
  ),
  'channels-last via channels-first, conv3d': pathCase(
    { path: 'gemm-direct', layout: 'channels-first', flags: { strided: false, viaChannelsFirst: true } },
    'conv3d',
    2,
    [3, 3, 3],
    { padding: [1, 0, 2], layout: 'channels-last' },
  ),
  'direct 1x1, channels-last': pathCase({ path: 'gemm-1x1', layout: 'channels-last' }, 'conv2d', 6, [1, 1], { layout: 'channels-last' }),
};

describe.each(['simd128', 'relaxed'] as const)('kernel paths on %s', (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
  });

  it.each(Object.entries(cases))('%s', (_name, c) => {
    const rank = c.kernel.length;
    const channelsLast = c.options.layout === 'channels-last';
    const kernels = new Set<string>();
    for (const cout of [1, 3, 4, 5, 6, 7, 8, 9, 13]) {
      for (const width of [1, 7, 8, 9, 15, 17]) {
        const spatial = [...new Array<number>(rank - 1).fill(5), width + c.kernel[rank - 1]! + 2];
        const xShape = channelsLast ? [2, ...spatial, c.cin] : [2, c.cin, ...spatial];
        const groups = c.options.groups ?? 1;
        const coutG = Math.max(groups, cout - (cout % groups));
        const x = random(xShape, cout * 31 + width);
        const w = random([coutG, c.cin / groups, ...c.kernel], cout + width);
        const b = random([coutG], 7);
        const plan = sc[`create${c.op[0]!.toUpperCase()}${c.op.slice(1)}` as 'createConv2d'](w, b, c.options, ctx);
        const y = plan.run(x);
        expect(plan.info).toMatchObject(c.expect);
        kernels.add(plan.info.name);
        const bound = referenceConv(c.op, absTensor(x), absTensor(w), absTensor(b), c.options);
        expectConvClose(y, referenceConv(c.op, x, w, b, c.options), bound.data, (c.cin / groups) * c.kernel.reduce((p, k) => p * k, 1));
        plan.dispose();
      }
    }
    const expected = channelsLast && !c.expect.flags?.viaChannelsFirst ? ['gemm-6x8-packed-b-cl'] : ['gemm-4x8-packed-a-cf', 'gemm-6x8-packed-a-cf'];
    if ((c.options.groups ?? 1) === 1) expect([...kernels].sort()).toEqual(expected);
  });
});

// Rows ending in 1-4 pixels end in two-row tiles (assembly/direct.ts direct_tile_6x4x2, and direct_tile_4x4x2
// on 4-row panels: the SIMD128 build's but for 5 or 6 channels, tile-policy.ts rowsPerTile): output widths 9-12 (1-4 past a multiple of 8), even
// and odd row counts (the last of an odd count has no partner and takes a 6x4 or 4x8 tile), 5, 8, 13, 37 and 40
// output channels (short panels of both heights), strided rows, and conv3d with odd OH, whose pairs cross
// depth slices. Threads, whose chunks can split a pair, are in threads.test.ts.
describe.each(['simd128', 'relaxed'] as const)('two-row tails on %s', (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
  });

  it.each([
    ['conv2d 3x3', 'conv2d', [3, 3], { padding: 1 }],
    ['conv2d 3x3, stride (2,1), dilation (2,1)', 'conv2d', [3, 3], { padding: [2, 1], stride: [2, 1], dilation: [2, 1] }],
    ['conv3d 3x3x3', 'conv3d', [3, 3, 3], { padding: 1 }],
  ] as const)('%s', (_name, op, kernel, options) => {
    for (const cout of [5, 8, 13, 37, 40]) {
      for (const ow of [9, 10, 11, 12]) {
        for (const rows of [4, 5]) {
          const spatial = op === 'conv3d' ? [3, rows, ow] : [rows * ('stride' in options ? options.stride[0] : 1), ow];
          const x = random([2, 7, ...spatial], cout * 100 + ow * 10 + rows);
          const w = random([cout, 7, ...kernel], cout + ow);
          const b = random([cout], rows);
          const plan = op === 'conv3d' ? sc.createConv3d(w, b, options, ctx) : sc.createConv2d(w, b, options, ctx);
          const y = plan.run(x);
          expect(plan.info).toMatchObject({ path: 'gemm-direct', tile: `${rowsPerTile(cout, build)}x8`, layout: 'channels-first' });
          expect(y.shape.at(-1)).toBe(ow);
          const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), options);
          expectConvClose(y, referenceConv(op, x, w, b, options), bound.data, 7 * kernel.reduce((p, k) => p * k, 1));
          plan.dispose();
        }
      }
    }
  });
});

// From 36 panel rows a pixel tile's receptive field is gathered into a contiguous panel first (assembly/direct.ts
// gather_tile). 31 and 36-39 output channels end the relaxed build's 6-row panels in 1, 6, 1, 2 and 3 rows and
// the SIMD128 build's 4-row panels in 3, 4, 1, 2 and 3;
// widths 1, 7, 9, 12 and 17 end rows in 1-7 pixels (12 in a two-row tail on 6-row panels); 1x1, strided,
// dilated and 3-D kernels.
describe.each(['simd128', 'relaxed'] as const)('gathered receptive fields on %s', (build) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build });
  });

  it.each([
    ['conv2d 3x3', 'conv2d', [3, 3], { padding: 1 }],
    ['conv2d 1x1', 'conv2d', [1, 1], {}],
    ['conv2d 5x5 stride 2', 'conv2d', [5, 5], { padding: 2, stride: 2 }],
    ['conv2d 3x3 dilation 2', 'conv2d', [3, 3], { padding: 2, dilation: 2 }],
    ['conv1d k3', 'conv1d', [3], { padding: 1 }],
    ['conv3d 3x3x3', 'conv3d', [3, 3, 3], { padding: 1 }],
  ] as const)('%s', (_name, op, kernel, options) => {
    for (const cout of [31, 36, 37, 38, 39]) {
      for (const ow of [1, 7, 9, 12, 17]) {
        const stride = 'stride' in options ? options.stride : 1;
        const spatial = op === 'conv3d' ? [2, 3, ow] : op === 'conv1d' ? [ow * stride] : [3 * stride, ow * stride];
        const x = random([2, 5, ...spatial], cout * 100 + ow);
        const w = random([cout, 5, ...kernel], cout + ow);
        const b = random([cout], ow);
        const create = { conv1d: sc.createConv1d, conv2d: sc.createConv2d, conv3d: sc.createConv3d }[op];
        const plan = create(w, b, options, ctx);
        const y = plan.run(x);
        expect(plan.info).toMatchObject({ path: 'gemm-direct', tile: `${rowsPerTile(cout, build)}x8`, layout: 'channels-first' });
        const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), options);
        expectConvClose(y, referenceConv(op, x, w, b, options), bound.data, 5 * kernel.reduce<number>((p, k) => p * k, 1));
        plan.dispose();
      }
    }
  });
});

describe.each(['simd128', 'relaxed'] as const)('channels-last tiles on %s', (build) => {
  // Every tile reads six rows of pixels; the last tile of 1-5 pixels stores only those. A guard tensor allocated
  // right after the output (first fit on a fresh heap, past its 64 bytes of slack and alignment) catches a tail
  // tile that stores a whole tile: one pixel of 48 channels is 192 bytes.
  it.each([
    ['im2col 3x3', [3, 3], { padding: 1 }],
    ['direct 1x1', [1, 1], {}],
  ] as const)('%s: writes nothing past its output, every tail of 0-5 pixels', async (_name, kernel, base) => {
    for (let width = 6; width < 12; width++) {
      const fresh = await sc.createContext({ build });
      const options: ConvOptions = { ...base, layout: 'channels-last' };
      const xShape = [1, 1, width, 5];
      const x = random(xShape, width);
      const w = random([48, 5, ...kernel], 3);
      const plan = sc.createConv2d(w, null, options, fresh);
      const input = fresh.tensor(xShape, x.data);
      const out = fresh.tensor(plan.outputShape(xShape));
      const guard = fresh.tensor([4096], new Float32Array(4096).fill(7.5));
      plan.run(input, out);
      expect(plan.info).toMatchObject({ name: 'gemm-6x8-packed-b-cl', layout: 'channels-last' });
      expect(guard.data.every((v) => v === 7.5)).toBe(true);
      const y = { shape: out.shape, data: new Float32Array(out.data) };
      const bound = referenceConv('conv2d', absTensor(x), absTensor(w), null, options);
      expectConvClose(y, referenceConv('conv2d', x, w, null, options), bound.data, 5 * kernel[0] * kernel[1]);
      fresh.dispose();
    }
  });
});

describe('rowsPerTile', () => {
  it('takes 6-row panels unless 4-row ones pad less than the 6x8 kernel gains', () => {
    const rows = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 64, 128].map((c) => [c, rowsPerTile(c)]);
    expect(rows).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
      [5, 6],
      [6, 6],
      [7, 4],
      [8, 4],
      [12, 6],
      [16, 6],
      [24, 6],
      [32, 6],
      [64, 6],
      [128, 6],
    ]);
  });
});

// Runs whose output image is 2 MiB or more go out band by band (tile-policy.ts BAND_BYTES): bands of 16, 12
// and 28 rows leave last bands of 3, 7 and 16 rows; 252 columns end rows in two-row tails; batch 2 runs the
// bands of each image. With two threads, two buffers alternate and the copy of one band overlaps the next band's
// kernels (output-bands.ts); the threads pad the input together with the first band of each image.
// The banded result must match the reference and, bit for bit, the same plan run into a tensor in wasm memory
// (written whole, without bands).
describe.each([
  ['simd128', 1],
  ['relaxed', 1],
  ['simd128', 2],
  ['relaxed', 2],
] as const)('banded outputs on %s, %i thread(s)', (build, threads) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build, threads });
  });

  it.each([
    // Rows per band on one thread (256 KiB) and on two (1 MiB per thread): tile-policy.ts bandRowsFor.
    ['conv2d 3x3, 131x252', 'conv2d', [2, 1, 131, 252], [16, 1, 3, 3], { padding: 1, activation: 'relu' }, [16, 130]],
    ['conv2d 3x3 stride 2', 'conv2d', [1, 1, 230, 222], [44, 1, 3, 3], { padding: 1, stride: 2 }, [12, 106]],
    ['conv3d 3x3x3', 'conv3d', [1, 1, 4, 60, 140], [16, 1, 3, 3, 3], { padding: 1 }, [28, 234]],
  ] as const)('%s', (_name, op, xShape, wShape, options, bandRowsByThreads) => {
    const bandRows = bandRowsByThreads[threads - 1];
    const x = random([...xShape], xShape[2]!);
    const w = random([...wShape], wShape[0]!);
    const b = random([wShape[0]!], 7);
    const create = op === 'conv3d' ? sc.createConv3d : sc.createConv2d;
    const plan = create(w, b, options, ctx);
    const shape = plan.outputShape(x.shape);
    expect((shape.slice(1).reduce((p, v) => p * v, 1) * 4) / 2 ** 20).toBeGreaterThanOrEqual(2);
    const out = { data: new Float32Array(shape.reduce((p, v) => p * v, 1)).fill(NaN), shape };
    plan.run(x, out);
    const inputBefore = Float32Array.from(x.data);
    plan.run(x, out); // the second run reuses the band buffer and its views
    expect(sameBits(x.data, inputBefore)).toBe(true);
    expect(plan.info).toMatchObject({ path: 'gemm-direct', layout: 'channels-first', flags: { bandRows } });
    expect(plan.info.threads).toBe(threads);
    const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), options);
    expectConvClose(
      out,
      referenceConv(op, x, w, b, options),
      bound.data,
      wShape.slice(1).reduce<number>((p, k) => p * k, 1),
    );
    const resident = ctx.tensor([...shape]);
    plan.run(x, resident);
    let differing = 0; // counted by hand: toEqual on a million elements takes seconds
    for (let i = 0; i < out.data.length; i++) if (!Object.is(out.data[i], resident.data[i])) differing++;
    expect(differing).toBe(0);
    resident.dispose();
    plan.dispose();
  });
});

// A 1x1 stride-1 unpadded convolution's pixels are cut into rows of a multiple of 8 dividing their count
// (tile-policy.ts recutRowLength), so no row ends in a short tile: small and gathered (37 channels) cases,
// conv3d, and an output large enough to go out in bands of the re-cut rows, on one and two threads.
describe.each([
  ['simd128', 1],
  ['relaxed', 1],
  ['simd128', 2],
  ['relaxed', 2],
] as const)('1x1 pixels in re-cut rows on %s, %i thread(s)', (build, threads) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build, threads });
  });

  it.each([
    ['conv2d 4x6 -> rows of 8', 'conv2d', [2, 5, 4, 6], 7, 8, ''],
    ['conv2d 28x28 -> rows of 56, gathered', 'conv2d', [1, 40, 28, 28], 37, 56, ''],
    ['conv3d 2x3x4 -> rows of 8', 'conv3d', [2, 5, 2, 3, 4], 6, 8, ''],
    ['conv2d 100x100 -> rows of 200, banded', 'conv2d', [1, 3, 100, 100], 64, 200, ', output in bands of 4 rows (40 on two threads)'],
  ] as const)('%s', (_name, op, xShape, cout, rowLength, bands) => {
    const x = random([...xShape], cout);
    const kernel = xShape.slice(2).map(() => 1);
    const w = random([cout, xShape[1]!, ...kernel], cout + 1);
    const b = random([cout], 3);
    const plan = (op === 'conv3d' ? sc.createConv3d : sc.createConv2d)(w, b, { activation: 'relu' }, ctx);
    const y = plan.run(x);
    expect(plan.info).toMatchObject({ path: 'gemm-direct', layout: 'channels-first', flags: { strided: false, rowLength } });
    expect(plan.info.flags.bandRows).toBe(bands ? (threads === 1 ? 4 : 40) : undefined);
    const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), {});
    expectConvClose(y, referenceConv(op, x, w, b, { activation: 'relu' }), bound.data, xShape[1]!);
    const resident = ctx.tensor([...y.shape]);
    plan.run(x, resident);
    let differing = 0;
    for (let i = 0; i < y.data.length; i++) if (!Object.is(y.data[i], resident.data[i])) differing++;
    expect(differing).toBe(0);
    resident.dispose();
    plan.dispose();
  });
});

it('re-cuts 1x1 rows only into multiples of 8 that divide the pixels', () => {
  expect(recutRowLength(784, 28)).toBe(56);
  expect(recutRowLength(120, 10)).toBe(24);
  expect(recutRowLength(40, 20)).toBe(8); // no multiple of 8 from 20 up divides 40 but 40 itself, one row
  expect(recutRowLength(196, 14)).toBe(0); // 196 = 4 x 49: none divides
  expect(recutRowLength(3136, 56)).toBe(0); // rows already end in whole tiles
  expect(recutRowLength(10000, 100)).toBe(200);
});

it('blocks channel tiles only for weights past the cache on a small input', () => {
  // 6-row panels over K steps: 1024 -> 512 3x3 (K 9216, 19 MB of weights) in blocks of 9 tiles; 512 -> 512
  // (9.4 MB) in one; 2048 -> 256 on 28x28 (a 7.4 MB padded input) in one.
  expect(tileBlockFor(6, 9216, 86, 1024 * 18 * 18 * 4)).toBe(9);
  expect(tileBlockFor(6, 4608, 86, 512 * 16 * 16 * 4)).toBe(0);
  expect(tileBlockFor(6, 18432, 43, 2048 * 30 * 30 * 4)).toBe(0);
  expect(tileBlockFor(4, 13824, 128, 512 * 4 * 9 * 9 * 4)).toBe(9);
  expect(tileBlockFor(6, 100000, 40, 1024)).toBe(1); // a tile larger than a block: blocks of one
});

describe.each(['simd128', 'relaxed'] as const)('direct path in blocks of channel tiles on %s', (build) => {
  // Weights of 12 MiB or more on small maps (tile-policy.ts tileBlockFor): 2-D with rows of 5 pixels (one short
  // tile, gathered per block) and of 4 (two-row tail tiles), 3-D, a batch, an activation; one and two threads
  // (two claim tile-major units: chunks of whole channel tiles over every row). Bit-identical across threads.
  let one: sc.Context;
  let two: sc.Context;
  beforeAll(async () => {
    one = await sc.createContext({ build, threads: 1 });
    two = await sc.createContext({ build, threads: 2 });
  });
  it.each([
    ['2-D 5x5 out, batch 2', 'conv2d', [2, 1024, 5, 5], [520, 1024, 3, 3], { padding: 1, activation: 'relu6' }],
    ['2-D 4x3 out', 'conv2d', [1, 1100, 6, 5], [500, 1100, 3, 3], {}],
    ['3-D 2x3x3 out', 'conv3d', [1, 512, 2, 3, 3], [262, 512, 3, 3, 3], { padding: 1 }],
  ] as const)('%s', (_name, op, xShape, wShape, options) => {
    const x = random([...xShape], 21);
    const w = random([...wShape], 22);
    const b = random([wShape[0]], 23);
    const create = (c: sc.Context) => (op === 'conv2d' ? sc.createConv2d(w, b, options, c) : sc.createConv3d(w, b, options, c));
    const plan = create(one);
    const y = plan.run(x);
    expect(plan.info.flags.tileBlock).toBeGreaterThan(0);
    const bound = referenceConv(op, absTensor(x), absTensor(w), absTensor(b), { ...options, activation: 'none' });
    expectConvClose(
      y,
      referenceConv(op, x, w, b, options),
      bound.data,
      wShape.slice(1).reduce((a, c) => a * c, 1),
    );
    const threaded = create(two);
    expect(sameBits(threaded.run(x).data, y.data)).toBe(true);
    if (two.threads === 2) expect(threaded.info.threads).toBe(2);
    threaded.dispose();
    plan.dispose();
  });
});
