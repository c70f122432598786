/**
 * `npm run fuzz`: seeded, replayable campaigns (fast-check) against every backend this machine has.
 *
 * - differential: random convolutions (every op, rank, stride, padding form (int, per axis, per side, 'same',
 *   'valid', 'same-upper', 'same-lower') and mode, dilation, groups, layout,
 *   activation, batched or not, transposed output padding), inputs placed as plain arrays, odd-offset subarrays,
 *   SharedArrayBuffer views or resident tensors, plans reused across two input shapes, a few Inf / NaN values;
 *   each result against the float64 reference within the float32 bound (test/helpers/tolerance.ts);
 * - bad input: a valid call with one thing broken (a type, a hole, a size, a key, a Proxy, a detached array, a
 *   view of wasm memory); it must return the reference's answer or throw a SimdconvError, nothing else, and a
 *   canary run on the same context afterwards must still be right (no corrupted memory, no stuck plan).
 *
 * FUZZ_SECONDS (default 20) bounds each campaign per backend; FUZZ_SEED fixes the seed; a failure prints its
 * seed and path, and `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm run fuzz -- -t '<campaign name>'` replays it alone.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { initWebGPU, type GpuContext } from '../src/webgpu.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import { resolveConvGeometry, resolveConvParams, resolveConvTransposeParams } from '../src/shape.js';
import { absTensor, expectConvClose } from '../test/helpers/tolerance.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;
const settings = { seed: SEED, path: PATH, numRuns: PATH ? 1 : 1_000_000, interruptAfterTimeLimit: SECONDS * 1000, endOnFailure: true, verbose: 1 };

type Op = 'conv1d' | 'conv2d' | 'conv3d' | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d';
type Options = sc.ConvOptions & sc.ConvTransposeOptions;

interface Case {
  op: Op;
  input: sc.Tensor;
  input2: sc.Tensor;
  weight: sc.Tensor;
  bias: sc.Tensor | null;
  options: Options;
  placement: 'plain' | 'offset' | 'shared' | 'resident';
}

/** Deterministic values from a seed (the case's own, so a counterexample prints small). */
function values(n: number, seed: number, special: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  for (let k = 0; k < special && n > 0; k++) a[(seed * (k + 7)) % n] = [Infinity, -Infinity, NaN, 0][k % 4]!;
  return a;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    rank: fc.integer({ min: 1, max: 3 }),
    transposed: fc.boolean(),
    batch: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
    cinG: fc.integer({ min: 1, max: 5 }),
    coutG: fc.integer({ min: 1, max: 6 }),
    groups: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 })),
    depthwise: fc.boolean(),
    size: fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 3, maxLength: 3 }),
    size2: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    stride: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 }), fc.constant(1000)), { minLength: 3, maxLength: 3 }),
    dilation: fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })), { minLength: 3, maxLength: 3 }),
    padding: fc.oneof(
      fc.constant(0),
      fc.constant('same' as const),
      fc.constant('valid' as const),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.constantFrom('same-upper' as const, 'same-lower' as const),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 3, maxLength: 3 }),
    ),
    paddingMode: fc.constantFrom('zeros', 'zeros', 'reflect', 'replicate', 'circular'),
    layout: fc.constantFrom('channels-first', 'channels-last'),
    activation: fc.constantFrom('none', 'relu', 'relu6', { min: -0.25, max: 0.3 }),
    bias: fc.boolean(),
    outputPadding: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
    special: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 })),
    weightSpecial: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 2 })),
    placement: fc.constantFrom('plain', 'offset', 'shared', 'resident'),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    // Now and then 32-40 input channels in one group: the paths that take wide reductions only (the tap split of
    // dilated convolutions whose taps read mostly padding, src/backends/wasm/taps-conv-plan.ts).
    wide: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 32, max: 40 })),
  })
  .map((r): Case => {
    const rank = r.rank;
    const op = `${r.transposed ? 'convTranspose' : 'conv'}${rank}d` as Op;
    const groups = r.depthwise ? r.cinG * r.groups : r.groups;
    const cinG = r.depthwise ? 1 : r.wide && groups === 1 ? r.wide : r.cinG;
    const cin = cinG * groups;
    const cout = (r.depthwise ? 1 : r.coutG) * groups;
    const kernel = r.kernel.slice(0, rank);
    // A stride of 1000 (far above the input) tests the bounds of #30.1; transposed, only on an axis of size 1.
    const stride = r.stride.slice(0, rank).map((s, i) => (r.transposed && s === 1000 && (r.size[i]! > 1 || r.size2[i]! > 1) ? 3 : s));
    const dilation = r.dilation.slice(0, rank);
    // Inputs at least the kernel's dilated reach, so that most cases are valid.
    const reach = kernel.map((k, i) => (k - 1) * dilation[i]! + 1);
    const sizes = [r.size, r.size2].map((s) => s.slice(0, rank).map((v, i) => Math.max(v, reach[i]!)));
    const options: Record<string, unknown> = { stride, dilation, groups, layout: r.layout, activation: r.activation };
    if (r.transposed) {
      options.padding = Array.isArray(r.padding) ? r.padding.slice(0, rank) : r.padding === 'same-upper' || r.padding === 'same-lower' ? r.padding : 0;
      options.outputPadding = r.outputPadding.slice(0, rank).map((v, i) => v % Math.max(stride[i]!, dilation[i]!));
    } else {
      options.padding = Array.isArray(r.padding) ? r.padding.slice(0, rank) : r.padding;
      if (options.padding === 'same') options.stride = 1;
      if (r.paddingMode !== 'zeros') options.paddingMode = r.paddingMode as sc.PaddingMode;
    }
    const shapeOf = (spatial: number[]) => {
      const image = r.layout === 'channels-first' ? [cin, ...spatial] : [...spatial, cin];
      return r.batch === 0 ? image : [r.batch, ...image];
    };
    const tensor = (shape: number[], seed: number, special: number) => ({
      data: values(
        shape.reduce((a, b) => a * b, 1),
        seed,
        special,
      ),
      shape,
    });
    const wShape = r.transposed ? [cin, cout / groups, ...kernel] : [cout, cinG, ...kernel];
    return {
      op,
      input: tensor(shapeOf(sizes[0]!), r.seed, r.special),
      input2: tensor(shapeOf(sizes[1]!), r.seed + 1, 0),
      weight: tensor(wShape, r.seed + 2, r.weightSpecial),
      bias: r.bias ? tensor([cout], r.seed + 3, 0) : null,
      options: options as Options,
      placement: r.placement as Case['placement'],
    };
  });

