/**
 * Property tests: conv1d / conv2d / conv3d against the float64 reference (src/reference.ts), over every option
 * (rank, batch, sizes, stride, padding int / per-axis / 'same' / 'valid', dilation, groups incl. depthwise
 * and channel multipliers, padding modes within PyTorch's limits, activations, both layouts, bias or not),
 * on every backend: the SIMD128 and relaxed wasm builds, the js backend, and the one-shot functions on the
 * default context.
 *
 * Results must agree within the float32 error bound of test/helpers/tolerance.ts (computed from the reference
 * on |x|, |w|, |b| with no activation: clamps are 1-Lipschitz, so the bound carries over).
 *
 * A deterministic sweep covers every GEMM tile remainder (output channels and output pixels mod 4 and mod 8)
 * for both layouts, and a property with large reductions covers the several-panel-blocks path of the im2col.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, type Tensor64 } from '../src/reference.js';
import type { ConvOp } from '../src/shape.js';
import type { Activation, ConvOptions, Layout, PaddingMode, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { sameBits } from './helpers/bits.js';
import { rng, randomTensor } from './helpers/random.js';

const SEED = 0x5eed_c0de;
fc.configureGlobal({ seed: SEED });

type ConvPlanOptions = Omit<ConvOptions, 'out'>;

// ---------------------------------------------------------------------------------------------------------
// Data

function copyTensor(t: Tensor): Tensor {
  return { data: new Float32Array(t.data), shape: [...t.shape] };
}

// ---------------------------------------------------------------------------------------------------------
// Cases

interface ConvCase {
  readonly op: ConvOp;
  readonly input: Tensor;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: ConvPlanOptions;
  /** Feature tags, for the coverage check at the end. */
  readonly tags: readonly string[];
  /** Identifies the case's content (options and data seed): the reference is cached under it. */
  readonly key: string;
}

const OPS: Record<1 | 2 | 3, ConvOp> = { 1: 'conv1d', 2: 'conv2d', 3: 'conv3d' };

interface RawCase {
  channels:
    | { kind: 'dense'; cin: number; cout: number }
    | { kind: 'grouped'; groups: number; cinG: number; coutG: number }
    | { kind: 'depthwise'; c: number; multiplier: number };
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: { kind: 'default' } | { kind: 'int'; value: number } | { kind: 'array'; values: number[] } | { kind: 'same' } | { kind: 'valid' };
  paddingMode: PaddingMode | undefined;
  activation: Activation | undefined;
  layout: Layout | undefined;
  hasBias: boolean;
  batch: number | null;
  size: number[];
  tight: boolean[];
  argForm: { stride: boolean; dilation: boolean };
  seed: number;
}

const activationArb: fc.Arbitrary<Activation | undefined> = fc.constantFrom<Activation | undefined>(
  undefined,
  'none',
  'relu',
  'relu6',
  { min: -0.25, max: 0.5 },
  { min: 0.1 },
  { max: -0.1 },
  {},
);

/** Kernel sizes biased towards 1 (1x1 convolutions) and covering even sizes. */
const kernelDimArb = fc.oneof({ arbitrary: fc.constant(1), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 3 });

function rawCaseArb(rank: 1 | 2 | 3, maxSize: number[]): fc.Arbitrary<RawCase> {
  const perAxis = <T>(arb: fc.Arbitrary<T>) => fc.tuple(...new Array(rank).fill(0).map(() => arb)) as fc.Arbitrary<T[]>;
  return fc.record({
    channels: fc.oneof(
      fc.record({ kind: fc.constant('dense' as const), cin: fc.integer({ min: 1, max: 6 }), cout: fc.integer({ min: 1, max: 17 }) }),
      fc.record({
        kind: fc.constant('grouped' as const),
        groups: fc.integer({ min: 2, max: 4 }),
        cinG: fc.integer({ min: 1, max: 3 }),
        coutG: fc.integer({ min: 1, max: 9 }),
      }),
      fc.record({
        kind: fc.constant('depthwise' as const),
        c: fc.integer({ min: 1, max: 9 }),
        multiplier: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 3 })),
      }),
    ),
    kernel: perAxis(kernelDimArb),
    stride: perAxis(fc.integer({ min: 1, max: 3 })),
    dilation: perAxis(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 }))),
    padding: fc.oneof(
      fc.constant({ kind: 'default' as const }),
      fc.record({ kind: fc.constant('int' as const), value: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('array' as const), values: perAxis(fc.integer({ min: 0, max: 3 })) }),
      fc.constant({ kind: 'same' as const }),
      fc.constant({ kind: 'valid' as const }),
    ),
    paddingMode: fc.constantFrom<PaddingMode | undefined>(undefined, 'zeros', 'reflect', 'replicate', 'circular'),
    activation: activationArb,
    layout: fc.constantFrom<Layout | undefined>(undefined, 'channels-first', 'channels-last'),
    hasBias: fc.boolean(),
    batch: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 3 })),
    size: fc.tuple(...maxSize.map((m) => fc.integer({ min: 1, max: m }))),
    tight: perAxis(fc.integer({ min: 0, max: 4 }).map((v) => v === 0)),
    argForm: fc.record({ stride: fc.boolean(), dilation: fc.boolean() }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });
}

