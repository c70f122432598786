/**
 * linear, batchNorm and foldBatchNorm on every wasm build and the js backend: PyTorch 1.13 golden fixtures
 * (test/fixtures/nn.json), ONNX 1.12's Gemm and BatchNormalization node tests (onnx.json), a float64 property
 * for linear, both layouts for batchNorm, and the refusals.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { GpuContext } from '../src/webgpu.js';
import { type TestContexts, testContexts } from './helpers/contexts.js';
import { errorBound } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

fc.configureGlobal({ seed: 0x11ea });
const U = 2 ** -24;

type Json = number | null | 'inf' | '-inf';
interface J {
  shape: number[];
  data: Json[];
}
const decode = (t: J): sc.Tensor => ({
  data: Float32Array.from(t.data, (v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v)),
  shape: t.shape,
});
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/nn.json', import.meta.url), 'utf8')) as { torch: string; cases: Record<string, unknown>[] };
const onnx = JSON.parse(readFileSync(new URL('./fixtures/onnx.json', import.meta.url), 'utf8')) as {
  cases: {
    name: string;
    op: string;
    attributes: Record<string, number>;
    inputs: { shape: number[]; data: (number | null)[] }[];
    outputs: { shape: number[]; data: (number | null)[] }[];
  }[];
};

let contexts: Record<string, sc.Context>;
let gpu: GpuContext | null;
let all: TestContexts;
beforeAll(async () => {
  all = await testContexts('nn.test');
  ({ contexts, gpu } = all);
});
afterAll(() => all.dispose());

/** |a - e| within `bound` (NaN where e is NaN, infinities equal). */
function close(actual: Float32Array, expected: Float32Array, bound: (i: number) => number): number {
  return expected.findIndex((e, i) => {
    const a = actual[i]!;
    if (Number.isNaN(e)) return !Number.isNaN(a);
    if (!Number.isFinite(e)) return a !== e;
    return !(Math.abs(a - e) <= bound(i));
  });
}

describe(`PyTorch ${fixtures.torch} golden fixtures`, () => {
  it.each(fixtures.cases.map((c) => [c.name as string, c] as const))('%s', async (_name, c) => {
    const x = decode(c.input as J);
    const expected = decode(c.output as J);
    const opt = (k: string) => (c[k] ? decode(c[k] as J) : null);
    for (const name of [...Object.keys(contexts), ...(gpu ? ['webgpu'] : [])]) {
      const ctx = contexts[name];
      let y: sc.Tensor;
      let bound: (i: number) => number;
      if (c.op === 'linear') {
        const w = decode(c.weight as J);
        const plan = ctx ? sc.createLinear(w, opt('bias'), ctx) : gpu!.createLinear(w, opt('bias'));
        y = await plan.run(x);
        plan.dispose();
        // Reduction in_features: the classic bound with |x| |w| <= max|x| max|w| per term.
        const K = w.shape[1]!;
        const finite = (t: sc.Tensor) => Math.max(...Array.from(t.data).filter(Number.isFinite).map(Math.abs));
        const scale = K * finite(x) * finite(w) + (opt('bias') ? finite(opt('bias')!) : 0);
        bound = (i) => errorBound(K, scale) + U * Math.abs(expected.data[i]!);
      } else if (c.op === 'batchNorm') {
        const bnOptions = { eps: c.eps as number };
        const plan = ctx
          ? sc.createBatchNorm(opt('mean')!, opt('var')!, opt('weight'), opt('bias'), bnOptions, ctx)
          : gpu!.createBatchNorm(opt('mean')!, opt('var')!, opt('weight'), opt('bias'), bnOptions);
        y = await plan.run(x);
        plan.dispose();
        // x * alpha + beta with alpha = w / sqrt(var + eps), beta = b - mean * alpha, both sides in float32:
        // alpha and beta agree to a few roundings, then a multiply and an add each: 4u (|x alpha| + |beta|).
        const [mean, variance, w, b] = [opt('mean')!, opt('var')!, opt('weight'), opt('bias')];
        const plane = x.data.length / x.shape[0]! / mean.data.length;
        const bound64 = (i: number) => {
          const ch = Math.floor(i / plane) % mean.data.length;
          const alpha = (w ? w.data[ch]! : 1) / Math.sqrt(variance.data[ch]! + (c.eps as number));
          const beta = (b ? b.data[ch]! : 0) - mean.data[ch]! * alpha;
          return 4 * U * (Math.abs(x.data[i]! * alpha) + Math.abs(beta) + Math.abs(mean.data[ch]! * alpha)) + 2 ** -126;
        };
        bound = bound64;
      } else {
        const folded = sc.foldBatchNorm(decode(c.convWeight as J), opt('convBias'), opt('mean')!, opt('var')!, opt('weight'), opt('bias'), {
          eps: c.eps as number,
          ...(c.transposed ? { transposed: true, groups: c.groups as number } : {}),
        });
        const options = { ...(c.options as object), groups: c.groups as number };
        const plan = ctx
          ? c.transposed
            ? sc.createConvTranspose2d(folded.weight, folded.bias, options, ctx)
            : sc.createConv2d(folded.weight, folded.bias, options, ctx)
          : c.transposed
            ? gpu!.createConvTranspose2d(folded.weight, folded.bias, options)
            : gpu!.createConv2d(folded.weight, folded.bias, options);
        y = await plan.run(x);
        plan.dispose();
        // Two sums of 36 (or 12) products against one: the larger of the two conv bounds, doubled.
        const scale = Math.max(...Array.from(expected.data).map(Math.abs)) + 10;
        bound = () => 2 * errorBound(36, 36 * scale);
      }
      expect(y.shape, name).toEqual(expected.shape);
      const bad = close(y.data, expected.data, bound);
      expect(bad, `${name}: [${bad}] got ${y.data[bad]}, torch ${expected.data[bad]}`).toBe(-1);
    }
  });
});