function reference(c: Case, input: sc.Tensor, abs = false) {
  const t = (x: sc.Tensor | null) => (abs && x ? absTensor(x) : x);
  return c.op.startsWith('convTranspose')
    ? referenceConvTranspose(c.op as 'convTranspose2d', t(input)!, t(c.weight)!, t(c.bias), c.options)
    : referenceConv(c.op as 'conv2d', t(input)!, t(c.weight)!, t(c.bias), c.options);
}

function reductionSize(c: Case): number {
  const p = c.op.startsWith('convTranspose')
    ? resolveConvTransposeParams(c.op as 'convTranspose2d', c.weight, c.bias, c.options)
    : resolveConvParams(c.op as 'conv2d', c.weight, c.bias, c.options);
  return (p.inChannels / p.groups) * p.kernel.reduce((a, b) => a * b, 1);
}

/** `input` placed as the case says, on `ctx`'s memory for resident; returns the tensor and its cleanup. */
function place(c: Case, input: sc.Tensor, ctx: sc.Context | null): { tensor: sc.Tensor; done(): void } {
  const n = input.data.length;
  switch (c.placement) {
    case 'offset': {
      const data = new Float32Array(n + 3).subarray(1, n + 1);
      data.set(input.data);
      return { tensor: { data, shape: input.shape }, done() {} };
    }
    case 'shared': {
      const data = new Float32Array(new SharedArrayBuffer((n + 1) * 4), 4, n);
      data.set(input.data);
      return { tensor: { data, shape: input.shape }, done() {} };
    }
    case 'resident':
      if (ctx) {
        const t = ctx.tensor(input.shape, input.data);
        return { tensor: t, done: () => t.dispose() };
      }
    // falls through (WebGPU: plain)
    default:
      return { tensor: input, done() {} };
  }
}

/**
 * Whether the case is one PyTorch accepts (the reference's checks are ours: a SimdconvError there means no), and
 * small enough for the float64 reference to check quickly (at most 2M multiply-adds).
 */
