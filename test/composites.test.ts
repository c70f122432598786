/**
 * Composite convolutions against their definitions as chains of plain convolutions, evaluated by the
 * float64 reference with the composed float32 bound of test/helpers/chain.ts; channel shuffle against a
 * direct index mapping; typed errors for every bad combination; plan life cycle and wasm residency.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { WasmGemmConvPlan } from '../src/backends/wasm/gemm-conv-plan.js';
import type { Context } from '../src/context.js';
import type { Activation, ConvOptions, Layout, PaddingMode, Tensor } from '../src/types.js';
import { type Stage, type Tensor64, chainReference, expectWithin, randomTensor, stage64, to64 } from './helpers/chain.js';

const contexts = {} as Record<'wasm' | 'js', Context>;

beforeAll(async () => {
  await sc.init();
  contexts.wasm = await sc.createContext({ backend: 'wasm' });
  contexts.js = await sc.createContext({ backend: 'js' });
});

const BACKENDS = ['wasm', 'js'] as const;
const MODES: PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];
const ACTIVATIONS: Activation[] = ['none', 'relu', 'relu6', { min: -0.25, max: 0.5 }];

function expectError(f: () => unknown, code: sc.ErrorCode, argument: string, expected?: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code} on ${argument}`).toBeInstanceOf(sc.SimdconvError);
  const e = error as sc.SimdconvError;
  expect({ code: e.code, argument: e.argument }).toEqual({ code, argument });
  expect(typeof e.expected).toBe('string');
  expect(typeof e.received).toBe('string');
  if (expected !== undefined) expect(e.expected).toBe(expected);
}

/** Input shape for a layout: batch 0 means unbatched. */
function inputShape(batch: number, channels: number, spatial: readonly number[], layout: Layout): number[] {
  const core = layout === 'channels-first' ? [channels, ...spatial] : [...spatial, channels];
  return batch === 0 ? core : [batch, ...core];
}