describe('ONNX node tests', () => {
  const data = (t: { shape: number[]; data: (number | null)[] }): sc.Tensor => ({ data: Float32Array.from(t.data, (v) => v ?? NaN), shape: t.shape });
  const transpose2d = (t: sc.Tensor): sc.Tensor => {
    const [r, c] = t.shape as [number, number];
    const out = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
    return { data: out, shape: [c, r] };
  };
  const NOT_OURS: Record<string, string> = {
    test_batchnorm_example_training_mode: 'training mode (running statistics updated): batchNorm is for inference',
    test_batchnorm_epsilon_training_mode: 'training mode (running statistics updated): batchNorm is for inference',
    test_gemm_alpha: 'alpha != 1 (F.linear has no scale)',
    test_gemm_beta: 'beta != 1 (F.linear has no scale)',
    test_gemm_all_attributes: 'alpha and beta != 1 (F.linear has no scale)',
    test_gemm_default_matrix_bias: 'a matrix bias (F.linear adds one value per output feature)',
  };
  const cases = onnx.cases.filter((c) => c.op === 'Gemm' || c.op === 'BatchNormalization');

  it('holds Gemm and BatchNormalization, all run but those listed with the reason', () => {
    expect(cases.length).toBe(15);
    expect(cases.filter((c) => !(c.name in NOT_OURS)).length).toBe(9);
  });

  it.each(cases.filter((c) => !(c.name in NOT_OURS)).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const expected = data(c.outputs[0]!);
    let y: sc.Tensor;
    if (c.op === 'BatchNormalization') {
      const [x, scale, bias, mean, variance] = c.inputs.map(data) as [sc.Tensor, sc.Tensor, sc.Tensor, sc.Tensor, sc.Tensor];
      y = sc.batchNorm(x, mean, variance, scale, bias, { eps: c.attributes.epsilon ?? 1e-5 });
    } else {
      // Gemm: A (M, K) or transA; B (K, N) or transB (N, K); C broadcast to (N): linear(A, B^T, c).
      const [a0, b, bias] = c.inputs.map(data) as [sc.Tensor, sc.Tensor, sc.Tensor | undefined];
      const a = c.attributes.transA ? transpose2d(a0) : a0;
      const w = c.attributes.transB ? b : transpose2d(b);
      const n = w.shape[0]!;
      const vector = bias && { data: bias.data.length === n ? bias.data.slice() : new Float32Array(n).fill(bias.data[0]!), shape: [n] };
      y = sc.linear(a, w, vector);
    }
    expect(y.shape).toEqual(expected.shape);
    const bad = close(y.data, expected.data, (i) => 1e-6 * (1 + Math.abs(expected.data[i]!)) * 8);
    expect(bad, `[${bad}] got ${y.data[bad]}, expected ${expected.data[bad]}`).toBe(-1);
  });
});