function valid(c: Case, input: sc.Tensor): boolean {
  try {
    const p = c.op.startsWith('convTranspose')
      ? resolveConvTransposeParams(c.op as 'convTranspose2d', c.weight, c.bias, c.options)
      : resolveConvParams(c.op as 'conv2d', c.weight, c.bias, c.options);
    const g = resolveConvGeometry(p, input.shape);
    return g.macs + g.outputShape.reduce((a, b) => a * b, 1) <= 2e6;
  } catch (e) {
    if (e instanceof sc.SimdconvError) return false;
    throw e;
  }
}

interface Backend {
  readonly name: string;
  make(): Promise<sc.Context | GpuContext | null>;
}

const BACKENDS: Backend[] = [
  { name: 'wasm simd128', make: () => sc.createContext({ build: 'simd128' }) },
  { name: 'wasm relaxed', make: () => sc.createContext({ build: 'relaxed' }) },
  { name: 'wasm, 2 threads', make: () => sc.createContext({ threads: 2 }) },
  { name: 'js', make: () => sc.createContext({ backend: 'js' }) },
  {
    name: 'webgpu',
    make: () =>
      initWebGPU({ fallback: 'none' }).catch((e: unknown) => (e instanceof sc.SimdconvError && e.code === 'BACKEND_UNAVAILABLE' ? null : Promise.reject(e))),
  },
];

const CREATE: Record<Op, string> = {
  conv1d: 'createConv1d',
  conv2d: 'createConv2d',
  conv3d: 'createConv3d',
  convTranspose1d: 'createConvTranspose1d',
  convTranspose2d: 'createConvTranspose2d',
  convTranspose3d: 'createConvTranspose3d',
};

interface AnyPlan {
  run(input: sc.Tensor, out?: sc.Tensor): sc.Tensor | Promise<sc.Tensor>;
  dispose(): void;
}

/** Plans made by the bad-input campaign's calls, disposed after each case. */
const made: AnyPlan[] = [];

function makePlan(ctx: sc.Context | GpuContext, c: Case, weight = c.weight, bias = c.bias, options: Options = c.options): AnyPlan {
  const name = CREATE[c.op];
  const plan =
    'tensor' in ctx
      ? (sc as unknown as Record<string, (...a: unknown[]) => AnyPlan>)[name]!(weight, bias, options, ctx)
      : (ctx as unknown as Record<string, (...a: unknown[]) => AnyPlan>)[name]!(weight, bias, options);
  made.push(plan);
  return plan;
}

const counts: Record<string, { cases: number; skipped: number; rejected: number }> = {};
afterAll(() => {
  console.log(`fuzz seed ${SEED}${PATH ? ` path ${PATH}` : ''}, ${SECONDS} s per campaign and backend`);
  for (const [k, v] of Object.entries(counts))
    console.log(`  ${k}: ${v.cases} cases (${v.skipped} invalid draws skipped, ${v.rejected} rejected with a SimdconvError)`);
});