/** Turns a raw draw into a valid case, respecting PyTorch's limits (kernel fits, reflect pad < size, circular pad <= size). */
function buildCase(rank: 1 | 2 | 3, r: RawCase): ConvCase {
  const tags: string[] = [`rank${rank}`];
  let groups: number;
  let cin: number;
  let cout: number;
  switch (r.channels.kind) {
    case 'dense':
      groups = 1;
      cin = r.channels.cin;
      cout = r.channels.cout;
      tags.push('groups:1');
      break;
    case 'grouped':
      groups = r.channels.groups;
      cin = groups * r.channels.cinG;
      cout = groups * r.channels.coutG;
      tags.push('groups:grouped');
      break;
    case 'depthwise':
      groups = r.channels.c;
      cin = groups;
      cout = groups * r.channels.multiplier;
      tags.push(r.channels.multiplier === 1 ? 'groups:depthwise' : 'groups:depthwise-multiplier');
      break;
  }
  const kernel = r.kernel;
  const stride = r.padding.kind === 'same' ? kernel.map(() => 1) : r.stride;
  const dilation = r.dilation;
  let padBefore: number[];
  let padAfter: number[];
  let padding: ConvOptions['padding'];
  switch (r.padding.kind) {
    case 'default':
      padBefore = padAfter = kernel.map(() => 0);
      padding = undefined;
      break;
    case 'int':
      padBefore = padAfter = kernel.map(() => (r.padding as { value: number }).value);
      padding = r.padding.value;
      break;
    case 'array':
      padBefore = padAfter = r.padding.values;
      padding = r.padding.values;
      break;
    case 'valid':
      padBefore = padAfter = kernel.map(() => 0);
      padding = 'valid';
      break;
    case 'same': {
      const total = kernel.map((k, i) => dilation[i]! * (k - 1));
      padBefore = total.map((t) => Math.floor(t / 2));
      padAfter = total.map((t, i) => t - padBefore[i]!);
      padding = 'same';
      if (total.some((t) => t % 2 === 1)) tags.push('padding:same-asymmetric');
      break;
    }
  }
  tags.push(`padding:${r.padding.kind}`);
  const mode = r.paddingMode ?? 'zeros';
  const size = r.size.map((n, i) => {
    const span = dilation[i]! * (kernel[i]! - 1) + 1;
    const pb = padBefore[i]!;
    const pa = padAfter[i]!;
    let min = Math.max(1, span - pb - pa);
    if (mode === 'reflect') min = Math.max(min, Math.max(pb, pa) + 1);
    if (mode === 'circular') min = Math.max(min, Math.max(pb, pa));
    return r.tight[i] ? min : Math.max(n, min);
  });
  const layout = r.layout ?? 'channels-first';
  const spatialShape = layout === 'channels-first' ? [cin, ...size] : [...size, cin];
  const inputShape = r.batch === null ? spatialShape : [r.batch, ...spatialShape];
  const next = rng(r.seed);
  const input = randomTensor(inputShape, next);
  const weight = randomTensor([cout, cin / groups, ...kernel], next);
  const bias = r.hasBias ? randomTensor([cout], next) : null;

  const options: ConvPlanOptions = {};
  if (stride.some((s) => s !== 1) || r.argForm.stride) options.stride = r.argForm.stride && stride.every((s) => s === stride[0]) ? stride[0]! : stride;
  if (dilation.some((d) => d !== 1) || r.argForm.dilation)
    options.dilation = r.argForm.dilation && dilation.every((d) => d === dilation[0]) ? dilation[0]! : dilation;
  if (padding !== undefined) options.padding = padding;
  if (groups !== 1 || r.seed % 2 === 0) options.groups = groups;
  if (r.paddingMode !== undefined) options.paddingMode = r.paddingMode;
  if (r.activation !== undefined) options.activation = r.activation;
  if (r.layout !== undefined) options.layout = r.layout;

  tags.push(`mode:${mode}`, `layout:${layout}`, `bias:${r.hasBias}`, r.batch === null ? 'unbatched' : `batch:${r.batch}`);
  tags.push(`activation:${typeof r.activation === 'object' ? 'clamp' : (r.activation ?? 'default')}`);
  if (kernel.every((k) => k === 1)) tags.push('kernel:1x1');
  if (kernel.some((k) => k % 2 === 0)) tags.push('kernel:even');
  if (stride.some((s) => s > 1)) tags.push('stride>1');
  if (dilation.some((d) => d > 1)) tags.push('dilation>1');
  if (padding === 'same' && dilation.some((d) => d > 1)) tags.push('same+dilation');
  if (padding === 'same' && kernel.some((k) => k % 2 === 0)) tags.push('same+even-kernel');
  return { op: OPS[rank], input, weight, bias, options, tags, key: `rank${rank} ${JSON.stringify(r)}` };
}

