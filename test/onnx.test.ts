/**
 * ONNX 1.12's backend node tests (test/fixtures/onnx.json, from Debian's python3-onnx by
 * test/fixtures/generate_onnx.py) for the ops whose semantics match ours: each node's attributes mapped to
 * simdconv's options (pads to [before, after] pairs, auto_pad to 'same-upper' / 'same-lower' / 'valid',
 * output_shape to outputSize), run on every backend, within the float32 bound of the reduction.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import type { Tensor } from '../src/types.js';
import { type Backends, allBackends } from './helpers/backends.js';
import { errorBound } from './helpers/tolerance.js';

interface OnnxTensor {
  readonly shape: number[];
  readonly data: (number | null)[];
}

interface OnnxCase {
  readonly name: string;
  readonly op: string;
  readonly attributes: Record<string, number | string | number[]>;
  readonly inputs: OnnxTensor[];
  readonly outputs: (OnnxTensor & { dtype: string })[];
  /** Left out of the fixture file by the generator (the reason). */
  readonly skipped?: string;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/onnx.json', import.meta.url), 'utf8')) as { onnx: string; cases: OnnxCase[] };

let backends: Backends;
beforeAll(async () => {
  backends = await allBackends();
});
afterAll(() => backends.destroy());

const tensor = (t: OnnxTensor): Tensor => ({ data: Float32Array.from(t.data, (v) => v ?? NaN), shape: t.shape });

/** ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...] as one [before, after] pair per axis. */
function pairs(pads: number[]): [number, number][] {
  const rank = pads.length / 2;
  return Array.from({ length: rank }, (_, i) => [pads[i]!, pads[rank + i]!]);
}

const AUTO_PAD: Record<string, string | undefined> = { NOTSET: undefined, SAME_UPPER: 'same-upper', SAME_LOWER: 'same-lower', VALID: 'valid' };

/** The simdconv op and options of an ONNX Conv / ConvTranspose node. */
function convCall(c: OnnxCase): { op: string; options: Record<string, unknown> } {
  const a = c.attributes;
  const rank = c.inputs[0]!.shape.length - 2;
  const transposed = c.op === 'ConvTranspose';
  const options: Record<string, unknown> = {};
  if (a.strides) options.stride = a.strides;
  if (a.dilations) options.dilation = a.dilations;
  if (a.group) options.groups = a.group;
  if (a.pads) options.padding = pairs(a.pads as number[]);
  const auto = AUTO_PAD[(a.auto_pad as string | undefined) ?? 'NOTSET'];
  if (auto) options.padding = auto;
  if (transposed && a.output_shape) options.outputSize = a.output_shape;
  else if (transposed && a.output_padding) options.outputPadding = a.output_padding;
  return { op: `${transposed ? 'convTranspose' : 'conv'}${rank}d`, options };
}

const convCases = fixtures.cases.filter((c) => (c.op === 'Conv' || c.op === 'ConvTranspose') && !c.skipped);

/**
 * ONNX pooling tests whose semantics are not ours, and why. Everything else of MaxPool, AveragePool,
 * GlobalAveragePool and GlobalMaxPool runs below.
 */
const POOL_NOT_OURS: Record<string, string> = {
  test_maxpool_2d_uint8: 'uint8 tensors (simdconv is float32)',
  test_maxpool_2d_precomputed_same_upper: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_maxpool_2d_same_upper: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_maxpool_2d_same_lower: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_averagepool_2d_precomputed_same_upper: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_averagepool_2d_same_upper: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_averagepool_2d_same_lower: "auto_pad on pooling (PyTorch's pools take symmetric integer padding)",
  test_maxpool_2d_pads: 'padding 2 on a kernel of 3 (PyTorch refuses padding above half the kernel; so do we, tested in pool.test.ts)',
  test_averagepool_2d_pads: 'padding 2 on a kernel of 3 (PyTorch refuses padding above half the kernel)',
  test_averagepool_2d_pads_count_include_pad: 'padding 2 on a kernel of 3 (PyTorch refuses padding above half the kernel)',
};