describe.each(BACKENDS)('fuzz on $name', ({ name, make }) => {
  let ctx: sc.Context | GpuContext | null = null;
  beforeAll(async () => {
    ctx = await make();
  });
  afterAll(() => {
    if (ctx && 'destroy' in ctx) ctx.destroy();
    else (ctx as sc.Context | null)?.dispose();
  });

  it('differential: every op and option against the float64 reference, plans reused across shapes', async (t) => {
    if (!ctx) return t.skip('no such backend here');
    const count = (counts[`${name} differential`] = { cases: 0, skipped: 0, rejected: 0 });
    const wasm = 'tensor' in ctx ? ctx : null;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        if (!valid(c, c.input)) {
          count.skipped++;
          return;
        }
        // WGSL lets a GPU assume no Inf or NaN: with fallback 'none' such weights run there unchecked (README: Numerics).
        if (name === 'webgpu' && c.weight.data.some((v) => !Number.isFinite(v))) {
          count.skipped++;
          return;
        }
        count.cases++;
        const plan = makePlan(ctx!, c);
        made.length = 0;
        try {
          for (const input of valid(c, c.input2) ? [c.input, c.input2, c.input] : [c.input]) {
            const placed = place(c, input, wasm);
            try {
              const y = await plan.run(placed.tensor);
              expectConvClose(y, reference(c, input), reference(c, input, true).data, reductionSize(c));
            } finally {
              placed.done();
            }
          }
        } finally {
          plan.dispose();
        }
      }),
      settings,
    );
  });

  it('bad input: a SimdconvError or the right answer, never anything else, and the context still right after', async (t) => {
    if (!ctx) return t.skip('no such backend here');
    const count = (counts[`${name} bad input`] = { cases: 0, skipped: 0, rejected: 0 });
    const wasm = 'tensor' in ctx ? ctx : null;
    const canary: Case = {
      op: 'conv2d',
      input: { data: values(2 * 7 * 6, 5, 0), shape: [1, 2, 7, 6] },
      input2: { data: values(2 * 7 * 6, 5, 0), shape: [1, 2, 7, 6] },
      weight: { data: values(3 * 2 * 9, 6, 0), shape: [3, 2, 3, 3] },
      bias: null,
      options: { padding: 1 },
      placement: 'plain',
    };
    const canaryPlan = makePlan(ctx, canary);
    made.length = 0;
    const breakers: Array<[string, (c: Case) => { call: () => unknown }]> = [
      [
        'input shape with a hole',
        (c) => {
          const shape = [...c.input.shape];
          delete shape[shape.length - 1];
          return { call: () => makePlan(ctx!, c).run({ data: c.input.data, shape }) };
        },
      ],
      ['input data of the wrong length', (c) => ({ call: () => makePlan(ctx!, c).run({ data: c.input.data.subarray(1), shape: c.input.shape }) })],
      ['input data a Proxy', (c) => ({ call: () => makePlan(ctx!, c).run({ data: new Proxy(c.input.data, {}), shape: c.input.shape }) })],
      ['input data a Float64Array', (c) => ({ call: () => makePlan(ctx!, c).run({ data: Float64Array.from(c.input.data) as never, shape: c.input.shape }) })],
      [
        'input data detached',
        (c) => {
          const data = c.input.data.slice();
          structuredClone(data.buffer, { transfer: [data.buffer] });
          return { call: () => makePlan(ctx!, c).run({ data, shape: c.input.shape }) };
        },
      ],
      ['weight shape negative', (c) => ({ call: () => makePlan(ctx!, c, { data: c.weight.data, shape: [-1, ...c.weight.shape.slice(1)] }) })],
      ['stride 0', (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, stride: 0 }) })],
      ['stride NaN', (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, stride: NaN }) })],
      ['padding sparse', (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, padding: new Array(c.weight.shape.length - 2) }) })],
      ['groups 1.5', (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, groups: 1.5 }) })],
      ['a misspelt option', (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, strides: 2 } as Options) })],
      [
        'activation with an extra key',
        (c) => ({ call: () => makePlan(ctx!, c, c.weight, c.bias, { ...c.options, activation: { min: 0, slope: 1 } as never }) }),
      ],
      ['bias of the wrong length', (c) => ({ call: () => makePlan(ctx!, c, c.weight, { data: new Float32Array(1000), shape: [1000] }) })],
      ['out of the wrong shape', (c) => ({ call: () => makePlan(ctx!, c).run(c.input, { data: new Float32Array(1), shape: [1] }) })],
      ['out overlapping the input', (c) => ({ call: () => makePlan(ctx!, c).run(c.input, c.input) })],
      [
        'out a view of wasm memory',
        (c) => ({
          call: () => {
            if (wasm?.backend !== 'wasm') return undefined;
            const probe = wasm.tensor([1]);
            const buffer = probe.data.buffer;
            probe.dispose();
            const y = makePlan(ctx!, c);
            const shape = (reference(c, c.input).shape as number[]).slice();
            const n = shape.reduce((a, b) => a * b, 1);
            if (n * 4 > buffer.byteLength) return undefined;
            return y.run(c.input, { data: new Float32Array(buffer, 0, n), shape });
          },
        }),
      ],
      [
        'a disposed resident input',
        (c) => ({
          call: () => {
            if (!wasm) return undefined;
            const t = wasm.tensor(c.input.shape, c.input.data);
            t.dispose();
            return makePlan(ctx!, c).run(t);
          },
        }),
      ],
      ['the plan run after dispose', (c) => ({ call: () => ((p) => (p.dispose(), p.run(c.input)))(makePlan(ctx!, c)) })],
    ];
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 0, max: breakers.length - 1 }), async (c, b) => {
        if (!valid(c, c.input)) {
          count.skipped++;
          return;
        }
        count.cases++;
        const [what, breaker] = breakers[b]!;
        try {
          await breaker(c).call();
        } catch (e) {
          expect(e, what).toBeInstanceOf(sc.SimdconvError);
          count.rejected++;
        } finally {
          for (const p of made.splice(0)) p.dispose();
        }
        const y = await canaryPlan.run(canary.input);
        expectConvClose(y, reference(canary, canary.input), reference(canary, canary.input, true).data, 18);
      }),
      settings,
    );
    canaryPlan.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Companion ops: pooling (max, average, adaptive) and interpolation, every rank, layout and placement, against