const spatialOptions = fc.record({
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 5, max: 9 }),
  w: fc.integer({ min: 5, max: 9 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  pad: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  same: fc.boolean(),
  mode: fc.constantFrom(...MODES),
  activation: fc.constantFrom(...ACTIVATIONS),
  outActivation: fc.constantFrom(...ACTIVATIONS),
  layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
  batch: fc.integer({ min: 0, max: 2 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});
type SpatialCase = typeof spatialOptions extends fc.Arbitrary<infer T> ? T : never;

/** The 2-D options a case describes, for the first (or only) spatial stage. */
function options2d(c: SpatialCase): ConvOptions {
  return c.same
    ? { stride: 1, padding: 'same', dilation: c.dilation, paddingMode: c.mode, layout: c.layout }
    : { stride: c.stride, padding: c.pad, dilation: c.dilation, paddingMode: c.mode, layout: c.layout };
}

/** The definition's split of 2-D options into the vertical (k, 1) and horizontal (1, k) stages. */
function split(c: SpatialCase): { vertical: ConvOptions; horizontal: ConvOptions } {
  const common = { paddingMode: c.mode, layout: c.layout };
  if (c.same) {
    return {
      vertical: { ...common, padding: 'same', dilation: [c.dilation[0], 1] },
      horizontal: { ...common, padding: 'same', dilation: [1, c.dilation[1]] },
    };
  }
  return {
    vertical: { ...common, stride: [c.stride[0], 1], padding: [c.pad[0], 0], dilation: [c.dilation[0], 1] },
    horizontal: { ...common, stride: [1, c.stride[1]], padding: [0, c.pad[1]], dilation: [1, c.dilation[1]] },
  };
}

function maybe(flag: boolean, shape: number[], seed: number): Tensor | null {
  return flag ? randomTensor(shape, seed) : null;
}

// ---------------------------------------------------------------------------------------------------------

describe.each(BACKENDS)('depthwise-separable (%s backend)', (backend) => {
  it('matches depthwise conv2d then pointwise conv2d (property)', () => {
    fc.assert(
      fc.property(
        spatialOptions,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.boolean(),
        (c, channels, m, cout, dwb, pwb) => {
          const dw = randomTensor([channels * m, 1, c.kh, c.kw], c.seed);
          const pw = randomTensor([cout, channels * m, 1, 1], c.seed + 1);
          const depthwiseBias = maybe(dwb, [channels * m], c.seed + 2);
          const pointwiseBias = maybe(pwb, [cout], c.seed + 3);
          const input = randomTensor(inputShape(c.batch, channels, [c.h, c.w], c.layout), c.seed + 4);
          const o = options2d(c);
          const stages: Stage[] = [
            { op: 'conv2d', weight: dw, bias: depthwiseBias, options: { ...o, groups: channels, activation: c.activation } },
            { op: 'conv2d', weight: pw, bias: pointwiseBias, options: { activation: c.outActivation, layout: c.layout } },
          ];
          const { expected, bound } = chainReference(stages, input);
          const plan = sc.createDepthwiseSeparableConv2d(
            dw,
            pw,
            { ...o, depthwiseBias, pointwiseBias, depthMultiplier: m, activation: c.activation, outActivation: c.outActivation },
            contexts[backend],
          );
          try {
            expectWithin(plan.run(input), expected, bound);
            expect(plan.outputShape(input.shape)).toEqual(expected.shape);
            const mid = sc.convOutputShape('conv2d', input.shape, dw.shape, { ...o, groups: channels });
            expect(plan.macs(input.shape)).toBe(
              sc.convMacs('conv2d', input.shape, dw.shape, { ...o, groups: channels }) + sc.convMacs('conv2d', mid, pw.shape, { layout: c.layout }),
            );
          } finally {
            plan.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('1-D variant matches depthwise conv1d then pointwise conv1d (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          channels: fc.integer({ min: 1, max: 4 }),
          m: fc.integer({ min: 1, max: 2 }),
          cout: fc.integer({ min: 1, max: 4 }),
          k: fc.integer({ min: 1, max: 4 }),
          len: fc.integer({ min: 8, max: 12 }), // the dilated kernel spans at most 7
          stride: fc.integer({ min: 1, max: 2 }),
          dilation: fc.integer({ min: 1, max: 2 }),
          pad: fc.integer({ min: 0, max: 2 }),
          mode: fc.constantFrom(...MODES),
          layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
          batch: fc.integer({ min: 0, max: 2 }),
          activation: fc.constantFrom(...ACTIVATIONS),
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
        }),
        (c) => {
          const dw = randomTensor([c.channels * c.m, 1, c.k], c.seed);
          const pw = randomTensor([c.cout, c.channels * c.m, 1], c.seed + 1);
          const db = randomTensor([c.channels * c.m], c.seed + 2);
          const input = randomTensor(inputShape(c.batch, c.channels, [c.len], c.layout), c.seed + 3);
          const o: ConvOptions = { stride: c.stride, dilation: c.dilation, padding: c.pad, paddingMode: c.mode, layout: c.layout };
          const { expected, bound } = chainReference(
            [
              { op: 'conv1d', weight: dw, bias: db, options: { ...o, groups: c.channels, activation: c.activation } },
              { op: 'conv1d', weight: pw, options: { layout: c.layout } },
            ],
            input,
          );
          const plan = sc.createDepthwiseSeparableConv1d(
            dw,
            pw,
            { ...o, depthwiseBias: db, depthMultiplier: c.m, activation: c.activation },
            contexts[backend],
          );
          try {
            expectWithin(plan.run(input), expected, bound);
          } finally {
            plan.dispose();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('one plan runs many input shapes and writes into `out`', () => {
    const dw = randomTensor([6, 1, 3, 3], 11);
    const pw = randomTensor([4, 6, 1, 1], 12);
    const plan = sc.createDepthwiseSeparableConv2d(dw, pw, { padding: 1, depthMultiplier: 2, activation: 'relu' }, contexts[backend]);
    const stages = (): Stage[] => [
      { op: 'conv2d', weight: dw, options: { padding: 1, groups: 3, activation: 'relu' } },
      { op: 'conv2d', weight: pw },
    ];
    for (const shape of [
      [1, 3, 8, 8],
      [2, 3, 5, 7],
      [3, 6, 6],
      [1, 3, 8, 8],
    ]) {
      const x = randomTensor(
        shape,
        shape.reduce((a, b) => a * 7 + b, 1),
      );
      const { expected, bound } = chainReference(stages(), x);
      const out = { data: new Float32Array(expected.data.length).fill(Number.NaN), shape: expected.shape };
      expect(plan.run(x, out)).toBe(out);
      expectWithin(out, expected, bound);
    }
    plan.dispose();
    plan.dispose();
    expectError(() => plan.run(randomTensor([1, 3, 8, 8], 1)), 'DISPOSED', 'plan');
  });

  it('reports its stages in info', () => {
    const plan = sc.createDepthwiseSeparableConv2d(randomTensor([4, 1, 3, 3], 1), randomTensor([8, 4, 1, 1], 2), { padding: 1 }, contexts[backend]);
    plan.run(randomTensor([1, 4, 6, 6], 3));
    const info = plan.info;
    expect(info.backend).toBe(backend);
    expect(info.composite).toBe('depthwise-separable-conv2d');
    expect(info.stages.map((s) => s.name)).toEqual(['depthwise', 'pointwise']);
    expect(info.stages.every((s) => s.resident)).toBe(backend === 'wasm');
    expect(info.intermediateBytes).toBeGreaterThan(0);
    expect(info.weightBytes).toBe(info.stages.reduce((a, s) => a + s.weightBytes, 0));
    expect(info.workspaceBytes).toBe(info.stages.reduce((a, s) => a + s.workspaceBytes, 0) + info.intermediateBytes);
    expect(info.kernel).toContain(backend === 'wasm' ? 'intermediates in wasm memory' : 'intermediates in JS arrays');
    plan.dispose();
  });
});

describe('depthwise-separable one-shot and wasm memory', () => {
  it('infers the depth multiplier from the input and matches the plan', () => {
    const dw = randomTensor([6, 1, 3, 3], 5);
    const pw = randomTensor([5, 6, 1, 1], 6);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      const x = randomTensor(layout === 'channels-first' ? [2, 3, 7, 7] : [2, 7, 7, 3], 7);
      const { expected, bound } = chainReference(
        [
          { op: 'conv2d', weight: dw, options: { groups: 3, stride: 2, layout } },
          { op: 'conv2d', weight: pw, options: { layout } },
        ],
        x,
      );
      expectWithin(sc.depthwiseSeparableConv2d(x, dw, pw, { stride: 2, layout }), expected, bound);
      const out = { data: new Float32Array(expected.data.length), shape: expected.shape };
      expect(sc.depthwiseSeparableConv2d(x, dw, pw, { stride: 2, layout, out })).toBe(out);
      expectWithin(out, expected, bound);
    }
  });

  it('frees all of its wasm memory on dispose', () => {
    const ctx = contexts.wasm;
    const before = ctx.memoryStats().bytesInUse;
    const plan = sc.createDepthwiseSeparableConv2d(randomTensor([16, 1, 3, 3], 1), randomTensor([32, 16, 1, 1], 2), { padding: 1 }, ctx);
    plan.run(randomTensor([2, 16, 20, 20], 3));
    plan.run(randomTensor([1, 16, 9, 12], 4));
    expect(ctx.memoryStats().bytesInUse).toBeGreaterThan(before);
    plan.dispose();
    expect(ctx.memoryStats().bytesInUse).toBe(before);
  });

  it('runs resident on a threaded context (workers share the intermediates)', async () => {
    const ctx = await sc.createContext({ backend: 'wasm', threads: 4 });
    try {
      expect(ctx.threads).toBe(4); // Node has workers and SharedArrayBuffer
      // Large enough for the kernels to split work across threads (over 2^20 MACs per call).
      const dw = randomTensor([32, 1, 3, 3], 1);
      const pw = randomTensor([64, 32, 1, 1], 2);
      const b = randomTensor([64], 3);
      const x = randomTensor([2, 40, 40, 32], 4);
      const plan = sc.createDepthwiseSeparableConv2d(dw, pw, { padding: 'same', pointwiseBias: b, activation: 'relu6', layout: 'channels-last' }, ctx);
      const { expected, bound } = chainReference(
        [
          { op: 'conv2d', weight: dw, options: { groups: 32, padding: 'same', activation: 'relu6', layout: 'channels-last' } },
          { op: 'conv2d', weight: pw, bias: b, options: { layout: 'channels-last' } },
        ],
        x,
      );
      expectWithin(plan.run(x), expected, bound);
      expect(plan.info.stages.every((s) => s.resident)).toBe(true);
      plan.dispose();
    } finally {
      ctx.dispose();
    }
  });

  it('keeps only two ping-pong buffers between stages on wasm', () => {
    const plan = sc.createFlattenedConv2d(randomTensor([8, 4, 1, 1], 1), randomTensor([8, 1, 3, 1], 2), randomTensor([8, 1, 1, 3], 3), {}, contexts.wasm);
    plan.run(randomTensor([1, 4, 10, 10], 4));
    // input 4*10*10 and the vertical output 8*8*10 share one buffer; lateral 8*10*10 and the output 8*8*8 the other.
    expect(plan.info.intermediateBytes).toBe((8 * 8 * 10 + 8 * 10 * 10) * 4);
    plan.dispose();
  });

  it('still runs (through JS) a stage whose wasm plan cannot run resident', () => {
    // Both stages take the GEMM path (groups 1); without runResident the chain copies through JS.
    // Shadow the inherited method (WasmPlan.prototype.runResident) on the GEMM plan's prototype only.
    const proto = WasmGemmConvPlan.prototype as unknown as { runResident?: unknown };
    Object.defineProperty(proto, 'runResident', { value: undefined, configurable: true, writable: true });
    try {
      const col = randomTensor([3, 2, 3, 1], 1);
      const row = randomTensor([2, 3, 1, 3], 2);
      const plan = sc.createSpatiallySeparableConv2d(col, row, { padding: 1 }, contexts.wasm);
      const x = randomTensor([2, 2, 6, 7], 3);
      const { expected, bound } = chainReference(
        [
          { op: 'conv2d', weight: col, options: { padding: [1, 0] } },
          { op: 'conv2d', weight: row, options: { padding: [0, 1] } },
        ],
        x,
      );
      expectWithin(plan.run(x), expected, bound);
      expect(plan.info.stages.map((s) => s.resident)).toEqual([false, false]);
      expect(plan.info.kernel).toContain('copied through JS');
      plan.dispose();
    } finally {
      delete proto.runResident;
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe.each(BACKENDS)('spatially separable (%s backend)', (backend) => {
  it('matches the (kH, 1) conv then the (1, kW) conv (property)', () => {
    fc.assert(
      fc.property(
        spatialOptions,
        fc.record({
          g: fc.integer({ min: 1, max: 2 }),
          rg: fc.integer({ min: 1, max: 2 }),
          a: fc.integer({ min: 1, max: 2 }),
          b: fc.integer({ min: 1, max: 2 }),
          d: fc.integer({ min: 1, max: 2 }),
          colBias: fc.boolean(),
          rowBias: fc.boolean(),
          passRowGroups: fc.boolean(),
        }),
        (c, s) => {
          const cin = s.g * s.a;
          const cmid = s.g * s.rg * s.b;
          const cout = s.rg * s.d;
          const col = randomTensor([cmid, s.a, c.kh, 1], c.seed);
          const row = randomTensor([cout, cmid / s.rg, 1, c.kw], c.seed + 1);
          const columnBias = maybe(s.colBias, [cmid], c.seed + 2);
          const rowBias = maybe(s.rowBias, [cout], c.seed + 3);
          const input = randomTensor(inputShape(c.batch, cin, [c.h, c.w], c.layout), c.seed + 4);
          const { vertical, horizontal } = split(c);
          const { expected, bound } = chainReference(
            [
              { op: 'conv2d', weight: col, bias: columnBias, options: { ...vertical, groups: s.g, activation: c.activation } },
              { op: 'conv2d', weight: row, bias: rowBias, options: { ...horizontal, groups: s.rg, activation: c.outActivation } },
            ],
            input,
          );
          const rowGroups = s.passRowGroups || s.rg !== s.g ? s.rg : undefined;
          const plan = sc.createSpatiallySeparableConv2d(
            col,
            row,
            { ...options2d(c), groups: s.g, rowGroups, columnBias, rowBias, activation: c.activation, outActivation: c.outActivation },
            contexts[backend],
          );
          try {
            expectWithin(plan.run(input), expected, bound);
          } finally {
            plan.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('equals conv2d with the outer-product kernel (zeros and reflect padding)', () => {
    fc.assert(
      fc.property(
        fc.record({
          c: fc.integer({ min: 1, max: 3 }),
          kh: fc.integer({ min: 1, max: 5 }),
          kw: fc.integer({ min: 1, max: 5 }),
          mode: fc.constantFrom<PaddingMode>('zeros', 'reflect', 'replicate', 'circular'),
          layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
          ints: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 30, maxLength: 30 }),
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
        }),
        ({ c, kh, kw, mode, layout, ints, seed }) => {
          // Small integer factors: the full kernel is exact in float32, so both sides have one exact value.
          const colData = Float32Array.from({ length: c * kh }, (_, i) => ints[i % 30]!);
          const rowData = Float32Array.from({ length: c * kw }, (_, i) => ints[(i + 15) % 30]!);
          const full = new Float32Array(c * kh * kw);
          for (let o = 0; o < c; o++)
            for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) full[(o * kh + i) * kw + j] = colData[o * kh + i]! * rowData[o * kw + j]!;
          const col = { data: colData, shape: [c, 1, kh, 1] };
          const row = { data: rowData, shape: [c, 1, 1, kw] };
          const x = randomTensor(inputShape(1, c, [7, 8], layout), seed);
          const options = { padding: [Math.floor(kh / 2), Math.floor(kw / 2)], paddingMode: mode, layout };
          const { bound } = chainReference(
            [
              { op: 'conv2d', weight: col, options: { groups: c, padding: [Math.floor(kh / 2), 0], paddingMode: mode, layout } },
              { op: 'conv2d', weight: row, options: { groups: c, padding: [0, Math.floor(kw / 2)], paddingMode: mode, layout } },
            ],
            x,
          );
          const expected = stage64({ op: 'conv2d', weight: { data: full, shape: [c, 1, kh, kw] }, options: { ...options, groups: c } }, to64(x));
          const plan = sc.createSpatiallySeparableConv2d(col, row, { ...options, groups: c }, contexts[backend]);
          // The bound of the chain, plus float64 rounding of two different exact-value evaluations.
          const slack = bound.map((b) => b * (1 + 2 ** -40));
          expectWithin(plan.run(x), expected, slack);
          plan.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('factorizeSeparableKernel', () => {
  it('factors Sobel exactly and the factors reproduce conv2d', async () => {
    const sobel = { data: Float32Array.from([-1, 0, 1, -2, 0, 2, -1, 0, 1]), shape: [3, 3] };
    const { column, row } = sc.factorizeSeparableKernel(sobel);
    expect(column.shape).toEqual([3, 1]);
    expect(row.shape).toEqual([1, 3]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(column.data[i]! * row.data[j]!).toBe(sobel.data[i * 3 + j]);
    const x = randomTensor([1, 1, 9, 9], 3);
    const y = sc.spatiallySeparableConv2d(x, { data: column.data, shape: [1, 1, 3, 1] }, { data: row.data, shape: [1, 1, 1, 3] }, { padding: 1 });
    const full = stage64({ op: 'conv2d', weight: { data: sobel.data, shape: [1, 1, 3, 3] }, options: { padding: 1 } }, to64(x));
    const { bound } = chainReference(
      [
        { op: 'conv2d', weight: { data: column.data, shape: [1, 1, 3, 1] }, options: { padding: [1, 0] } },
        { op: 'conv2d', weight: { data: row.data, shape: [1, 1, 1, 3] }, options: { padding: [0, 1] } },
      ],
      x,
    );
    expectWithin(y, full, bound);
  });

  it('recovers random rank-1 kernels within float32 rounding (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (kh, kw, seed, scale) => {
          const a = randomTensor([kh], seed).data;
          const b = randomTensor([kw], seed + 1).data;
          const k = new Float32Array(kh * kw);
          for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[i * kw + j] = a[i]! * b[j]! * scale;
          const { column, row } = sc.factorizeSeparableKernel({ data: k, shape: [kh, kw] });
          const norm = Math.hypot(...k);
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) expect(Math.abs(column.data[i]! * row.data[j]! - k[i * kw + j]!)).toBeLessThanOrEqual(4 * 2 ** -24 * norm);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('factors a depthwise 4-D kernel per channel; the factors run as a spatially separable conv', () => {
    const C = 3;
    const a = randomTensor([C, 4], 1).data;
    const b = randomTensor([C, 5], 2).data;
    const k = new Float32Array(C * 4 * 5);
    for (let o = 0; o < C; o++) for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) k[(o * 4 + i) * 5 + j] = a[o * 4 + i]! * b[o * 5 + j]!;
    const { column, row } = sc.factorizeSeparableKernel({ data: k, shape: [C, 1, 4, 5] });
    expect(column.shape).toEqual([C, 1, 4, 1]);
    expect(row.shape).toEqual([C, 1, 1, 5]);
    const x = randomTensor([2, C, 9, 9], 3);
    const stages: Stage[] = [
      { op: 'conv2d', weight: column, options: { groups: C } },
      { op: 'conv2d', weight: row, options: { groups: C } },
    ];
    const { expected, bound } = chainReference(stages, x);
    expectWithin(sc.spatiallySeparableConv2d(x, column, row, { groups: C, rowGroups: C }), expected, bound);
  });

  it('factors a dense 4-D kernel rank-1 per output channel: column (Cout, Cin, kH, 1), row (Cout, 1, 1, kW)', () => {
    // kernel[o, c, i, j] = u[o, c, i] * v[o, j], with small integers so every product is exact.
    const [cout, cin, kh, kw] = [2, 3, 3, 2];
    const u = Float32Array.from({ length: cout * cin * kh }, (_, i) => ((i * 7) % 5) - 2);
    const v = Float32Array.from({ length: cout * kw }, (_, i) => [1, -2, 3, 4][i % 4]!);
    const k = new Float32Array(cout * cin * kh * kw);
    for (let o = 0; o < cout; o++)
      for (let c = 0; c < cin; c++)
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[((o * cin + c) * kh + i) * kw + j] = u[(o * cin + c) * kh + i]! * v[o * kw + j]!;
    const weight = { data: k, shape: [cout, cin, kh, kw] };
    const { column, row } = sc.factorizeSeparableKernel(weight);
    const x = randomTensor([1, cin, 6, 6], 9);
    const full = stage64({ op: 'conv2d', weight, options: { padding: 1 } }, to64(x));
    const { bound } = chainReference(
      [
        { op: 'conv2d', weight: column, options: { padding: [1, 0] } },
        { op: 'conv2d', weight: row, options: { groups: cout, padding: [0, 1] } },
      ],
      x,
    );
    expectWithin(sc.spatiallySeparableConv2d(x, column, row, { padding: 1, rowGroups: cout }), full, bound);
  });

  it('accepts the zero kernel and rejects non-separable ones', () => {
    const zero = sc.factorizeSeparableKernel({ data: new Float32Array(6), shape: [2, 3] });
    expect([...zero.column.data, ...zero.row.data].every((v) => v === 0)).toBe(true);
    const notRank1 = { data: Float32Array.from([1, 0, 0, 1]), shape: [2, 2] };
    expectError(() => sc.factorizeSeparableKernel(notRank1), 'INVALID_ARGUMENT', 'kernel', 'a rank-1 (separable) kernel');
    // A relative perturbation of 1e-4 on one element of a rank-1 kernel is far above float32 rounding.
    const k = Float32Array.from([1, 2, 3, 2, 4, 6, 3, 6, 9]);
    k[4] = 4 * (1 + 1e-4);
    expectError(() => sc.factorizeSeparableKernel({ data: k, shape: [3, 3] }), 'INVALID_ARGUMENT', 'kernel', 'a rank-1 (separable) kernel');
    expect(() => sc.factorizeSeparableKernel({ data: k, shape: [3, 3] }, { tolerance: 1e-3 })).not.toThrow();
    // Depthwise: channel 1 is the identity, not rank 1.
    const dw = Float32Array.from([1, 2, 2, 4, 1, 0, 0, 1]);
    expectError(() => sc.factorizeSeparableKernel({ data: dw, shape: [2, 1, 2, 2] }), 'INVALID_ARGUMENT', 'kernel', 'a rank-1 (separable) kernel');
    expectError(() => sc.factorizeSeparableKernel({ data: new Float32Array(8), shape: [2, 2, 2] }), 'INVALID_RANK', 'kernel');
    expectError(() => sc.factorizeSeparableKernel({ data: Float32Array.from([1, Number.NaN]), shape: [1, 2] }), 'INVALID_ARGUMENT', 'kernel');
    expectError(() => sc.factorizeSeparableKernel({ data: new Float32Array(0), shape: [0, 2] }), 'EMPTY_OUTPUT', 'kernel.shape');
    expectError(() => sc.factorizeSeparableKernel({ data: new Float32Array(4), shape: [2, 2] }, { tolerance: -1 }), 'INVALID_ARGUMENT', 'options.tolerance');
    expectError(() => sc.factorizeSeparableKernel([1, 2] as unknown as Tensor), 'INVALID_TENSOR', 'kernel.data');
    expectError(() => sc.factorizeSeparableKernel(null as unknown as Tensor), 'INVALID_TENSOR', 'kernel');
  });
});

// ---------------------------------------------------------------------------------------------------------

describe.each(BACKENDS)('flattened conv (%s backend)', (backend) => {
  it('matches lateral, vertical and horizontal conv2d in sequence (property)', () => {
    fc.assert(
      fc.property(
        spatialOptions,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (c, cin, cout, biases) => {
          const L = randomTensor([cout, cin, 1, 1], c.seed);
          const V = randomTensor([cout, 1, c.kh, 1], c.seed + 1);
          const H = randomTensor([cout, 1, 1, c.kw], c.seed + 2);
          const [lb, vb, hb] = biases.map((on, i) => maybe(on!, [cout], c.seed + 3 + i));
          const input = randomTensor(inputShape(c.batch, cin, [c.h, c.w], c.layout), c.seed + 7);
          const { vertical, horizontal } = split(c);
          const { expected, bound } = chainReference(
            [
              { op: 'conv2d', weight: L, bias: lb, options: { activation: c.activation, layout: c.layout } },
              { op: 'conv2d', weight: V, bias: vb, options: { ...vertical, groups: cout, activation: c.activation } },
              { op: 'conv2d', weight: H, bias: hb, options: { ...horizontal, groups: cout, activation: c.outActivation } },
            ],
            input,
          );
          const plan = sc.createFlattenedConv2d(
            L,
            V,
            H,
            { ...options2d(c), lateralBias: lb, verticalBias: vb, horizontalBias: hb, activation: c.activation, outActivation: c.outActivation },
            contexts[backend],
          );
          try {
            expectWithin(plan.run(input), expected, bound);
            expect(plan.info.stages.map((s) => s.name)).toEqual(['lateral', 'vertical', 'horizontal']);
          } finally {
            plan.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('flattened conv one-shot', () => {
  it('equals conv2d with the rank-1 filters L[o,c] V[o,i] H[o,j] (no biases, zero padding)', () => {
    const [cin, cout, kh, kw] = [3, 4, 3, 5];
    const ints = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => ((i * s) % 7) - 3);
    const L = { data: ints(cout * cin, 3), shape: [cout, cin, 1, 1] };
    const V = { data: ints(cout * kh, 5), shape: [cout, 1, kh, 1] };
    const H = { data: ints(cout * kw, 2), shape: [cout, 1, 1, kw] };
    const full = new Float32Array(cout * cin * kh * kw);
    for (let o = 0; o < cout; o++)
      for (let c = 0; c < cin; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) full[((o * cin + c) * kh + i) * kw + j] = L.data[o * cin + c]! * V.data[o * kh + i]! * H.data[o * kw + j]!;
    const x = randomTensor([2, cin, 8, 9], 4);
    const expected = stage64({ op: 'conv2d', weight: { data: full, shape: [cout, cin, kh, kw] }, options: { padding: [1, 2] } }, to64(x));
    const { bound } = chainReference(
      [
        { op: 'conv2d', weight: L },
        { op: 'conv2d', weight: V, options: { groups: cout, padding: [1, 0] } },
        { op: 'conv2d', weight: H, options: { groups: cout, padding: [0, 2] } },
      ],
      x,
    );
    expectWithin(sc.flattenedConv2d(x, L, V, H, { padding: [1, 2] }), expected, bound);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** channel_shuffle written as torch does it: view (outer, g, c, inner), swap g and c, flatten (a scatter). */
function shuffleDefinition(x: Tensor | Tensor64, groups: number, axis: number): Float64Array {
  const shape = x.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const C = shape[axis]!;
  const c = C / groups;
  const y = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let gi = 0; gi < groups; gi++)
      for (let ci = 0; ci < c; ci++)
        for (let t = 0; t < inner; t++) y[((o * c + ci) * groups + gi) * inner + t] = x.data[((o * groups + gi) * c + ci) * inner + t]!;
  return y;
}

describe('channelShuffle', () => {
  it("is torch's view-transpose-flatten (property, both layouts)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom<Layout>('channels-first', 'channels-last'),
        fc.integer({ min: 1, max: 2 ** 30 }),
        (g, c, spatial, batch, layout, seed) => {
          const shape = inputShape(batch, g * c, spatial, layout);
          const x = randomTensor(shape, seed);
          const axis = layout === 'channels-first' ? 1 : shape.length - 1;
          const y = sc.channelShuffle(x, g, { layout });
          expect(y.shape).toEqual(shape);
          expect(Array.from(y.data)).toEqual(Array.from(shuffleDefinition(x, g, axis)));
          // Shuffling by c undoes shuffling by g.
          expect(Array.from(sc.channelShuffle(y, c, { layout }).data)).toEqual(Array.from(x.data));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches the ShuffleNet example and writes into `out`', () => {
    const x = { data: Float32Array.from([0, 1, 2, 3, 4, 5]), shape: [1, 6, 1] };
    expect(Array.from(sc.channelShuffle(x, 2).data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(sc.channelShuffle(x, 3).data)).toEqual([0, 2, 4, 1, 3, 5]);
    expect(Array.from(sc.channelShuffle(x, 1).data)).toEqual([0, 1, 2, 3, 4, 5]);
    const out = { data: new Float32Array(6), shape: [1, 6, 1] };
    expect(sc.channelShuffle(x, 2, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual([0, 3, 1, 4, 2, 5]);
    const last = { data: Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]), shape: [1, 2, 6] };
    expect(Array.from(sc.channelShuffle(last, 2, { layout: 'channels-last' }).data)).toEqual([0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15]);
  });

  it('raises typed errors', () => {
    const x = randomTensor([2, 6, 3], 1);
    expectError(() => sc.channelShuffle(x, 4), 'INVALID_GROUPS', 'groups');
    expectError(() => sc.channelShuffle(x, 0), 'INVALID_GROUPS', 'groups');
    expectError(() => sc.channelShuffle(x, 1.5), 'INVALID_GROUPS', 'groups');
    expectError(() => sc.channelShuffle(x, 2, { layout: 'channels-last' }), 'INVALID_GROUPS', 'groups'); // 3 channels last
    expectError(() => sc.channelShuffle(randomTensor([6, 4], 1), 2), 'INVALID_RANK', 'input');
    expectError(() => sc.channelShuffle(x, 2, { layout: 'nhwc' as Layout }), 'INVALID_ARGUMENT', 'options.layout');
    expectError(() => sc.channelShuffle(x, 2, { groups: 2 } as never), 'INVALID_ARGUMENT', 'options.groups');
    expectError(() => sc.channelShuffle(x, 2, { out: randomTensor([2, 3, 6], 1) }), 'OUTPUT_MISMATCH', 'options.out.shape');
    expectError(() => sc.channelShuffle(x, 2, { out: x }), 'OUTPUT_MISMATCH', 'options.out');
    expectError(() => sc.channelShuffle({ data: [1], shape: [1] } as unknown as Tensor, 1), 'INVALID_TENSOR', 'input.data');
  });
});

describe.each(BACKENDS)('shuffled group conv (%s backend)', (backend) => {
  it('is grouped conv2d followed by channelShuffle(groups) (property)', () => {
    fc.assert(
      fc.property(
        spatialOptions,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (c, g, a, b, withBias) => {
          const weight = randomTensor([g * b, a, c.kh, c.kw], c.seed);
          const bias = maybe(withBias, [g * b], c.seed + 1);
          const input = randomTensor(inputShape(c.batch, g * a, [c.h, c.w], c.layout), c.seed + 2);
          const options = { ...options2d(c), groups: g, activation: c.activation };
          const { expected, bound } = chainReference([{ op: 'conv2d', weight, bias, options }], input);
          const axis = c.layout === 'channels-first' ? (c.batch === 0 ? 0 : 1) : expected.shape.length - 1;
          const plan = sc.createShuffledGroupConv2d(weight, bias, options, contexts[backend]);
          try {
            const y = plan.run(input);
            expectWithin(
              y,
              { shape: expected.shape, data: shuffleDefinition(expected, g, axis) },
              shuffleDefinition({ shape: expected.shape, data: bound }, g, axis),
            );
            expect(plan.macs(input.shape)).toBe(sc.convMacs('conv2d', input.shape, weight.shape, options));
            expect(plan.info.stages.map((s) => s.name)).toEqual(['grouped-conv', 'channel-shuffle']);
          } finally {
            plan.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('shuffled group conv one-shot', () => {
  it('matches conv2d then channelShuffle, into `out` too', () => {
    const w = randomTensor([8, 2, 3, 3], 1);
    const b = randomTensor([8], 2);
    const x = randomTensor([2, 8, 6, 6], 3);
    const conv = sc.conv2d(x, w, b, { groups: 4, padding: 1 });
    const expected = sc.channelShuffle(conv, 4);
    const y = sc.shuffledGroupConv2d(x, w, b, { groups: 4, padding: 1 });
    expect(Array.from(y.data)).toEqual(Array.from(expected.data));
    const out = { data: new Float32Array(y.data.length), shape: y.shape };
    expect(sc.shuffledGroupConv2d(x, w, b, { groups: 4, padding: 1, out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(expected.data));
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('composite errors', () => {
  const dw = randomTensor([4, 1, 3, 3], 1);
  const pw = randomTensor([6, 4, 1, 1], 2);
  const x = randomTensor([1, 4, 8, 8], 3);

  it('depthwise-separable', () => {
    const ds = sc.depthwiseSeparableConv2d;
    expectError(() => ds(x, dw, randomTensor([6, 5, 1, 1], 1)), 'CHANNEL_MISMATCH', 'pointwiseWeight.shape[1]');
    expectError(() => ds(x, dw, randomTensor([6, 4, 3, 3], 1)), 'INVALID_ARGUMENT', 'pointwiseWeight.shape');
    expectError(() => ds(x, randomTensor([4, 2, 3, 3], 1), pw), 'CHANNEL_MISMATCH', 'depthwiseWeight.shape[1]');
    expectError(() => ds(x, randomTensor([4, 1, 3], 1), pw), 'INVALID_RANK', 'depthwiseWeight');
    expectError(() => ds(x, dw, randomTensor([6, 4, 1], 1)), 'INVALID_RANK', 'pointwiseWeight');
    expectError(() => ds(x, { data: new Float32Array(3), shape: [4, 1, 3, 3] }, pw), 'INVALID_TENSOR', 'depthwiseWeight.data');
    expectError(() => ds(x, dw, pw, { depthMultiplier: 3 }), 'INVALID_ARGUMENT', 'options.depthMultiplier');
    expectError(() => ds(x, dw, pw, { depthMultiplier: 0 }), 'INVALID_ARGUMENT', 'options.depthMultiplier');
    expectError(() => ds(x, dw, pw, { depthwiseBias: randomTensor([3], 1) }), 'CHANNEL_MISMATCH', 'options.depthwiseBias.shape');
    expectError(() => ds(x, dw, pw, { pointwiseBias: randomTensor([4], 1) }), 'CHANNEL_MISMATCH', 'options.pointwiseBias.shape');
    expectError(() => ds(x, dw, pw, { outActivation: 'gelu' as Activation }), 'INVALID_ARGUMENT', 'options.outActivation');
    expectError(() => ds(x, dw, pw, { activation: { min: 1, max: 0 } }), 'INVALID_ARGUMENT', 'options.activation');
    expectError(() => ds(x, dw, pw, { groups: 4 } as never), 'INVALID_ARGUMENT', 'options.groups');
    expectError(() => ds(x, dw, pw, { padding: 'same', stride: 2 }), 'INVALID_ARGUMENT', 'options.padding');
    expectError(() => ds(x, dw, pw, { paddingMode: 'mirror' as PaddingMode }), 'INVALID_PADDING_MODE', 'options.paddingMode');
    expectError(() => ds(randomTensor([1, 3, 8, 8], 1), dw, pw), 'CHANNEL_MISMATCH', 'input.shape[1]');
    expectError(() => ds(randomTensor([1, 8, 8, 3], 1), dw, pw, { layout: 'channels-last' }), 'CHANNEL_MISMATCH', 'input.shape[3]');
    expectError(() => ds(randomTensor([1, 4, 2, 2], 1), dw, pw), 'KERNEL_TOO_LARGE', 'depthwiseWeight.shape');
    expectError(() => ds(randomTensor([4, 8], 1), dw, pw), 'INVALID_RANK', 'input');
    expectError(() => ds(x, dw, pw, { out: randomTensor([1, 6, 8, 8], 1) }), 'OUTPUT_MISMATCH', 'options.out.shape');
    expectError(() => ds(randomTensor([1, 4, 2, 8], 1), dw, pw, { padding: 2, paddingMode: 'reflect' }), 'INVALID_PADDING_MODE', 'options.padding');
  });

  it('depthwise-separable plans', () => {
    const plan = sc.createDepthwiseSeparableConv2d(dw, pw, { depthMultiplier: 2 }, contexts.wasm);
    expectError(() => plan.run(x), 'CHANNEL_MISMATCH', 'input.shape[1]'); // C = 4 / 2 = 2
    plan.dispose();
    expectError(() => sc.createDepthwiseSeparableConv2d(dw, pw, { out: x } as never, contexts.wasm), 'INVALID_ARGUMENT', 'options.out');
    expectError(() => sc.createDepthwiseSeparableConv1d(dw, pw, {}, contexts.js), 'INVALID_RANK', 'depthwiseWeight');
  });

  it('spatially separable', () => {
    const col = randomTensor([4, 2, 3, 1], 1);
    const row = randomTensor([6, 2, 1, 3], 2);
    const ss = sc.spatiallySeparableConv2d;
    const xs = randomTensor([1, 4, 8, 8], 3);
    expect(ss(xs, col, row, { groups: 2 }).shape).toEqual([1, 6, 6, 6]);
    expectError(() => ss(xs, randomTensor([4, 2, 3, 3], 1), row, { groups: 2 }), 'INVALID_ARGUMENT', 'columnWeight.shape');
    expectError(() => ss(xs, col, randomTensor([6, 2, 3, 3], 1), { groups: 2 }), 'INVALID_ARGUMENT', 'rowWeight.shape');
    expectError(() => ss(xs, col, randomTensor([6, 3, 1, 3], 1), { groups: 2 }), 'CHANNEL_MISMATCH', 'rowWeight.shape[1]');
    expectError(() => ss(xs, col, row, { groups: 2, rowGroups: 3 }), 'INVALID_GROUPS', 'options.rowGroups');
    expectError(() => ss(xs, col, row, { groups: 2, rowGroups: 0 }), 'INVALID_GROUPS', 'options.rowGroups');
    expectError(() => ss(xs, col, row, { groups: 3 }), 'INVALID_GROUPS', 'options.groups');
    expectError(() => ss(xs, col, row), 'CHANNEL_MISMATCH', 'rowWeight.shape[1]'); // groups 1: row reads all 4
    expectError(() => ss(xs, col, row, { groups: 2, padding: 'same', stride: [1, 2] }), 'INVALID_ARGUMENT', 'options.padding');
    expectError(() => ss(xs, col, row, { groups: 2, stride: [1, 2, 3] }), 'INVALID_ARGUMENT', 'options.stride');
    expectError(() => ss(xs, col, row, { groups: 2, columnBias: randomTensor([6], 1) }), 'CHANNEL_MISMATCH', 'options.columnBias.shape');
    expectError(() => ss(xs, col, row, { groups: 2, rowBias: randomTensor([4], 1) }), 'CHANNEL_MISMATCH', 'options.rowBias.shape');
    expectError(() => ss(randomTensor([1, 4, 8, 2], 1), col, row, { groups: 2 }), 'KERNEL_TOO_LARGE', 'rowWeight.shape');
    expectError(() => ss(randomTensor([1, 4, 2, 8], 1), col, row, { groups: 2 }), 'KERNEL_TOO_LARGE', 'columnWeight.shape');
    expectError(() => ss(randomTensor([1, 2, 8, 8], 1), col, row, { groups: 2 }), 'CHANNEL_MISMATCH', 'input.shape[1]');
    expectError(
      () => ss(randomTensor([1, 4, 2, 8], 1), col, row, { groups: 2, padding: 2, paddingMode: 'reflect' }),
      'INVALID_PADDING_MODE',
      'options.padding',
    );
  });

  it('flattened', () => {
    const L = randomTensor([4, 3, 1, 1], 1);
    const V = randomTensor([4, 1, 3, 1], 2);
    const H = randomTensor([4, 1, 1, 3], 3);
    const xf = randomTensor([1, 3, 8, 8], 4);
    const fl = sc.flattenedConv2d;
    expect(fl(xf, L, V, H).shape).toEqual([1, 4, 6, 6]);
    expectError(() => fl(xf, randomTensor([4, 3, 3, 3], 1), V, H), 'INVALID_ARGUMENT', 'lateralWeight.shape');
    expectError(() => fl(xf, L, randomTensor([4, 1, 3, 3], 1), H), 'INVALID_ARGUMENT', 'verticalWeight.shape');
    expectError(() => fl(xf, L, randomTensor([4, 2, 3, 1], 1), H), 'INVALID_ARGUMENT', 'verticalWeight.shape');
    expectError(() => fl(xf, L, V, randomTensor([4, 1, 3, 3], 1)), 'INVALID_ARGUMENT', 'horizontalWeight.shape');
    expectError(() => fl(xf, L, randomTensor([5, 1, 3, 1], 1), H), 'CHANNEL_MISMATCH', 'verticalWeight.shape[0]');
    expectError(() => fl(xf, L, V, randomTensor([2, 1, 1, 3], 1)), 'CHANNEL_MISMATCH', 'horizontalWeight.shape[0]');
    expectError(() => fl(xf, L, V, H, { lateralBias: randomTensor([3], 1) }), 'CHANNEL_MISMATCH', 'options.lateralBias.shape');
    expectError(() => fl(xf, L, V, H, { verticalBias: randomTensor([3], 1) }), 'CHANNEL_MISMATCH', 'options.verticalBias.shape');
    expectError(() => fl(xf, L, V, H, { horizontalBias: randomTensor([3], 1) }), 'CHANNEL_MISMATCH', 'options.horizontalBias.shape');
    expectError(() => fl(xf, L, V, H, { outActivation: 'tanh' as Activation }), 'INVALID_ARGUMENT', 'options.outActivation');
    expectError(() => fl(randomTensor([1, 2, 8, 8], 1), L, V, H), 'CHANNEL_MISMATCH', 'input.shape[1]');
    expectError(() => fl(randomTensor([1, 3, 8, 2], 1), L, V, H), 'KERNEL_TOO_LARGE', 'horizontalWeight.shape');
    expectError(() => fl(xf, L, V, H, { groups: 2 } as never), 'INVALID_ARGUMENT', 'options.groups');
  });

  it('shuffled group conv', () => {
    const w = randomTensor([6, 2, 3, 3], 1);
    const xg = randomTensor([1, 6, 5, 5], 2);
    expectError(() => sc.shuffledGroupConv2d(xg, w, null, {} as never), 'INVALID_GROUPS', 'options.groups');
    expectError(() => sc.shuffledGroupConv2d(xg, w, null, { groups: 4 }), 'INVALID_GROUPS', 'options.groups');
    expectError(() => sc.shuffledGroupConv2d(xg, w, null, { groups: 2 }), 'CHANNEL_MISMATCH', 'input.shape[1]');
    expectError(() => sc.shuffledGroupConv2d(xg, w, randomTensor([5], 1), { groups: 3 }), 'CHANNEL_MISMATCH', 'bias.shape');
    expectError(() => sc.shuffledGroupConv2d(xg, w, null, { groups: 3, out: randomTensor([1, 6, 5, 5], 1) }), 'OUTPUT_MISMATCH', 'options.out.shape');
    expectError(() => sc.shuffledGroupConv2d(xg, w, null, { groups: 3, depthMultiplier: 2 } as never), 'INVALID_ARGUMENT', 'options.depthMultiplier');
    const plan = sc.createShuffledGroupConv2d(w, null, { groups: 3 }, contexts.wasm);
    plan.dispose();
    expectError(() => plan.run(xg), 'DISPOSED', 'plan');
  });

  it('one-shot composites need init only for the default context', async () => {
    const ctx = contexts.js;
    const plan = sc.createFlattenedConv2d(randomTensor([2, 2, 1, 1], 1), randomTensor([2, 1, 2, 1], 2), randomTensor([2, 1, 1, 2], 3), {}, ctx);
    expect(plan.info.backend).toBe('js');
    plan.dispose();
  });
});
