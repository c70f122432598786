/**
 * The WebGPU backend on a real adapter (in CI: Dawn from the `webgpu` npm package on Mesa lavapipe, installed
 * by scripts/setup-webgpu.sh): PyTorch golden fixtures, a property matrix against the float64 reference
 * within the float32 bound of test/helpers/tolerance.ts, kernel-path edge cases, plans and resident tensors,
 * and the fallback to wasm (no adapter, lost device, fallback: 'none').
 *
 * Without an adapter: with SIMDCONV_REQUIRE_WEBGPU=1 the suite fails; otherwise one test is reported as
 * skipped with the reason (the fallback tests, which need no adapter, still run).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createContext } from '../src/index.js';
import { SimdconvError } from '../src/errors.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import { type AnyConvOp, type ConvOp, type ConvTransposeOp, resolveConvParams, resolveConvTransposeParams, shapeSize } from '../src/shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../src/types.js';
import { type GpuContext, type GpuConvPlan, type GpuTensor, initWebGPU } from '../src/webgpu.js';
import { loadGolden } from './helpers/golden.js';
import { type Expected, absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

// Dawn warns when XDG_RUNTIME_DIR is unset; give it a private folder.
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = join(tmpdir(), `simdconv-xdg-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

const REQUIRE = process.env.SIMDCONV_REQUIRE_WEBGPU === '1';

/** One context for the suite, made with fallback 'none' so that "no adapter" is an explicit outcome. */
async function probe(): Promise<{ gpu: GpuContext; reason: null } | { gpu: null; reason: string }> {
  try {
    return { gpu: await initWebGPU({ fallback: 'none' }), reason: null };
  } catch (e) {
    if (e instanceof SimdconvError && e.code === 'BACKEND_UNAVAILABLE') return { gpu: null, reason: e.received };
    throw e;
  }
}
const { gpu, reason } = await probe();

afterAll(() => gpu?.destroy());

type AnyOptions = ConvOptions & ConvTransposeOptions;

function isTransposed(op: AnyConvOp): op is ConvTransposeOp {
  return op.startsWith('convTranspose');
}

function runOp(ctx: GpuContext, op: AnyConvOp, input: Tensor | GpuTensor, weight: Tensor, bias: Tensor | null, options: AnyOptions): Promise<Tensor> {
  return (ctx[op] as (i: Tensor | GpuTensor, w: Tensor, b: Tensor | null, o: AnyOptions) => Promise<Tensor>)(input, weight, bias, options);
}

function reference(op: AnyConvOp, input: Tensor, weight: Tensor, bias: Tensor | null, options: AnyOptions) {
  return isTransposed(op) ? referenceConvTranspose(op, input, weight, bias, options) : referenceConv(op as ConvOp, input, weight, bias, options);
}

/** Most products summed into one output: (Cin / groups) * prod(kernel), for conv and transposed alike. */
function reductionSize(op: AnyConvOp, weight: Tensor, options: AnyOptions): number {
  const p = isTransposed(op) ? resolveConvTransposeParams(op, weight, null, options) : resolveConvParams(op as ConvOp, weight, null, options);
  return (p.inChannels / p.groups) * shapeSize(p.kernel);
}

/** Checks `actual` against `expected` (the reference's, or torch's) within the float32 bound. */
function expectClose(
  actual: Tensor,
  op: AnyConvOp,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: AnyOptions,
  expected: Expected = reference(op, input, weight, bias, options),
): void {
  const bound = reference(op, absTensor(input), absTensor(weight), bias && absTensor(bias), options).data;
  expectConvClose(actual, expected, bound, reductionSize(op, weight, options));
}

const rand = (shape: number[], seed: number): Tensor => randomTensor(shape, rng(seed));