// the js backend's float64 loops (pool-reference.ts, interpolate-plan.ts), plans reused across shapes; and bad
// input, each call a SimdconvError or the right answer, a canary right after.

type CompanionKind = 'maxPool' | 'avgPool' | 'adaptiveAvgPool' | 'adaptiveMaxPool' | 'interpolate';

interface CompanionCase {
  kind: CompanionKind;
  rank: 1 | 2 | 3;
  /** The create function's arguments after the context-free ones: (options) or (outputSize, options). */
  args: unknown[];
  input: sc.Tensor;
  input2: sc.Tensor;
  placement: Case['placement'];
  /** The most input values one output reads (the sum's length, for averages and interpolation). */
  taps: number;
}

const MODES_BY_RANK: Record<number, sc.InterpolateMode[]> = {
  1: ['nearest', 'nearest-exact', 'linear', 'area'],
  2: ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'],
  3: ['nearest', 'nearest-exact', 'trilinear', 'area'],
};

const companionArb: fc.Arbitrary<CompanionCase> = fc
  .record({
    kind: fc.constantFrom<CompanionKind>('maxPool', 'avgPool', 'adaptiveAvgPool', 'adaptiveMaxPool', 'interpolate'),
    rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 9 }),
    size: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 3, maxLength: 3 }),
    size2: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    stride: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    padding: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
    dilation: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
    out: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    scale: fc.array(fc.double({ min: 0.4, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
    flags: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    mode: fc.integer({ min: 0, max: 4 }),
    layout: fc.constantFrom<sc.Layout>('channels-first', 'channels-last'),
    special: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 })),
    placement: fc.constantFrom('plain', 'offset', 'shared', 'resident'),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map((r): CompanionCase => {
    const rank = r.rank;
    const kernel = r.kernel.slice(0, rank);
    const padding = r.padding.slice(0, rank).map((p, i) => Math.min(p, Math.floor(kernel[i]! / 2)));
    const dilation = r.kind === 'maxPool' ? r.dilation.slice(0, rank) : kernel.map(() => 1);
    const reach = kernel.map((k, i) => Math.max(1, dilation[i]! * (k - 1) + 1 - 2 * padding[i]!));
    const sizes = [r.size, r.size2].map((s) =>
      s.slice(0, rank).map((v, i) => (r.kind.endsWith('Pool') && !r.kind.startsWith('adaptive') ? Math.max(v, reach[i]!) : v)),
    );
    const layout = r.layout;
    const shapeOf = (spatial: number[]) => (layout === 'channels-first' ? [r.batch, r.channels, ...spatial] : [r.batch, ...spatial, r.channels]);
    const tensor = (spatial: number[], seed: number, special: number) => {
      const shape = shapeOf(spatial);
      return {
        data: values(
          shape.reduce((a, b) => a * b, 1),
          seed,
          special,
        ),
        shape,
      };
    };
    let args: unknown[];
    let taps: number;
    if (r.kind === 'maxPool' || r.kind === 'avgPool') {
      const options: Record<string, unknown> = { kernelSize: kernel, stride: r.stride.slice(0, rank), padding, ceilMode: r.flags[0], layout };
      if (r.kind === 'maxPool') options.dilation = dilation;
      else {
        options.countIncludePad = r.flags[1];
        if (rank > 1 && r.flags[2]) options.divisorOverride = r.seed % 2 ? 3 : -2;
      }
      args = [options];
      taps = kernel.reduce((a, b) => a * b, 1);
    } else if (r.kind === 'interpolate') {
      const modes = MODES_BY_RANK[rank]!;
      const mode = modes[r.mode % modes.length]!;
      const interp = mode !== 'nearest' && mode !== 'nearest-exact' && mode !== 'area';
      const target = r.flags[0] ? { size: r.out.slice(0, rank) } : { scaleFactor: r.scale.slice(0, rank) };
      args = [{ mode, ...target, ...(interp && { alignCorners: r.flags[1] }), layout }];
      taps = mode === 'area' ? sizes[0]!.reduce((a, b) => a * (b + 1), 1) : 4 ** rank;
    } else {
      const out = r.out.slice(0, rank).map((v, i) => (r.flags[i] ? null : v));
      args = [out, { layout }];
      taps = Math.max(...sizes.map((s) => s.reduce((a, b, i) => a * (Math.ceil(b / (out[i] ?? b)) + 1), 1)));
    }
    return {
      kind: r.kind,
      rank,
      args,
      input: tensor(sizes[0]!, r.seed, r.special),
      input2: tensor(sizes[1]!, r.seed + 1, 0),
      placement: r.placement as Case['placement'],
      taps,
    };
  });