// ---------------------------------------------------------------------------------------------------------
// Backends

interface Backend {
  readonly name: string;
  /** Runs the case and returns [result, the plan's outputShape for the input] (null for the one-shot form). */
  run(c: ConvCase): { result: Tensor; planShape: number[] | null };
  readonly ctx: sc.Context | null;
}

function planBackend(name: string, get: () => sc.Context): Backend {
  return {
    name,
    get ctx() {
      return get();
    },
    run(c) {
      const ctx = get();
      const make = { conv1d: sc.createConv1d, conv2d: sc.createConv2d, conv3d: sc.createConv3d }[c.op];
      const plan = make(c.weight, c.bias, c.options, ctx);
      try {
        expect(plan.info.backend).toBe(ctx.backend);
        const planShape = plan.outputShape(c.input.shape);
        return { result: plan.run(c.input), planShape };
      } finally {
        plan.dispose();
      }
    },
  };
}

const contexts: Record<string, sc.Context> = {};

const BACKENDS: Backend[] = [
  planBackend('wasm simd128', () => contexts.simd128!),
  planBackend('wasm relaxed', () => contexts.relaxed!),
  planBackend('js', () => contexts.js!),
  {
    name: 'one-shot (default context)',
    ctx: null,
    run(c) {
      const fn = { conv1d: sc.conv1d, conv2d: sc.conv2d, conv3d: sc.conv3d }[c.op];
      return { result: fn(c.input, c.weight, c.bias, c.options), planShape: null };
    },
  },
];

beforeAll(async () => {
  contexts.simd128 = await sc.createContext({ build: 'simd128' });
  contexts.relaxed = await sc.createContext({ build: 'relaxed' });
  contexts.js = await sc.createContext({ backend: 'js' });
  expect(contexts.simd128.build).toBe('simd128');
  expect(contexts.relaxed.build).toBe('relaxed');
  expect(contexts.js.backend).toBe('js');
  await sc.init();
});

afterAll(() => {
  // Every plan was disposed: nothing may be left allocated in any wasm context.
  for (const name of ['simd128', 'relaxed'] as const) expect(contexts[name]!.memoryStats().bytesInUse, name).toBe(0);
});

// ---------------------------------------------------------------------------------------------------------
// Checking