/** ONNX Resize tests whose semantics are not F.interpolate's, and why. */
const RESIZE_NOT_OURS: Record<string, string> = {
  test_resize_tf_crop_and_resize: 'tf_crop_and_resize (a region of interest): F.interpolate has none',
  test_resize_upsample_scales_cubic_A_n0p5_exclude_outside: 'cubic_coeff_a -0.5 and exclude_outside: PyTorch fixes A = -0.75 and clamps at the border',
  test_resize_downsample_scales_cubic_A_n0p5_exclude_outside: 'cubic_coeff_a -0.5 and exclude_outside: PyTorch fixes A = -0.75 and clamps at the border',
  test_resize_upsample_scales_cubic_asymmetric: "coordinate_transformation_mode 'asymmetric' for cubic: PyTorch's is half-pixel or align_corners",
  test_resize_upsample_sizes_nearest_floor_align_corners: "nearest with align_corners: PyTorch's nearest is asymmetric with floor",
  test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric: "nearest_mode round_prefer_ceil: PyTorch's nearest floors",
  test_resize_upsample_sizes_nearest_ceil_half_pixel: "nearest_mode ceil with half_pixel: PyTorch's nearest floors, asymmetric",
  test_resize_downsample_scales_nearest:
    "ONNX's default nearest is half_pixel + round_prefer_floor; PyTorch's floors o / scale (they agree on integer upscales only)",
  test_resize_downsample_sizes_nearest: "ONNX's default nearest is half_pixel + round_prefer_floor; PyTorch's floors o / scale",
  test_resize_downsample_scales_linear_align_corners: 'align_corners over the unrounded length in * scale (2.4); PyTorch divides by the output size - 1',
  test_resize_downsample_scales_cubic_align_corners: 'align_corners over the unrounded length in * scale; PyTorch divides by the output size - 1',
  test_resize_downsample_sizes_linear_pytorch_half_pixel:
    "ONNX's pytorch_half_pixel samples 0 for an output of length 1; torch 1.13 samples the centre (3.1667 here, checked)",
};

const POOL_OPS = ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'];
const poolCases = fixtures.cases.filter((c) => POOL_OPS.includes(c.op));

/** The simdconv pool plan of an ONNX pooling node (on the context `ctx`). */
function poolPlan(c: OnnxCase, ctx: sc.Context): sc.PoolPlan {
  const a = c.attributes;
  const rank = (c.inputs[0]!.shape.length - 2) as 1 | 2 | 3;
  const create = (name: string) => (sc as unknown as Record<string, (...args: unknown[]) => sc.PoolPlan>)[`create${name}${rank}d`]!;
  if (c.op === 'GlobalAveragePool') return create('AdaptiveAvgPool')(1, {}, ctx);
  if (c.op === 'GlobalMaxPool') return create('AdaptiveMaxPool')(1, {}, ctx);
  // ONNX's default stride is 1 (PyTorch's is the kernel size).
  const options: Record<string, unknown> = { kernelSize: a.kernel_shape, stride: a.strides ?? (a.kernel_shape as number[]).map(() => 1) };
  if (a.pads) {
    const pads = pairs(a.pads as number[]);
    expect(
      pads.every(([b, e]) => b === e),
      `${c.name}: symmetric pads`,
    ).toBe(true);
    options.padding = pads.map(([b]) => b);
  }
  if (a.ceil_mode) options.ceilMode = true;
  if (c.op === 'MaxPool') {
    if (a.dilations) options.dilation = a.dilations;
    return create('MaxPool')(options, ctx);
  }
  options.countIncludePad = a.count_include_pad === 1; // ONNX's default is 0
  return create('AvgPool')(options, ctx);
}