const companionCreate = (c: CompanionCase) =>
  c.kind === 'interpolate' ? 'createInterpolate' : `create${c.kind[0]!.toUpperCase()}${c.kind.slice(1)}${c.rank}d`;

function companionPlan(ctx: sc.Context | GpuContext, c: CompanionCase, args: unknown[] = c.args): AnyPlan {
  const name = companionCreate(c);
  const plan =
    'tensor' in ctx
      ? (sc as unknown as Record<string, (...a: unknown[]) => AnyPlan>)[name]!(...args, ctx)
      : (ctx as unknown as Record<string, (...a: unknown[]) => AnyPlan>)[name]!(...args);
  made.push(plan);
  return plan;
}

let jsContext: sc.Context | null = null;
/** The reference context of the campaign running: the js backend, or for the js backend's own campaign the wasm one. */
let referenceContext: sc.Context | null = null;

/** The reference's result, or null where the case is one PyTorch refuses (a SimdconvError there). */
function companionReference(c: CompanionCase, input: sc.Tensor): sc.Tensor | null {
  try {
    const plan = companionPlan(referenceContext!, c);
    made.pop();
    try {
      return plan.run(input) as sc.Tensor;
    } finally {
      plan.dispose();
    }
  } catch (e) {
    if (e instanceof sc.SimdconvError) return null;
    throw e;
  }
}

