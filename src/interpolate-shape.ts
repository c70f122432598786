/**
 * F.interpolate's shape rules and sampling tables, PyTorch 1.13 to the letter (aten/src/ATen/native/UpSample.h):
 * the output size from `size` or `scaleFactor` (floor(in * s), the kernel then using 1 / s, as
 * recompute_scale_factor=None does), the source index of each output (align_corners or half-pixel, clamped at 0
 * for the linear modes), nearest's and nearest-exact's floor rules, bicubic's A = -0.75 with border clamping.
 *
 * Every mode but 'area' (adaptive average pooling) is separable: per axis and output position, up to four taps
 * (input index, weight), summed innermost axis first as PyTorch's kernels nest them. The tables are float32, as
 * PyTorch computes its weights for float tensors, and bounded by the output.
 */
import { SimdconvError, describe } from './errors.js';
import { allIndices, checkOptionsObject, resolveLayout, shapeSize } from './shape.js';
import type { Layout } from './types.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** Output spatial size: an int or one per axis. Exactly one of size and scaleFactor. */
  size?: number | readonly number[];
  /** A factor or one per axis; the output is floor(input * factor), and the sampling uses the factor itself. */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /** The interpolating modes only (linear, bilinear, bicubic, trilinear). Default false. */
  alignCorners?: boolean;
  layout?: Layout;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];
/** The input rank a mode requires (spatial axes), or null for any of 1 to 3. */
const MODE_RANK: Record<InterpolateMode, 1 | 2 | 3 | null> = {
  nearest: null,
  'nearest-exact': null,
  area: null,
  linear: 1,
  bilinear: 2,
  bicubic: 2,
  trilinear: 3,
};
const KEYS = new Set(['size', 'scaleFactor', 'mode', 'alignCorners', 'layout']);

export interface InterpolateParams {
  readonly mode: InterpolateMode;
  readonly size: readonly number[] | number | null;
  readonly scale: readonly number[] | number | null;
  readonly alignCorners: boolean;
  readonly layout: Layout;
}

/** Per axis and output position: `taps` input indices and weights (stride 4, unused taps weigh 0). */
export interface AxisTaps {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

export interface InterpolateGeometry {
  readonly params: InterpolateParams;
  readonly rank: 1 | 2 | 3;
  readonly batched: boolean;
  readonly batch: number;
  readonly channels: number;
  readonly inSize: readonly number[];
  readonly outSize: readonly number[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Per spatial axis; empty for 'area'. */
  readonly axes: readonly AxisTaps[];
}

function positiveList(argument: string, value: unknown, integer: boolean): readonly number[] | number {
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v));
  if (ok(value)) return value as number;
  if (Array.isArray(value) && value.length >= 1 && value.length <= 3 && allIndices(value, ok)) return [...(value as number[])];
  throw new SimdconvError('INVALID_ARGUMENT', argument, `a positive ${integer ? 'integer' : 'number'} or an array of one per spatial axis`, describe(value));
}

export function resolveInterpolateParams(options: InterpolateOptions): InterpolateParams {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object with size or scaleFactor', describe(options));
  }
  checkOptionsObject(options, KEYS);
  const o = options as Record<string, unknown>;
  const mode = (o.mode ?? 'nearest') as InterpolateMode;
  if (!MODES.includes(mode)) throw new SimdconvError('INVALID_ARGUMENT', 'options.mode', MODES.map((m) => `'${m}'`).join(', '), describe(o.mode));
  if ((o.size === undefined) === (o.scaleFactor === undefined)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.size', 'exactly one of size and scaleFactor', o.size === undefined ? 'neither' : 'both');
  }
  const interpolating = MODE_RANK[mode] !== null && mode !== 'area';
  if (o.alignCorners !== undefined && !interpolating) {
    throw new SimdconvError(
      'INVALID_ARGUMENT',
      'options.alignCorners',
      "no alignCorners with mode 'nearest', 'nearest-exact' or 'area' (as PyTorch)",
      describe(o.alignCorners),
    );
  }
  if (o.alignCorners !== undefined && typeof o.alignCorners !== 'boolean') {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.alignCorners', 'true or false', describe(o.alignCorners));
  }
  const layout = resolveLayout(o.layout as Layout | undefined);
  return {
    mode,
    size: o.size === undefined ? null : positiveList('options.size', o.size, true),
    scale: o.scaleFactor === undefined ? null : positiveList('options.scaleFactor', o.scaleFactor, false),
    alignCorners: o.alignCorners === true,
    layout,
  };
}

const f = Math.fround;

/** PyTorch's area_pixel_compute_scale in float32. */
function pixelScale(n: number, out: number, alignCorners: boolean, scale: number | null): number {
  if (alignCorners) return out > 1 ? f(f(n - 1) / f(out - 1)) : 0;
  return scale !== null && scale > 0 ? f(1 / scale) : f(n / out);
}

/** PyTorch's area_pixel_compute_source_index in float32. */
function sourceIndex(scale: number, o: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return f(scale * o);
  // `scale * (dst_index + 0.5) - 0.5` in double, rounded once to float.
  const src = f(scale * (o + 0.5) - 0.5);
  return !cubic && src < 0 ? 0 : src;
}

const mul = (a: number, b: number) => f(a * b);
const add = (a: number, b: number) => f(a + b);