describe(`ONNX ${fixtures.onnx} node tests`, () => {
  it('holds the Conv and ConvTranspose tests, auto_pad and asymmetric pads among them', () => {
    const names = convCases.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['test_conv_with_autopad_same', 'test_convtranspose_autopad_same', 'test_conv_with_strides_and_asymmetric_padding']),
    );
    expect(convCases.length).toBeGreaterThanOrEqual(15);
  });

  it('runs every pooling test but those whose semantics are not ours (listed with the reason)', () => {
    const run = poolCases.filter((c) => !c.skipped && !(c.name in POOL_NOT_OURS)).map((c) => c.name);
    expect(run.length).toBeGreaterThanOrEqual(16);
    for (const c of poolCases) if (c.skipped) expect(c.name).toMatch(/_3d_default$/); // tensors too large for the file
  });

  it.each(poolCases.filter((c) => !c.skipped && !(c.name in POOL_NOT_OURS)).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const x = tensor(c.inputs[0]!);
    const [values, argmax] = c.outputs;
    const rank = x.shape.length - 2;
    const plane = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const contexts = { wasm: await sc.createContext(), threads: await sc.createContext({ threads: 2 }), js: await sc.createContext({ backend: 'js' }) };
    for (const [name, ctx] of Object.entries(contexts)) {
      const plan = poolPlan(c, ctx);
      const { output, indices } = argmax ? plan.runWithIndices(x) : { output: plan.run(x), indices: null };
      plan.dispose();
      ctx.dispose();
      expect(output.shape, name).toEqual(values!.shape);
      const taps = c.op.startsWith('Global') ? plane : (c.attributes.kernel_shape as number[]).reduce((p, q) => p * q, 1);
      const scale = Math.max(...x.data.map(Math.abs));
      // Max: exact. Average: a sum of at most `taps` values of at most `scale`, divided (errorBound, tolerance.ts).
      const bad = values!.data.findIndex((e, i) =>
        e === null
          ? !Number.isNaN(output.data[i]!)
          : !(Math.abs(output.data[i]! - e) <= (c.op.includes('Max') ? 0 : errorBound(taps, taps * scale)) + Math.abs(e) * 2 ** -23),
      );
      expect(bad, `${name}: [${bad}] got ${output.data[bad]}, expected ${values!.data[bad]}`).toBe(-1);
      if (argmax && indices) {
        // ONNX flattens over the whole tensor, row-major (storage_order 0) or column-major within a plane (1).
        const [H, W] = [x.shape.at(-2)!, x.shape.at(-1)!];
        const columnMajor = c.attributes.storage_order === 1;
        expect(rank).toBe(2);
        const ours = Array.from(indices.data, (v, i) => {
          const planeBase = Math.floor(i / (output.data.length / (x.shape[0]! * x.shape[1]!))) * plane;
          return planeBase + (columnMajor ? (v % W) * H + Math.floor(v / W) : v);
        });
        expect(ours, name).toEqual(argmax.data);
      }
    }
  });

  const resizeCases = fixtures.cases.filter((c) => c.op === 'Resize');
  it.each(resizeCases.filter((c) => !(c.name in RESIZE_NOT_OURS)).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const a = c.attributes;
    const x = tensor(c.inputs[0]!);
    const target = c.inputs[c.inputs.length - 1]!.data.slice(2) as number[];
    const mode = ({ nearest: 'nearest', linear: 'bilinear', cubic: 'bicubic' } as const)[a.mode as 'nearest' | 'linear' | 'cubic'];
    const options: sc.InterpolateOptions = {
      mode,
      ...(c.name.includes('sizes') ? { size: target } : { scaleFactor: target.map((v) => Math.fround(v)) }),
      ...(mode !== 'nearest' && { alignCorners: a.coordinate_transformation_mode === 'align_corners' }),
    };
    const expected = c.outputs[0]!;
    for (const [name, ctx] of Object.entries({ wasm: await sc.createContext(), js: await sc.createContext({ backend: 'js' }) })) {
      const plan = sc.createInterpolate(options, ctx);
      const y = plan.run(x);
      plan.dispose();
      ctx.dispose();
      expect(y.shape, name).toEqual(expected.shape);
      const bad = expected.data.findIndex((e, i) => !(Math.abs(y.data[i]! - e!) <= 1e-5 * (1 + Math.abs(e!))));
      expect(bad, `${name}: [${bad}] got ${y.data[bad]}, expected ${expected.data[bad]}`).toBe(-1);
    }
  });

  it("runs the Resize tests whose semantics are PyTorch interpolate's (the others listed with the reason)", () => {
    expect(resizeCases.filter((c) => !(c.name in RESIZE_NOT_OURS)).length).toBeGreaterThanOrEqual(10);
  });

  it.each(convCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { op, options } = convCall(c);
    const [x, w, b] = c.inputs.map(tensor) as [Tensor, Tensor, Tensor | undefined];
    const expected = c.outputs[0]!;
    // Reduction: Cin/groups x kernel taps for Conv, Cout/groups x taps for ConvTranspose (W is (Cin, Cout/g, k...)).
    const reduction = w.shape.slice(1).reduce((p, q) => p * q, 1);
    const scale = Math.max(...x.data.map(Math.abs)) * Math.max(...w.data.map(Math.abs)) * reduction;
    for (const [name, run] of Object.entries(backends.runners)) {
      const y = await run(op, x, w, b ?? null, options);
      expect(y.shape, `${name}: shape`).toEqual(expected.shape);
      const bad = expected.data.findIndex((e, i) =>
        e === null ? !Number.isNaN(y.data[i]!) : !(Math.abs(y.data[i]! - e) <= errorBound(reduction, scale) + Math.abs(e) * 2 ** -24),
      );
      expect(bad, `${name}: first mismatch at ${bad}: got ${y.data[bad]}, expected ${expected.data[bad]}`).toBe(-1);
    }
  });
});