/** Max: the same bits (NaN as NaN); sums: within twice the float32 bound of `taps` terms (weights <= 1.9 in sum). */
function expectCompanionClose(c: CompanionCase, y: sc.Tensor, want: sc.Tensor): void {
  expect([...y.shape]).toEqual([...want.shape]);
  const exact = c.kind === 'maxPool' || c.kind === 'adaptiveMaxPool';
  const maxAbs = Math.max(
    0,
    ...Array.from(c.input.data.length > c.input2.data.length ? c.input.data : c.input2.data)
      .filter(Number.isFinite)
      .map(Math.abs),
  );
  const k = c.taps + 8;
  const bound = 2 * ((k * 2 ** -24) / (1 - k * 2 ** -24)) * 1.9 * Math.max(maxAbs, 1) + 2 ** -126;
  for (let i = 0; i < want.data.length; i++) {
    const a = y.data[i]!;
    const e = want.data[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : exact || !Number.isFinite(e) ? Object.is(a, e) || a === e : Math.abs(a - e) <= bound;
    if (!ok) throw new Error(`${companionCreate(c)} ${JSON.stringify(c.args)} [${y.shape}] at ${i}: ${a} vs ${e}`);
  }
}

describe.each(BACKENDS)('fuzz companion ops on $name', ({ name, make }) => {
  let ctx: sc.Context | GpuContext | null = null;
  let wasmReference: sc.Context | null = null;
  beforeAll(async () => {
    ctx = await make();
    jsContext ??= await sc.createContext({ backend: 'js' });
    // Two implementations against each other: the js backend is checked against the wasm kernels.
    if (name === 'js') wasmReference = await sc.createContext({ build: 'simd128' });
    referenceContext = wasmReference ?? jsContext;
  });
  afterAll(() => {
    if (ctx && 'destroy' in ctx) ctx.destroy();
    else (ctx as sc.Context | null)?.dispose();
    wasmReference?.dispose();
  });

  it('differential: pooling and interpolation against the js backend (js: against wasm), plans reused across shapes', async (t) => {
    if (!ctx) return t.skip('no such backend here');
    const count = (counts[`${name} companion differential`] = { cases: 0, skipped: 0, rejected: 0 });
    const wasm = 'tensor' in ctx ? ctx : null;
    await fc.assert(
      fc.asyncProperty(companionArb, async (c) => {
        const want = companionReference(c, c.input);
        if (!want) {
          count.skipped++;
          return;
        }
        count.cases++;
        const plan = companionPlan(ctx!, c);
        made.length = 0;
        try {
          const want2 = companionReference(c, c.input2);
          for (const [input, expected] of want2
            ? [
                [c.input, want],
                [c.input2, want2],
                [c.input, want],
              ]
            : [[c.input, want]]) {
            const placed = place({ placement: c.placement } as Case, input!, wasm);
            try {
              expectCompanionClose(c, await plan.run(placed.tensor), expected!);
            } finally {
              placed.done();
            }
          }
        } finally {
          plan.dispose();
        }
      }),
      settings,
    );
  });

  it('bad input: a SimdconvError or the right answer, and the context still right after', async (t) => {
    if (!ctx) return t.skip('no such backend here');
    const count = (counts[`${name} companion bad input`] = { cases: 0, skipped: 0, rejected: 0 });
    const canary: CompanionCase = {
      kind: 'maxPool',
      rank: 2,
      args: [{ kernelSize: 2 }],
      input: { data: values(2 * 6 * 6, 9, 0), shape: [1, 2, 6, 6] },
      input2: { data: values(2 * 6 * 6, 9, 0), shape: [1, 2, 6, 6] },
      placement: 'plain',
      taps: 4,
    };
    const canaryPlan = companionPlan(ctx, canary);
    const canaryWant = companionReference(canary, canary.input)!;
    made.length = 0;
    const withOption = (c: CompanionCase, key: string, value: unknown): unknown[] => {
      const last = c.args.length - 1;
      return [...c.args.slice(0, last), { ...(c.args[last] as object), [key]: value }];
    };
    const breakers: Array<[string, (c: CompanionCase) => unknown]> = [
      [
        'input shape with a hole',
        (c) => {
          const shape = [...c.input.shape];
          delete shape[1];
          return companionPlan(ctx!, c).run({ data: c.input.data, shape });
        },
      ],
      ['input data of the wrong length', (c) => companionPlan(ctx!, c).run({ data: c.input.data.subarray(1), shape: c.input.shape })],
      ['input data a Proxy', (c) => companionPlan(ctx!, c).run({ data: new Proxy(c.input.data, {}), shape: c.input.shape })],
      ['input of the wrong rank', (c) => companionPlan(ctx!, c).run({ data: c.input.data, shape: [c.input.data.length] })],
      ['a misspelt option', (c) => companionPlan(ctx!, c, withOption(c, 'strides', 2))],
      ['layout misspelt', (c) => companionPlan(ctx!, c, withOption(c, 'layout', 'nhwc'))],
      [
        'kernelSize NaN / size NaN',
        (c) => companionPlan(ctx!, c, c.kind === 'interpolate' ? [{ size: NaN }] : c.kind.startsWith('adaptive') ? [NaN] : withOption(c, 'kernelSize', NaN)),
      ],
      [
        'padding 5',
        (c) => companionPlan(ctx!, c, c.kind.endsWith('Pool') && !c.kind.startsWith('adaptive') ? withOption(c, 'padding', 5) : withOption(c, 'padding', 1)),
      ],
      ['out of the wrong shape', (c) => companionPlan(ctx!, c).run(c.input, { data: new Float32Array(1), shape: [1] })],
      ['out overlapping the input', (c) => companionPlan(ctx!, c).run(c.input, c.input)],
      ['the plan run after dispose', (c) => ((p) => (p.dispose(), p.run(c.input)))(companionPlan(ctx!, c))],
    ];
    await fc.assert(
      fc.asyncProperty(companionArb, fc.integer({ min: 0, max: breakers.length - 1 }), async (c, b) => {
        if (!companionReference(c, c.input)) {
          count.skipped++;
          return;
        }
        count.cases++;
        const [what, breaker] = breakers[b]!;
        try {
          await breaker(c);
        } catch (e) {
          expect(e, what).toBeInstanceOf(sc.SimdconvError);
          count.rejected++;
        } finally {
          for (const p of made.splice(0)) p.dispose();
        }
        expectCompanionClose(canary, await canaryPlan.run(canary.input), canaryWant);
      }),
      settings,
    );
    canaryPlan.dispose();
  });
});