/** get_cubic_upsample_coefficients in float32, A = -0.75: ((A + 2) x - (A + 3)) x x + 1 and ((A x - 5A) x + 8A) x - 4A. */
function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const c1 = (x: number) => add(mul(mul(add(mul(A + 2, x), -(A + 3)), x), x), 1);
  const c2 = (x: number) => add(mul(add(mul(add(mul(A, x), -5 * A), x), 8 * A), x), -4 * A);
  const x2 = f(1 - t);
  return [c2(f(t + 1)), c1(t), c1(x2), c2(f(x2 + 1))];
}

function axisTaps(mode: InterpolateMode, n: number, out: number, alignCorners: boolean, scale: number | null): AxisTaps {
  const taps = mode === 'bicubic' ? 4 : mode === 'nearest' || mode === 'nearest-exact' ? 1 : 2;
  const index = new Int32Array(out * 4);
  const weight = new Float32Array(out * 4);
  if (mode === 'nearest' || mode === 'nearest-exact') {
    // PyTorch's nearest_idx / nearest_neighbor_exact_compute_source_index (scale in float32).
    const s = scale !== null && scale > 0 ? f(1 / scale) : f(n / out);
    for (let o = 0; o < out; o++) {
      let i: number;
      if (mode === 'nearest') i = out === n ? o : out === 2 * n ? o >> 1 : Math.min(Math.floor(f(o * s)), n - 1);
      else i = Math.min(Math.floor(f(f(o + 0.5) * s)), n - 1);
      index[o * 4] = i;
      weight[o * 4] = 1;
    }
    return { taps, index, weight };
  }
  const s = pixelScale(n, out, alignCorners, scale);
  for (let o = 0; o < out; o++) {
    if (mode === 'bicubic') {
      const real = sourceIndex(s, o, alignCorners, true);
      const i0 = Math.floor(real);
      const t = f(real - i0);
      const w = cubicWeights(t);
      for (let k = 0; k < 4; k++) {
        index[o * 4 + k] = Math.min(Math.max(i0 - 1 + k, 0), n - 1);
        weight[o * 4 + k] = w[k]!;
      }
    } else if (out === n) {
      // compute_source_index_and_lambda: an axis of unchanged size is copied (whatever the scale factor said).
      index[o * 4] = o;
      index[o * 4 + 1] = o;
      weight[o * 4] = 1;
    } else {
      const real = sourceIndex(s, o, alignCorners, false);
      const i1 = Math.trunc(real);
      const step = i1 < n - 1 ? 1 : 0;
      const lambda = Math.min(Math.max(f(real - i1), 0), 1);
      index[o * 4] = i1;
      index[o * 4 + 1] = i1 + step;
      weight[o * 4] = f(1 - lambda);
      weight[o * 4 + 1] = lambda;
    }
  }
  return { taps, index, weight };
}

export function resolveInterpolateGeometry(p: InterpolateParams, inputShape: readonly number[]): InterpolateGeometry {
  const ndim = inputShape.length;
  const required = MODE_RANK[p.mode];
  const last = p.layout === 'channels-last';
  // F.interpolate takes batched inputs (N, C, *spatial) of 3 to 5 dimensions.
  if (ndim < 3 || ndim > 5 || (required !== null && ndim !== required + 2)) {
    const want = required === null ? '3 to 5 dimensions (N, C, *spatial)' : `${required + 2} dimensions for mode '${p.mode}'`;
    throw new SimdconvError('INVALID_RANK', 'input', want, `shape [${inputShape.join(', ')}]`);
  }
  const rank = (ndim - 2) as 1 | 2 | 3;
  const channels = last ? inputShape[ndim - 1]! : inputShape[1]!;
  const inSize = last ? inputShape.slice(1, -1) : inputShape.slice(2);
  if (shapeSize(inputShape) === 0) throw new SimdconvError('EMPTY_OUTPUT', 'input.shape', 'no zero-sized dimension', `[${inputShape.join(', ')}]`);
  const perAxis = (argument: string, v: readonly number[] | number): number[] => {
    if (typeof v === 'number') return new Array<number>(rank).fill(v);
    if (v.length !== rank) throw new SimdconvError('INVALID_ARGUMENT', argument, `one value per spatial axis (${rank})`, describe(v));
    return [...v];
  };
  const scales = p.scale === null ? null : perAxis('options.scaleFactor', p.scale);
  const outSize = p.size !== null ? perAxis('options.size', p.size) : inSize.map((n, i) => Math.floor(n * scales![i]!));
  if (outSize.some((s) => s < 1)) {
    throw new SimdconvError(
      'EMPTY_OUTPUT',
      'options.scaleFactor',
      `a factor giving at least one output per axis (input [${inSize.join(', ')}])`,
      `output [${outSize.join(', ')}]`,
    );
  }
  const axes = p.mode === 'area' ? [] : inSize.map((n, i) => axisTaps(p.mode, n, outSize[i]!, p.alignCorners, scales ? scales[i]! : null));
  const N = inputShape[0]!;
  return {
    params: p,
    rank,
    batched: true,
    batch: N,
    channels,
    inSize,
    outSize,
    inputShape: [...inputShape],
    outputShape: last ? [N, ...outSize, channels] : [N, channels, ...outSize],
    axes,
  };
}