describe('WebGPU adapter', () => {
  it('is available, or the suite says why its WebGPU tests are skipped', (t) => {
    if (gpu) {
      console.log(`WebGPU adapter: ${gpu.adapterInfo?.name} (${gpu.adapterInfo?.vendor}, fallback adapter: ${gpu.adapterInfo?.isFallbackAdapter})`);
      expect(gpu.backend).toBe('webgpu');
      return;
    }
    const message = `no WebGPU adapter: ${reason}`;
    if (REQUIRE) expect.fail(`SIMDCONV_REQUIRE_WEBGPU=1 but ${message}. Run scripts/setup-webgpu.sh (as root).`);
    console.warn(`WebGPU tests SKIPPED (${message}); set SIMDCONV_REQUIRE_WEBGPU=1 to make this a failure.`);
    t.skip(`WebGPU tests skipped: ${message}`);
  });
});

describe.runIf(gpu)('WebGPU: PyTorch golden fixtures', () => {
  // Cases with a non-finite weight run on a context with the host fallback (the default): such plans run on the
  // host there (WGSL lets the GPU assume no Inf or NaN); the suite's context has fallback 'none'.
  let withFallback: GpuContext | null = null;
  afterAll(() => withFallback?.destroy());
  it.for(loadGolden())('$name', async (c) => {
    const nonFinite = c.weight.data.some((v) => !Number.isFinite(v));
    const ctx = nonFinite ? (withFallback ??= await initWebGPU()) : gpu!;
    const actual = await runOp(ctx, c.op, c.input, c.weight, c.bias, c.options as AnyOptions);
    expectClose(actual, c.op, c.input, c.weight, c.bias, c.options as AnyOptions, c.output);
  });
});