function reductionSize(c: ConvCase): number {
  return c.weight.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** The reference is computed once per case and shared by the backends (cases are keyed by their content). */
const expectedCache = new Map<string, { value: Tensor64; bound: Float64Array }>();

function expected(c: ConvCase): { value: Tensor64; bound: Float64Array } {
  const key = c.key;
  const hit = expectedCache.get(key);
  if (hit) return hit;
  const result = computeExpected(c);
  expectedCache.set(key, result);
  return result;
}

function computeExpected(c: ConvCase): { value: Tensor64; bound: Float64Array } {
  const value = referenceConv(c.op, c.input, c.weight, c.bias, c.options);
  const absOptions = { ...c.options, activation: 'none' as const };
  const bound = referenceConv(c.op, absTensor(c.input), absTensor(c.weight), c.bias && absTensor(c.bias), absOptions).data;
  return { value, bound };
}

function check(backend: Backend, c: ConvCase): void {
  const snapshot = [copyTensor(c.input), copyTensor(c.weight), c.bias && copyTensor(c.bias)] as const;
  const { value, bound } = expected(c);
  const { result, planShape } = backend.run(c);
  if (planShape !== null) expect(planShape).toEqual(value.shape);
  expect(result.data).toBeInstanceOf(Float32Array);
  expectConvClose(result, value, bound, reductionSize(c));
  // Inputs are never mutated.
  expect(sameBits(c.input.data, snapshot[0].data), 'input unchanged').toBe(true);
  expect(sameBits(c.weight.data, snapshot[1].data), 'weight unchanged').toBe(true);
  if (c.bias) expect(sameBits(c.bias.data, snapshot[2]!.data), 'bias unchanged').toBe(true);
}

function describeCase(c: ConvCase): string {
  return `${c.op} input [${c.input.shape.join(', ')}] weight [${c.weight.shape.join(', ')}] bias ${c.bias ? 'yes' : 'no'} options ${JSON.stringify(c.options)}`;
}

const seenTags = new Set<string>();
const seenRemainders = { 'channels-first': new Set<string>(), 'channels-last': new Set<string>() };

function noteCoverage(c: ConvCase, outShape: readonly number[]): void {
  for (const t of c.tags) seenTags.add(t);
  const layout = c.options.layout ?? 'channels-first';
  const groups = c.options.groups ?? 1;
  const coutG = c.weight.shape[0]! / groups;
  const rank = c.weight.shape.length - 2;
  const spatial = layout === 'channels-first' ? outShape.slice(-rank) : outShape.slice(-rank - 1, -1);
  const pixels = spatial.reduce((a, b) => a * b, 1);
  seenRemainders[layout].add(`cout%8=${coutG % 8}`);
  seenRemainders[layout].add(`pixels%8=${pixels % 8}`);
  if (pixels === 1) seenTags.add('output:1x1');
}

/**
 * Channels-first tiles are 6 or 4 output channels x 8 pixels, channels-last 6 pixels x 8 channels: every Cout and
 * pixel count from 1 to 17 (all remainders mod 4, 6 and 8, one and several tiles), through 3x3 kernels with
 * padding 1 (channels-first: the direct path; channels-last with 3 channels: the direct path via channels-first),
 * 1x1 kernels (the direct path reading the input in place, in either layout) and a grouped convolution (the
 * remainder per group matters). kernel-paths.test.ts forces every path, im2col included, across remainders.
 */
let tileCaseList: ConvCase[] | null = null;
function tileCases(): ConvCase[] {
  if (tileCaseList) return tileCaseList;
  const cases: ConvCase[] = [];
  const next = rng(1234);
  const pixelShapes = [
    [1, 1],
    [1, 2],
    [1, 3],
    [1, 4],
    [1, 5],
    [1, 6],
    [1, 7],
    [1, 8],
    [3, 3],
    [1, 10],
    [11, 1],
    [3, 4],
    [13, 1],
    [2, 7],
    [3, 5],
    [4, 4],
    [1, 17],
  ] as const;
  for (const layout of ['channels-first', 'channels-last'] as const) {
    for (let cout = 1; cout <= 17; cout++) {
      for (const [ph, pw] of pixelShapes) {
        for (const k of [3, 1]) {
          const cin = 3;
          cases.push({
            op: 'conv2d',
            input: randomTensor(layout === 'channels-first' ? [2, cin, ph, pw] : [2, ph, pw, cin], next),
            weight: randomTensor([cout, cin, k, k], next),
            bias: randomTensor([cout], next),
            options: { padding: (k - 1) / 2, layout },
            tags: [],
            key: `tile ${cases.length}`,
          });
        }
        cases.push({
          op: 'conv2d',
          input: randomTensor(layout === 'channels-first' ? [1, 4, ph, pw] : [1, ph, pw, 4], next),
          weight: randomTensor([2 * cout, 2, 3, 3], next),
          bias: null,
          options: { padding: 1, groups: 2, layout, activation: 'relu' },
          tags: [],
          key: `tile ${cases.length}`,
        });
      }
    }
  }
  tileCaseList = cases;
  return cases;
}

// Runs per rank and backend; sizes per axis (3-D: one axis up to 19, the others smaller).
const RANKS: Array<{ op: ConvOp; rank: 1 | 2 | 3; numRuns: number; maxSize: () => number[] }> = [
  { op: 'conv1d', rank: 1, numRuns: 300, maxSize: () => [19] },
  { op: 'conv2d', rank: 2, numRuns: 250, maxSize: () => [19, 19] },
  { op: 'conv3d', rank: 3, numRuns: 150, maxSize: () => [7, 7, 19] },
];

describe.each(BACKENDS)('$name', (backend) => {
  it.each(RANKS)('$op matches the float64 reference on random options', ({ rank, numRuns, maxSize }) => {
    // Same seed per backend: every backend sees the same cases.
    // Properties over the compact raw draw, so a counterexample prints (and shrinks) as options, not data.
    fc.assert(
      fc.property(rawCaseArb(rank, maxSize()), (r) => {
        const c = buildCase(rank, r);
        try {
          check(backend, c);
        } catch (e) {
          throw new Error(`${describeCase(c)}\n${(e as Error).message}`);
        }
        noteCoverage(c, expected(c).value.shape);
      }),
      { numRuns, seed: SEED + rank },
    );
    // 3-D sizes up to 19 on the last axis only: permute them to also have the long axis first.
    if (rank === 3) {
      fc.assert(
        fc.property(rawCaseArb(3, [19, 5, 5]), (r) => {
          const c = buildCase(3, r);
          try {
            check(backend, c);
          } catch (e) {
            throw new Error(`${describeCase(c)}\n${(e as Error).message}`);
          }
        }),
        { numRuns: 40, seed: SEED + 33 },
      );
    }
  });

  it('large reductions: several im2col panel blocks per image, both layouts', () => {
    // K = Cin/groups * taps large enough that the 256 KiB panel holds fewer pixels than the output has. Channels-
    // first, only a width stride with a non-zero padding mode takes im2col (tile-policy.ts gemmStrategy); the
    // other cases check the direct path's large reductions.
    const arb = fc.record({
      cin: fc.integer({ min: 48, max: 96 }),
      cout: fc.integer({ min: 1, max: 13 }),
      h: fc.integer({ min: 10, max: 19 }),
      w: fc.integer({ min: 10, max: 19 }),
      layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
      mode: fc.constantFrom<PaddingMode>('zeros', 'reflect'),
      strideW: fc.constantFrom(1, 2),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    });
    const build = ({ cin, cout, h, w, layout, mode, strideW, seed }: typeof arb extends fc.Arbitrary<infer R> ? R : never): ConvCase => {
      const next = rng(seed);
      const input = randomTensor(layout === 'channels-first' ? [1, cin, h, w] : [1, h, w, cin], next);
      return {
        op: 'conv2d',
        input,
        weight: randomTensor([cout, cin, 3, 3], next),
        bias: randomTensor([cout], next),
        options: { padding: 1, stride: [1, strideW], layout, paddingMode: mode },
        tags: [],
        key: `large ${cin} ${cout} ${h} ${w} ${layout} ${mode} s${strideW} ${seed}`,
      };
    };
    fc.assert(
      fc.property(arb, (r) => check(backend, build(r))),
      { numRuns: 10, seed: SEED + 7 },
    );
  });

  it('every GEMM tile remainder: Cout 1..17 x output pixels 1..17, both layouts', () => {
    for (const c of tileCases()) check(backend, c);
  });
});

describe('coverage of the random cases', () => {
  it('exercised every option value and every tile remainder', () => {
    const required = [
      'rank1',
      'rank2',
      'rank3',
      'groups:1',
      'groups:grouped',
      'groups:depthwise',
      'groups:depthwise-multiplier',
      'padding:default',
      'padding:int',
      'padding:array',
      'padding:same',
      'padding:valid',
      'padding:same-asymmetric',
      'same+dilation',
      'same+even-kernel',
      'mode:zeros',
      'mode:reflect',
      'mode:replicate',
      'mode:circular',
      'layout:channels-first',
      'layout:channels-last',
      'bias:true',
      'bias:false',
      'unbatched',
      'batch:1',
      'batch:2',
      'batch:3',
      'activation:default',
      'activation:none',
      'activation:relu',
      'activation:relu6',
      'activation:clamp',
      'kernel:1x1',
      'kernel:even',
      'stride>1',
      'dilation>1',
      'output:1x1',
    ];
    expect(required.filter((t) => !seenTags.has(t))).toEqual([]);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      const missing: string[] = [];
      for (let r = 0; r < 8; r++) {
        if (!seenRemainders[layout].has(`cout%8=${r}`)) missing.push(`cout%8=${r}`);
        if (!seenRemainders[layout].has(`pixels%8=${r}`)) missing.push(`pixels%8=${r}`);
      }
      expect(missing, layout).toEqual([]);
    }
  });
});