describe('linear', () => {
  it('any leading shape, against a float64 sum within its bound (property, every backend)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        (lead, inF, outF, hasBias, seed) => {
          const next = rng(seed);
          const x = randomTensor([...lead, inF], next);
          const w = randomTensor([outF, inF], next);
          const b = hasBias ? randomTensor([outF], next) : null;
          const rows = x.data.length / inF;
          for (const [name, ctx] of Object.entries(contexts)) {
            const plan = sc.createLinear(w, b, ctx);
            const y = plan.run(x);
            plan.dispose();
            expect(y.shape, name).toEqual([...lead, outF]);
            for (let r = 0; r < rows; r++)
              for (let o = 0; o < outF; o++) {
                let sum = b ? b.data[o]! : 0;
                let abs = b ? Math.abs(b.data[o]!) : 0;
                for (let k = 0; k < inF; k++) {
                  sum += x.data[r * inF + k]! * w.data[o * inF + k]!;
                  abs += Math.abs(x.data[r * inF + k]! * w.data[o * inF + k]!);
                }
                const got = y.data[r * outF + o]!;
                if (!(Math.abs(got - sum) <= errorBound(inF, abs) + U * Math.abs(sum))) throw new Error(`${name} [${r}, ${o}]: ${got} vs ${sum}`);
              }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes into out, leaves the input alone, refuses what F.linear refuses', () => {
    const x = randomTensor([2, 3, 4], rng(1));
    const copy = x.data.slice();
    const w = randomTensor([5, 4], rng(2));
    const out = { data: new Float32Array(30), shape: [2, 3, 5] };
    expect(sc.linear(x, w, null, { out })).toBe(out);
    expect(x.data).toEqual(copy);
    expect(Array.from(out.data)).toEqual(Array.from(sc.linear(x, w).data));
    const plan = sc.createLinear(w);
    expect(plan.outputShape([7, 4])).toEqual([7, 5]);
    plan.run(x);
    expect(plan.info.path).toBe('gemm-1x1'); // the GEMM reads the rows in place
    plan.dispose();
    const errors: Array<[() => unknown, string, string]> = [
      [() => sc.linear(x, randomTensor([5, 3], rng(3))), 'CHANNEL_MISMATCH', 'input.shape[2]'],
      [() => sc.linear(x, randomTensor([5, 4, 1], rng(3))), 'INVALID_RANK', 'weight'],
      [() => sc.linear(x, w, randomTensor([4], rng(3))), 'CHANNEL_MISMATCH', 'bias.shape'],
      [() => sc.linear(x, w, null, { out: { data: new Float32Array(30), shape: [6, 5] } }), 'OUTPUT_MISMATCH', 'options.out.shape'],
      [() => sc.linear({ data: new Float32Array(0), shape: [0, 4] }, w), 'EMPTY_OUTPUT', 'input.shape'],
      [() => sc.linear(x, w, null, { bias: 1 } as never), 'INVALID_ARGUMENT', 'options.bias'],
    ];
    for (const [call, code, argument] of errors) expect(call).toThrow(expect.objectContaining({ code, argument }));
  });
});