describe.runIf(gpu)('WebGPU: property matrix against the float64 reference', () => {
  const layout = fc.constantFrom('channels-first' as const, 'channels-last' as const);
  const activation = fc.constantFrom<ConvOptions['activation']>('none', 'relu', 'relu6', { min: -0.25, max: 0.5 });

  it('convolutions: rank, stride, dilation, padding (incl. same), groups, modes, layouts, activation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rank: fc.integer({ min: 1, max: 3 }),
          batch: fc.constantFrom(0, 1, 2), // 0: unbatched
          groups: fc.integer({ min: 1, max: 3 }),
          cin: fc.constantFrom(1, 2, 3, 4, 8),
          cout: fc.constantFrom(1, 3, 4, 17),
          k: fc.integer({ min: 1, max: 4 }),
          stride: fc.integer({ min: 1, max: 3 }),
          dilation: fc.integer({ min: 1, max: 2 }),
          padding: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant('same' as const)),
          paddingMode: fc.constantFrom('zeros' as const, 'zeros' as const, 'reflect' as const, 'replicate' as const, 'circular' as const),
          layout,
          activation,
          bias: fc.boolean(),
          seed: fc.nat(),
        }),
        async (c) => {
          const size = c.rank === 3 ? 4 : c.rank === 2 ? 7 : 13;
          const spatial = Array.from({ length: c.rank }, (_, i) => size + i);
          const cin = c.cin * c.groups;
          const cout = c.cout * c.groups;
          const stride = c.padding === 'same' ? 1 : c.stride;
          const kernel = Array.from({ length: c.rank }, (_, i) => Math.max(1, c.k - i));
          const op = (['conv1d', 'conv2d', 'conv3d'] as const)[c.rank - 1]!;
          const shape = c.layout === 'channels-last' ? [...spatial, cin] : [cin, ...spatial];
          const input = rand(c.batch ? [c.batch, ...shape] : shape, c.seed);
          const weight = rand([cout, c.cin, ...kernel], c.seed + 1);
          const bias = c.bias ? rand([cout], c.seed + 2) : null;
          const options = {
            stride,
            dilation: c.dilation,
            padding: c.padding,
            groups: c.groups,
            paddingMode: c.paddingMode,
            layout: c.layout,
            activation: c.activation,
          } as AnyOptions;
          let expected;
          try {
            expected = reference(op, input, weight, bias, options);
          } catch (e) {
            // Combinations torch rejects (kernel larger than the padded input, reflect pad >= size): same error.
            await expect(runOp(gpu!, op, input, weight, bias, options)).rejects.toMatchObject({ code: (e as SimdconvError).code });
            return;
          }
          expectClose(await runOp(gpu!, op, input, weight, bias, options), op, input, weight, bias, options, expected);
        },
      ),
      { numRuns: 50, seed: 5 },
    );
  });

  it('transposed convolutions: stride phases, output padding / size, dilation, groups, layouts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rank: fc.integer({ min: 1, max: 3 }),
          batch: fc.constantFrom(0, 1, 2),
          groups: fc.integer({ min: 1, max: 2 }),
          cin: fc.constantFrom(1, 3, 4, 8),
          cout: fc.constantFrom(1, 2, 5, 17),
          k: fc.integer({ min: 1, max: 4 }),
          stride: fc.integer({ min: 1, max: 3 }),
          dilation: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 2 }),
          outputPadding: fc.integer({ min: 0, max: 2 }),
          layout,
          activation,
          bias: fc.boolean(),
          seed: fc.nat(),
        }),
        async (c) => {
          const size = c.rank === 3 ? 3 : c.rank === 2 ? 5 : 9;
          const spatial = Array.from({ length: c.rank }, (_, i) => size + i);
          const cin = c.cin * c.groups;
          const kernel = Array.from({ length: c.rank }, (_, i) => Math.max(1, c.k - i));
          const op = (['convTranspose1d', 'convTranspose2d', 'convTranspose3d'] as const)[c.rank - 1]!;
          const shape = c.layout === 'channels-last' ? [...spatial, cin] : [cin, ...spatial];
          const input = rand(c.batch ? [c.batch, ...shape] : shape, c.seed);
          const weight = rand([cin, c.cout, ...kernel], c.seed + 1);
          const bias = c.bias ? rand([c.cout * c.groups], c.seed + 2) : null;
          const outputPadding = Math.min(c.outputPadding, Math.max(c.stride, c.dilation) - 1);
          const options: AnyOptions = {
            stride: c.stride,
            dilation: c.dilation,
            padding: c.padding,
            outputPadding,
            groups: c.groups,
            layout: c.layout,
            activation: c.activation,
          };
          let expected;
          try {
            expected = reference(op, input, weight, bias, options);
          } catch (e) {
            await expect(runOp(gpu!, op, input, weight, bias, options)).rejects.toMatchObject({ code: (e as SimdconvError).code });
            return;
          }
          expectClose(await runOp(gpu!, op, input, weight, bias, options), op, input, weight, bias, options, expected);
        },
      ),
      { numRuns: 30, seed: 7 },
    );
  });
});