describe('WebGPU', () => {
  it('a small CNN resident on the GPU: conv, batchNorm, maxPool, linear, one readback', async () => {
    if (!gpu) return expect(process.env.SIMDCONV_REQUIRE_WEBGPU).not.toBe('1');
    const next = rng(77);
    const x = randomTensor([2, 3, 8, 8], next);
    const w = randomTensor([4, 3, 3, 3], next);
    const [mean, variance] = [randomTensor([4], next), randomTensor([4], next, 0.5, 1.5)];
    const fc1 = randomTensor([5, 4 * 4 * 4], next);
    const host = sc.linear(
      { data: sc.maxPool2d(sc.batchNorm(sc.conv2d(x, w, null, { padding: 1 }), mean, variance), { kernelSize: 2 }).data, shape: [2, 64] },
      fc1,
    );
    const conv = gpu.createConv2d(w, null, { padding: 1 });
    const bn = gpu.createBatchNorm(mean, variance);
    const pool = gpu.createMaxPool2d({ kernelSize: 2 });
    const h = pool.runResident(bn.runResident(conv.runResident(x)));
    const flat = await h.read();
    const y = await gpu.linear({ data: flat.data, shape: [2, 64] }, fc1);
    for (let i = 0; i < host.data.length; i++) expect(y.data[i]).toBeCloseTo(host.data[i]!, 4);
    for (const p of [conv, bn, pool]) p.dispose();
    await expect(gpu.linear(x, fc1)).rejects.toMatchObject({ code: 'CHANNEL_MISMATCH', argument: 'input.shape[3]' });
    await expect(gpu.linear(flat, fc1, null, { bias: 1 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.bias' });
    await expect(gpu.batchNorm(x, mean, variance, null, null, 5 as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options' });
  });
});

describe('batchNorm', () => {
  it('random shapes, statistics and eps against float64 (x - mean) / sqrt(var + eps) * w + b (property, every backend)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (ndim, C, dims, hasWeight, hasBias, eps, seed) => {
          const next = rng(seed);
          const shape = [dims[0]!, C, ...dims.slice(1, ndim - 1)];
          const x = randomTensor(shape, next, -3, 3);
          const mean = randomTensor([C], next);
          const variance = randomTensor([C], next, 0.01, 2);
          const w = hasWeight ? randomTensor([C], next) : null;
          const b = hasBias ? randomTensor([C], next) : null;
          const plane = x.data.length / shape[0]! / C;
          for (const [name, ctx] of Object.entries(contexts)) {
            const plan = sc.createBatchNorm(mean, variance, w, b, { eps }, ctx);
            const y = plan.run(x);
            plan.dispose();
            for (let i = 0; i < x.data.length; i++) {
              const c = Math.floor(i / plane) % C;
              const scale = (w ? w.data[c]! : 1) / Math.sqrt(variance.data[c]! + Math.fround(eps));
              const want = (x.data[i]! - mean.data[c]!) * scale + (b ? b.data[c]! : 0);
              // alpha and beta are float32 (as PyTorch), then a multiply and an add.
              const bound = 6 * U * (Math.abs(x.data[i]! * scale) + Math.abs(mean.data[c]! * scale) + Math.abs(b ? b.data[c]! : 0)) + 2 ** -126;
              if (!(Math.abs(y.data[i]! - want) <= bound)) throw new Error(`${name} [${shape}] eps ${eps} at ${i}: ${y.data[i]} vs ${want}`);
            }
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('channels-last equals channels-first, ranks 2 to 5; refusals', () => {
    const next = rng(9);
    const C = 6;
    const [mean, variance, weight, bias] = [randomTensor([C], next), randomTensor([C], next, 0.1, 2), randomTensor([C], next), randomTensor([C], next)];
    for (const shape of [
      [3, C],
      [2, C, 5],
      [2, C, 3, 4],
      [1, C, 2, 3, 2],
    ]) {
      const x = randomTensor(shape, next);
      const first = sc.batchNorm(x, mean, variance, weight, bias);
      const spatial = shape.slice(2);
      const plane = spatial.reduce((a, b) => a * b, 1);
      const xl = { data: new Float32Array(x.data.length), shape: [shape[0]!, ...spatial, C] };
      for (let n = 0; n < shape[0]!; n++)
        for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) xl.data[(n * plane + i) * C + c] = x.data[(n * C + c) * plane + i]!;
      const last = sc.batchNorm(xl, mean, variance, weight, bias, { layout: 'channels-last' });
      for (let n = 0; n < shape[0]!; n++)
        for (let c = 0; c < C; c++)
          for (let i = 0; i < plane; i++) expect(last.data[(n * plane + i) * C + c]).toBeCloseTo(first.data[(n * C + c) * plane + i]!, 5);
    }
    const x = randomTensor([2, C, 3, 3], next);
    const errors: Array<[() => unknown, string, string]> = [
      [() => sc.batchNorm(randomTensor([2, 5, 3], next), mean, variance), 'CHANNEL_MISMATCH', 'input.shape[1]'],
      [() => sc.batchNorm(randomTensor([C], next), mean, variance), 'INVALID_RANK', 'input'],
      [() => sc.batchNorm(x, mean, randomTensor([C + 1], next)), 'CHANNEL_MISMATCH', 'runningVar.shape'],
      [() => sc.batchNorm(x, mean, variance, randomTensor([2], next)), 'CHANNEL_MISMATCH', 'weight.shape'],
      [() => sc.batchNorm(x, mean, variance, null, null, { eps: -1 }), 'INVALID_ARGUMENT', 'options.eps'],
      [() => sc.batchNorm(x, mean, variance, null, null, { momentum: 0.1 } as never), 'INVALID_ARGUMENT', 'options.momentum'],
      [() => sc.foldBatchNorm(randomTensor([4, 3, 3, 3], next), null, mean, variance), 'CHANNEL_MISMATCH', 'runningMean.shape'],
      [() => sc.foldBatchNorm(randomTensor([4, 3], next), null, mean, variance), 'INVALID_RANK', 'convWeight'],
      [() => sc.foldBatchNorm(randomTensor([C, 3, 3, 3], next), null, mean, variance, null, null, { groups: 2 }), 'INVALID_ARGUMENT', 'options.groups'],
    ];
    for (const [call, code, argument] of errors) expect(call).toThrow(expect.objectContaining({ code, argument }));
  });
});