describe.runIf(gpu)('WebGPU: kernel paths and edge cases', () => {
  it.for([
    // [name, op, input shape, weight shape, options, expected kernel]
    ['64-channel tile, N/M/K tails', 'conv2d', [1, 37, 11, 13], [70, 37, 3, 3], { padding: 1 }, 'gemm-64x64x16-cf'],
    ['channels-last vec4 gather', 'conv2d', [2, 9, 11, 8], [33, 8, 3, 3], { padding: 1, stride: 2, layout: 'channels-last' }, 'gemm-64x64x16-cl-vec4'],
    ['channels-last scalar gather', 'conv2d', [1, 9, 11, 6], [40, 3, 3, 3], { groups: 2, layout: 'channels-last' }, 'gemm-64x32x16-cl'],
    ['depthwise channels-first, multiplier 2', 'conv2d', [2, 5, 13, 9], [10, 1, 3, 3], { groups: 5, padding: 1, stride: 2 }, 'depthwise-cf'],
    ['depthwise channels-last vec4', 'conv2d', [1, 13, 9, 12], [12, 1, 5, 5], { groups: 12, padding: 'same', layout: 'channels-last' }, 'depthwise-cl-vec4'],
    ['depthwise 3-D reflect', 'conv3d', [1, 4, 5, 6, 7], [4, 1, 3, 3, 3], { groups: 4, padding: 1, paddingMode: 'reflect' }, 'pad-cf + depthwise-cf'],
    [
      'pad pass channels-last',
      'conv2d',
      [2, 7, 5, 4],
      [6, 4, 3, 3],
      { padding: [2, 1], paddingMode: 'circular', layout: 'channels-last' },
      'pad-cl + gemm-64x16x16-cl-vec4',
    ],
    ['1x1 pointwise', 'conv2d', [1, 64, 7, 7], [48, 64, 1, 1], {}, 'gemm-64x64x16-cf'],
    [
      'transposed stride 2 k4 (resnet-style upsample)',
      'convTranspose2d',
      [1, 16, 8, 8],
      [16, 8, 4, 4],
      { stride: 2, padding: 1 },
      'gemm-64x16x16-cf (transposed: 4 stride phases)',
    ],
    [
      'transposed with empty phases (kernel < stride)',
      'convTranspose1d',
      [2, 3, 7],
      [3, 4, 2],
      { stride: 3, outputPadding: 1 },
      // The two phases with taps; the third residue's outputs (bias only) are filled first.
      'gemm-64x16x16-cf (transposed: 2 stride phases)',
    ],
  ] as const)('%s', async ([, op, xs, ws, options, kernel]) => {
    const input = rand([...xs], 11);
    const weight = rand([...ws], 12);
    const cout = isTransposed(op) ? ws[1] * ((options as AnyOptions).groups ?? 1) : ws[0];
    const bias = rand([cout], 13);
    const o = options as AnyOptions;
    const create = gpu![`create${op[0]!.toUpperCase()}${op.slice(1)}` as 'createConv2d'] as (w: Tensor, b: Tensor, o: AnyOptions) => GpuConvPlan;
    const plan = create(weight, bias, o);
    try {
      expect(plan.info.backend).toBe('webgpu');
      expect(plan.info.kernel).toBe(kernel);
      expectClose(await plan.run(input), op, input, weight, bias, o);
    } finally {
      plan.dispose();
    }
  });

  it('propagates NaN and infinities through bias and the fused activation', async () => {
    const input = rand([1, 2, 7, 7], 21);
    input.data[3] = NaN;
    input.data[20] = Infinity;
    input.data[60] = -Infinity;
    const weight = rand([4, 2, 3, 3], 22);
    const bias = rand([4], 23);
    for (const activation of ['none', 'relu', 'relu6', { min: -0.5, max: 0.5 }] as const) {
      for (const layout of ['channels-first', 'channels-last'] as const) {
        const options: AnyOptions = { padding: 1, activation, layout };
        const x = layout === 'channels-last' ? { data: input.data, shape: [1, 7, 7, 2] } : input; // same data, read as NHWC
        const y = await gpu!.conv2d(x, weight, bias, options);
        expect(y.data.some(Number.isNaN), `${JSON.stringify(activation)} ${layout}`).toBe(true);
        expectClose(y, 'conv2d', x, weight, bias, options);
      }
    }
    // Transposed and depthwise epilogues too.
    const t = rand([1, 2, 4, 4], 24);
    t.data[5] = NaN;
    const tw = rand([2, 3, 3, 3], 25);
    const ty = await gpu!.convTranspose2d(t, tw, null, { stride: 2, activation: 'relu' });
    expect(ty.data.some(Number.isNaN)).toBe(true);
    expectClose(ty, 'convTranspose2d', t, tw, null, { stride: 2, activation: 'relu' });
    const dw = rand([2, 1, 3, 3], 26);
    const dy = await gpu!.conv2d(t, dw, null, { groups: 2, activation: 'relu6' });
    expect(dy.data.some(Number.isNaN)).toBe(true);
    expectClose(dy, 'conv2d', t, dw, null, { groups: 2, activation: 'relu6' });
  });

  it('folds dispatches past the per-dimension workgroup limit into a second dimension', async () => {
    // The fold (x up to the limit, then y; the kernels linearise and drop the excess) is exercised with a
    // small limit: a real 65535-workgroup dispatch takes tens of seconds on a CPU driver.
    const rt = (gpu as unknown as { rt: { maxWorkgroupsPerDimension: number } }).rt;
    const saved = rt.maxWorkgroupsPerDimension;
    rt.maxWorkgroupsPerDimension = 5;
    try {
      const cases: Array<[AnyConvOp, number[], number[], AnyOptions]> = [
        ['conv2d', [2, 6, 17, 19], [20, 6, 3, 3], { padding: 1 }], // 11 GEMM tiles: a 5 x 3 grid
        ['conv2d', [1, 8, 9, 11], [8, 1, 3, 3], { groups: 8, padding: 1, paddingMode: 'reflect' }], // pad 18, depthwise 13 workgroups
        ['convTranspose2d', [2, 8, 13, 13], [8, 4, 4, 4], { stride: 2, padding: 1 }], // 6 tiles per phase
      ];
      for (const [op, xs, ws, options] of cases) {
        const input = rand(xs, 14);
        const weight = rand(ws, 15);
        expectClose(await runOp(gpu!, op, input, weight, null, options), op, input, weight, null, options);
      }
    } finally {
      rt.maxWorkgroupsPerDimension = saved;
    }
  });

  it('rejects invalid arguments with the same errors as the wasm API', async () => {
    const weight = rand([4, 3, 3, 3], 1);
    await expect(gpu!.conv2d(rand([1, 2, 8, 8], 2), weight)).rejects.toMatchObject({ code: 'CHANNEL_MISMATCH' });
    await expect(gpu!.conv2d(rand([1, 3, 8, 8], 2), weight, null, { stride: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(gpu!.conv2d(rand([1, 3, 2, 2], 2), weight)).rejects.toMatchObject({ code: 'KERNEL_TOO_LARGE' });
    await expect(gpu!.conv2d(rand([1, 3, 8, 8], 2), weight, null, { out: rand([1, 4, 5, 5], 3) })).rejects.toMatchObject({ code: 'OUTPUT_MISMATCH' });
    expect(() => gpu!.createConv2d(weight, null, { groups: 3 })).toThrow(expect.objectContaining({ code: 'INVALID_GROUPS' }));
  });
});

describe.runIf(gpu)('WebGPU: non-finite weights (#30.7, #30.8) and shared input memory (#30.10)', () => {
  // WGSL lets a GPU assume no Inf or NaN, so with the host fallback on such a plan runs on the host (PyTorch's rule).
  it("a plan with a non-finite weight runs on the host, with PyTorch's values", async () => {
    const ctx = await initWebGPU();
    const f = (v: number[]) => new Float32Array(v);
    const x = { data: f([1, 2, 3]), shape: [1, 1, 3] };
    const t = await ctx.convTranspose1d(x, { data: f([1, 1, Infinity]), shape: [1, 1, 3] }, null, { stride: 2 });
    expect([...t.data]).toEqual([1, 1, Infinity, 2, Infinity, 3, Infinity]);
    const c = await ctx.conv1d(x, { data: f([Infinity, 1, 1]), shape: [1, 1, 3] }, null, { padding: 1 });
    expect([...c.data]).toEqual([NaN, Infinity, Infinity]);
    const plan = ctx.createConv1d({ data: f([NaN, 1, 1]), shape: [1, 1, 3] }, null, { padding: 1 });
    expect(plan.info.backend).toBe('wasm');
    expect([...(await plan.runResident(x).read()).data]).toEqual([NaN, NaN, NaN]);
    plan.dispose();
    expect(ctx.createConv1d({ data: f([2, 1, 1]), shape: [1, 1, 3] }, null, { padding: 1 }).info.backend).toBe('webgpu');
    ctx.destroy();
  });

  it('an input on a SharedArrayBuffer (a threaded wasm context tensor, a worker message) runs on the GPU', async () => {
    const next = rng(38);
    const x = randomTensor([1, 3, 6, 5], next);
    const w = randomTensor([4, 3, 3, 3], next);
    const shared = new Float32Array(new SharedArrayBuffer(x.data.byteLength + 8), 8, x.data.length);
    shared.set(x.data);
    const y = await gpu!.conv2d({ data: shared, shape: x.shape }, w, null, { padding: 1 });
    expectClose(y, 'conv2d', x, w, null, { padding: 1 });
    const wasm = await createContext({ threads: 2 });
    const resident = wasm.tensor(x.shape, x.data);
    expect(resident.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expectClose(await gpu!.conv2d(resident, w, null, { padding: 1 }), 'conv2d', x, w, null, { padding: 1 });
    resident.dispose();
    wasm.dispose();
  });
});

describe.runIf(gpu)('WebGPU: a transposed conv at strides far above its kernel (#30.1)', () => {
  it('packs the phases with taps only and fills the rest with the bias: bounded by the output', async () => {
    const x = { data: new Float32Array([2]), shape: [1, 1, 1, 1] };
    const w = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
    const b = { data: new Float32Array([0.5]), shape: [1] };
    for (const stride of [3000, 20000]) expect([...(await gpu!.convTranspose2d(x, w, b, { stride })).data]).toEqual([2.5, 4.5, 6.5, 8.5]);
    const x2 = rand([1, 2, 3, 4], 41);
    const w2 = rand([2, 3, 2, 2], 42);
    const b2 = rand([3], 43);
    for (const options of [{ stride: [7, 5] }, { stride: [3, 40], padding: [0, 1], outputPadding: [2, 0] }]) {
      expectClose(await gpu!.convTranspose2d(x2, w2, b2, options), 'convTranspose2d', x2, w2, b2, options);
    }
  });
});

describe.runIf(gpu)('WebGPU: plans and resident tensors', () => {
  it('chains resident tensors and matches step-by-step results; writes into out', async () => {
    const x = rand([2, 8, 12, 12], 31);
    const w1 = rand([16, 8, 3, 3], 32);
    const w2 = rand([16, 1, 3, 3], 33);
    const w3 = rand([16, 4, 2, 2], 34);
    const p1 = gpu!.createConv2d(w1, null, { padding: 1, activation: 'relu' });
    const p2 = gpu!.createConv2d(w2, null, { groups: 16, padding: 1 });
    const p3 = gpu!.createConvTranspose2d(w3, null, { stride: 2, groups: 4 });
    const h1 = p1.runResident(x);
    const h2 = p2.runResident(h1);
    expect(h2.backend).toBe('webgpu');
    expect(h2.buffer).not.toBeNull();
    expect(h2.shape).toEqual([2, 16, 12, 12]);
    const out = { shape: [2, 16, 24, 24], data: new Float32Array(2 * 16 * 24 * 24) };
    const y = await p3.run(h2, out);
    expect(y).toBe(out);
    // Step by step through host memory.
    const s1 = await p1.run(x);
    const s2 = await p2.run(s1);
    expect(Array.from((await h1.read()).data)).toEqual(Array.from(s1.data));
    expect(Array.from((await h2.read()).data)).toEqual(Array.from(s2.data));
    expectClose(y, 'convTranspose2d', s2, w3, null, { stride: 2, groups: 4 });
    for (const t of [h1, h2]) t.dispose();
    for (const p of [p1, p2, p3]) p.dispose();
  });

  it('uploads and reads back tensors; reuses a plan across input shapes', async () => {
    const t = rand([3, 5, 7], 41);
    const g = gpu!.upload(t);
    expect(g.shape).toEqual([3, 5, 7]);
    expect(Array.from((await g.read()).data)).toEqual(Array.from(t.data));
    const plan = gpu!.createConv1d(rand([4, 5, 3], 42), rand([4], 43), { padding: 1 });
    for (const length of [7, 9, 7, 11, 13, 15, 17, 7]) {
      const x = rand([2, 5, length], length);
      expectClose(await plan.run(x), 'conv1d', x, plan.params.weight, { shape: [4], data: plan.params.bias! }, { padding: 1 });
    }
    expectClose(await plan.run(g), 'conv1d', t, plan.params.weight, { shape: [4], data: plan.params.bias! }, { padding: 1 });
    expect(plan.outputShape([1, 5, 10])).toEqual([1, 4, 10]);
    expect(plan.info.weightBytes).toBeGreaterThan(0);
    plan.dispose();
    plan.dispose(); // idempotent
    await expect(plan.run(t)).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(() => plan.runResident(t)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    g.dispose();
    await expect(g.read()).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('compiles one pipeline per kernel variant, shared by plans and shapes', async () => {
    const rt = (gpu as unknown as { rt: { pipelineCount: number } }).rt;
    const x = rand([1, 6, 10, 10], 51);
    await gpu!.conv2d(x, rand([20, 6, 3, 3], 52));
    const before = rt.pipelineCount;
    await gpu!.conv2d(rand([2, 6, 7, 9], 53), rand([24, 6, 5, 5], 54), null, { padding: 2, stride: 2 });
    await gpu!.conv1d(rand([1, 3, 20], 55), rand([30, 3, 3], 56));
    expect(rt.pipelineCount).toBe(before);
  });

  it('rejects a GpuTensor from another context', async () => {
    const other = await initWebGPU({ fallback: 'none' });
    try {
      const t = other.upload(rand([1, 2, 8], 61));
      await expect(gpu!.conv1d(t, rand([2, 2, 3], 62))).rejects.toMatchObject({ code: 'INVALID_TENSOR' });
    } finally {
      other.destroy();
    }
  });
});

describe('WebGPU fallback to wasm', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete (globalThis as { navigator?: unknown }).navigator;
  });

  /** Makes navigator.gpu an adapter-less WebGPU (as a browser with WebGPU but no usable GPU). */
  function withoutAdapter(): void {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
  }

  it('no adapter: runs every op on wasm after one warning naming why', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    withoutAdapter();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const ctx = await initWebGPU();
      expect(ctx.backend).toBe('wasm');
      expect(ctx.adapterInfo).toBeNull();
      expect(ctx.fallbackReason).toMatch(/requestAdapter\(\) returned null/);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/WebGPU unavailable .*requestAdapter\(\) returned null.*wasm/);
      const x = rand([1, 3, 9, 9], 71);
      const w = rand([4, 3, 3, 3], 72);
      expectClose(await ctx.conv2d(x, w, null, { padding: 1 }), 'conv2d', x, w, null, { padding: 1 });
      const tw = rand([3, 2, 3, 3], 73);
      expectClose(await ctx.convTranspose2d(x, tw, null, { stride: 2 }), 'convTranspose2d', x, tw, null, { stride: 2 });
      const plan = ctx.createConv2d(w, null, { padding: 1 });
      expect(plan.info.backend).toBe('wasm');
      const resident = plan.runResident(ctx.upload(x));
      expect(resident.backend).toBe('wasm');
      expect(resident.buffer).toBeNull();
      expectClose(await resident.read(), 'conv2d', x, w, null, { padding: 1 });
      expectClose(await plan.run(ctx.upload(x)), 'conv2d', x, w, null, { padding: 1 });
      plan.dispose();
      await ctx.synchronize();
      ctx.destroy();
      await expect(ctx.conv2d(x, w)).rejects.toMatchObject({ code: 'DISPOSED' });
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    }
  });

  it("no adapter with fallback: 'none' or requireAdapter: a typed BACKEND_UNAVAILABLE error", async () => {
    withoutAdapter();
    for (const options of [{ fallback: 'none' as const }, { requireAdapter: true }]) {
      const error = await initWebGPU(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SimdconvError);
      expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', argument: 'initWebGPU' });
      expect((error as SimdconvError).received).toMatch(/requestAdapter\(\) returned null/);
    }
    await expect(initWebGPU({ fallback: 'cpu' as 'none' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(initWebGPU({ gpu: true } as object)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it.each([{}, null])('a given object that is not a GPUDevice (%j): warning and wasm', async (device) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ctx = await initWebGPU({ device: device as GPUDevice });
    expect(ctx.backend).toBe('wasm');
    expect(String(warn.mock.calls[0]![0])).toMatch(/not a GPUDevice/);
  });

  it.runIf(gpu)('destroy() while ops are in flight: they reject with DISPOSED, not an AbortError (#30.10)', async () => {
    for (const fallback of ['none', 'wasm'] as const) {
      const ctx = await initWebGPU({ fallback });
      const x = rand([1, 16, 48, 48], 93);
      const w = rand([16, 16, 3, 3], 94);
      const pending = [ctx.conv2d(x, w, null, { padding: 1 }), ctx.createConv2d(w, null, { padding: 1 }).runResident(x).read()];
      ctx.destroy();
      for (const p of pending) await expect(p, fallback).rejects.toMatchObject({ name: 'SimdconvError', code: 'DISPOSED' });
    }
  });

  it.runIf(gpu)('device destroyed mid-life: lost, then wasm, with a warning; resident tensors report it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ctx = await initWebGPU();
    expect(ctx.backend).toBe('webgpu');
    const x = rand([2, 4, 10, 10], 81);
    const w = rand([6, 4, 3, 3], 82);
    const plan = ctx.createConv2d(w, null, { padding: 1 });
    expect(plan.info.backend).toBe('webgpu');
    expectClose(await plan.run(x), 'conv2d', x, w, null, { padding: 1 });
    const resident = plan.runResident(x);
    await ctx.synchronize();

    ctx.device!.destroy(); // as a driver reset would; no await before the next call
    const y = await plan.run(x); // the failed GPU call is retried on wasm
    expectClose(y, 'conv2d', x, w, null, { padding: 1 });
    expect(ctx.backend).toBe('wasm');
    expect(ctx.fallbackReason).toMatch(/lost \(destroyed/);
    expect(warn.mock.calls.some((c) => /device was lost.*wasm backend/.test(String(c[0])))).toBe(true);
    expect(plan.info.backend).toBe('wasm');
    // New work runs on wasm too, transposed included.
    const tw = rand([4, 2, 3, 3], 83);
    expectClose(await ctx.convTranspose2d(x, tw, null, { stride: 2, padding: 1 }), 'convTranspose2d', x, tw, null, { stride: 2, padding: 1 });
    expect(ctx.upload(x).backend).toBe('wasm');
    // Data that only lived on the lost device cannot come back.
    await expect(resident.read()).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(plan.run(resident)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    plan.dispose();
    ctx.destroy();
  });

  it.runIf(gpu)("device lost with fallback: 'none': ops reject with BACKEND_UNAVAILABLE", async () => {
    const ctx = await initWebGPU({ fallback: 'none' });
    const x = rand([1, 2, 6], 91);
    const w = rand([3, 2, 3], 92);
    expectClose(await ctx.conv1d(x, w), 'conv1d', x, w, null, {});
    ctx.device!.destroy();
    await expect(ctx.conv1d(x, w)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(ctx.conv1d(x, w)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(ctx.fallbackReason).toMatch(/lost/);
    // Nothing runs ops now: not 'wasm' (#30.11).
    expect(ctx.backend).toBe('none');
    // A plan asked for its options' `out` is refused here too.
    expect(() => ctx.createConv1d(w, null, { out: { data: new Float32Array(12), shape: [1, 3, 4] } } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'options.out' }),
    );
    ctx.destroy();
  });
});
