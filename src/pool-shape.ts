/**
 * Shape math and validation of the pooling ops (max, average, adaptive), PyTorch 1.13's rules to the letter, for
 * every backend. As for convolutions (shape.ts), two stages: `resolvePoolParams` checks the options once (a plan),
 * `resolvePoolGeometry` combines them with an input shape into per-axis window tables that every kernel reads.
 *
 * Every pooling is, per axis and output position o, a window of `count` taps `dilation` apart from `start` (the
 * first tap inside the input) and, for averages, a divisor factor. The tables are bounded by the output.
 */
import { SimdconvError, describe } from './errors.js';
import { allIndices, checkOptionsObject, resolveLayout, shapeSize } from './shape.js';
import type { Layout } from './types.js';

export type PoolKind = 'max' | 'avg' | 'adaptive-max' | 'adaptive-avg';

/** Options of maxPool1d/2d/3d (PyTorch's F.max_pool*d keywords in camelCase). */
export interface MaxPoolOptions {
  /** Window size: an int or one per spatial axis. */
  kernelSize: number | readonly number[];
  /** Default: kernelSize. */
  stride?: number | readonly number[];
  /** Implicit -Infinity padding on both sides; at most half the kernel size. Default 0. */
  padding?: number | readonly number[];
  /** Default 1. */
  dilation?: number | readonly number[];
  /** Output size by ceil rather than floor (the last window must start inside the input or left padding). */
  ceilMode?: boolean;
  /** Also return the index of each maximum within its input plane (maxPool*d only). */
  returnIndices?: boolean;
  layout?: Layout;
}

/** Options of avgPool1d/2d/3d (PyTorch's F.avg_pool*d keywords in camelCase). */
export interface AvgPoolOptions {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  /** Implicit zero padding on both sides; at most half the kernel size. Default 0. */
  padding?: number | readonly number[];
  ceilMode?: boolean;
  /** Whether the padding counts in the divisor. Default true. */
  countIncludePad?: boolean;
  /** A non-zero integer that replaces the divisor (avgPool2d and avgPool3d only, as PyTorch). */
  divisorOverride?: number;
  layout?: Layout;
}

/** Output size of an adaptive pool: an int, or one per axis where null keeps the input's size. */
export type AdaptiveSize = number | readonly (number | null)[];

export interface AdaptivePoolOptions {
  layout?: Layout;
}

export interface PoolParams {
  readonly kind: PoolKind;
  /** The op's name, for messages ('maxPool2d', 'adaptiveAvgPool1d', ...). */
  readonly op: string;
  readonly rank: 1 | 2 | 3;
  /** Regular pools: kernel, stride, padding, dilation per axis (adaptive ones: empty). */
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  /** Adaptive pools: the output size per axis (null: the input's). */
  readonly outputSize: readonly (number | null)[];
  readonly returnIndices: boolean;
  readonly layout: Layout;
}

/** One axis's windows: per output position, the first tap inside the input, the taps inside it, the divisor factor. */
export interface AxisWindows {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly factor: Int32Array;
}

export interface PoolGeometry {
  readonly params: PoolParams;
  readonly batched: boolean;
  readonly batch: number;
  readonly channels: number;
  /** Spatial sizes per axis (D, H, W as the rank has them). */
  readonly inSize: readonly number[];
  readonly outSize: readonly number[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Per spatial axis, as inSize. */
  readonly windows: readonly AxisWindows[];
  /**
   * Averages: divide by each axis's factor in turn (adaptive pools, as PyTorch's kernels do) rather than by
   * their product; `divisorOverride` replaces both.
   */
  readonly sequentialDivide: boolean;
}

const POOL_KEYS: Record<'max' | 'avg', ReadonlySet<string>> = {
  max: new Set(['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices', 'layout']),
  avg: new Set(['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride', 'layout']),
};

/** An int, or a list of 1 or `rank` ints (one applies to every axis, as PyTorch's tuples of one), each >= min. */
function perAxis(argument: string, value: unknown, rank: number, fallback: readonly number[] | null, min: number): number[] {
  if (value === undefined && fallback) return fallback.length === rank ? [...fallback] : new Array<number>(rank).fill(fallback[0]!);
  const list = typeof value === 'number' ? [value] : value;
  const ok = Array.isArray(list) && (list.length === 1 || list.length === rank) && allIndices(list, (v) => Number.isInteger(v) && (v as number) >= min);
  if (!ok) {
    throw new SimdconvError(
      'INVALID_ARGUMENT',
      argument,
      `an integer >= ${min} or an array of ${rank === 1 ? 1 : `1 or ${rank}`} such integers`,
      describe(value),
    );
  }
  const values = list as number[];
  return values.length === rank ? [...values] : new Array<number>(rank).fill(values[0]!);
}

function checkBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new SimdconvError('INVALID_ARGUMENT', argument, 'true or false', describe(value));
  return value;
}

function optionsObject(options: unknown, required: boolean): Record<string, unknown> {
  if (options === undefined && !required) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SimdconvError(
      'INVALID_ARGUMENT',
      'options',
      required ? 'an options object with kernelSize' : 'an options object or undefined',
      describe(options),
    );
  }
  return options as Record<string, unknown>;
}

/** maxPool*d / avgPool*d options, checked once. */
export function resolvePoolParams(kind: 'max' | 'avg', rank: 1 | 2 | 3, options: MaxPoolOptions | AvgPoolOptions): PoolParams {
  const op = `${kind}Pool${rank}d`;
  const o = optionsObject(options, true);
  checkOptionsObject(o, POOL_KEYS[kind]);
  if (o.kernelSize === undefined) throw new SimdconvError('INVALID_ARGUMENT', 'options.kernelSize', 'a kernel size (an int or one per axis)', 'undefined');
  const kernel = perAxis('options.kernelSize', o.kernelSize, rank, null, 1);
  const stride = perAxis('options.stride', o.stride, rank, kernel, 1);
  const padding = perAxis('options.padding', o.padding, rank, [0], 0);
  const dilation = kind === 'max' ? perAxis('options.dilation', o.dilation, rank, [1], 1) : [1, 1, 1].slice(0, rank);
  padding.forEach((p, i) => {
    // PyTorch: "pad should be at most half of effective kernel size" (the kernel itself, not its dilated span).
    if (p > Math.floor(kernel[i]! / 2)) {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        'options.padding',
        `at most half the kernel size on each axis (axis ${i}: kernel ${kernel[i]})`,
        describe(o.padding),
      );
    }
  });
  let divisorOverride: number | null = null;
  if (kind === 'avg' && o.divisorOverride !== undefined) {
    if (rank === 1) {
      throw new SimdconvError('INVALID_ARGUMENT', 'options.divisorOverride', 'no divisorOverride for avgPool1d (as PyTorch)', describe(o.divisorOverride));
    }
    const d = o.divisorOverride;
    if (!Number.isInteger(d) || d === 0 || Math.abs(d as number) > 2 ** 31 - 1) {
      throw new SimdconvError('INVALID_ARGUMENT', 'options.divisorOverride', 'a non-zero integer', describe(d));
    }
    divisorOverride = d as number;
  }
  return {
    kind,
    op,
    rank,
    kernel,
    stride,
    padding,
    dilation,
    ceilMode: checkBoolean('options.ceilMode', o.ceilMode, false),
    countIncludePad: kind === 'avg' ? checkBoolean('options.countIncludePad', o.countIncludePad, true) : false,
    divisorOverride,
    outputSize: [],
    returnIndices: kind === 'max' ? checkBoolean('options.returnIndices', o.returnIndices, false) : false,
    layout: resolveLayout(o.layout as Layout | undefined),
  };
}

/** adaptiveAvgPool*d / adaptiveMaxPool*d: the output size and options, checked once. */
export function resolveAdaptiveParams(
  kind: 'adaptive-max' | 'adaptive-avg',
  rank: 1 | 2 | 3,
  outputSize: AdaptiveSize,
  options?: AdaptivePoolOptions & { returnIndices?: boolean },
): PoolParams {
  const op = `${kind === 'adaptive-max' ? 'adaptiveMax' : 'adaptiveAvg'}Pool${rank}d`;
  const o = optionsObject(options, false);
  checkOptionsObject(o, new Set(kind === 'adaptive-max' ? ['layout', 'returnIndices'] : ['layout']));
  const list = typeof outputSize === 'number' ? new Array<number>(rank).fill(outputSize) : outputSize;
  const ok = Array.isArray(list) && list.length === rank && allIndices(list, (v) => v === null || (Number.isInteger(v) && (v as number) >= 1));
  if (!ok) {
    throw new SimdconvError(
      'INVALID_ARGUMENT',
      'outputSize',
      `a positive integer or an array of ${rank} positive integers or nulls (null: the input's size)`,
      describe(outputSize),
    );
  }
  return {
    kind,
    op,
    rank,
    kernel: [],
    stride: [],
    padding: [],
    dilation: [],
    ceilMode: false,
    countIncludePad: false,
    divisorOverride: null,
    outputSize: [...(list as (number | null)[])],
    returnIndices: kind === 'adaptive-max' ? checkBoolean('options.returnIndices', o.returnIndices, false) : false,
    layout: resolveLayout(o.layout as Layout | undefined),
  };
}

/** PyTorch's pooling_output_shape: floor or ceil, and in ceil mode the last window starts inside input or left padding. */
export function pooledSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = d * (k - 1) + 1;
  let out = Math.floor((n + 2 * p - span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

function windowsOf(p: PoolParams, axis: number, n: number, out: number): AxisWindows {
  const start = new Int32Array(out);
  const count = new Int32Array(out);
  const factor = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    if (p.kind === 'adaptive-max' || p.kind === 'adaptive-avg') {
      const a = Math.floor((o * n) / out);
      const b = Math.ceil(((o + 1) * n) / out);
      start[o] = a;
      count[o] = b - a;
      factor[o] = b - a;
      continue;
    }
    const k = p.kernel[axis]!;
    const d = p.dilation[axis]!;
    const raw = o * p.stride[axis]! - p.padding[axis]!;
    // The first tap at or after 0 (PyTorch's `while (ih0 < 0) ih0 += dilation`), and the taps from it inside [0, n).
    const first = raw < 0 ? Math.ceil(-raw / d) : 0;
    const at = raw + first * d;
    const taps = at >= n || first >= k ? 0 : Math.min(k - first, Math.floor((n - 1 - at) / d) + 1);
    start[o] = at;
    count[o] = taps;
    // avg (dilation 1): PyTorch's pool_size counts the window up to the end padding (min(start + k, n + pad)).
    factor[o] = p.countIncludePad ? Math.min(raw + k, n + p.padding[axis]!) - raw : taps;
  }
  return { start, count, factor };
}

export function resolvePoolGeometry(p: PoolParams, inputShape: readonly number[]): PoolGeometry {
  const ndim = inputShape.length;
  const sp = ['W', 'H, W', 'D, H, W'][p.rank - 1]!;
  if (ndim !== p.rank + 1 && ndim !== p.rank + 2) {
    const what = p.layout === 'channels-first' ? `(N, C, ${sp}) or (C, ${sp})` : `(N, ${sp}, C) or (${sp}, C)`;
    throw new SimdconvError('INVALID_RANK', 'input', `${p.rank + 2} dimensions ${what} or ${p.rank + 1} unbatched`, `shape [${inputShape.join(', ')}]`);
  }
  const batched = ndim === p.rank + 2;
  const batch = batched ? inputShape[0]! : 1;
  const last = p.layout === 'channels-last';
  const cAxis = last ? ndim - 1 : batched ? 1 : 0;
  const channels = inputShape[cAxis]!;
  const inSize = last ? inputShape.slice(batched ? 1 : 0, ndim - 1) : inputShape.slice(cAxis + 1);
  if (shapeSize(inputShape) === 0) {
    throw new SimdconvError('EMPTY_OUTPUT', 'input.shape', 'no zero-sized dimension', `[${inputShape.join(', ')}]`);
  }
  let outSize: number[];
  if (p.kind === 'adaptive-max' || p.kind === 'adaptive-avg') {
    outSize = inSize.map((n, i) => p.outputSize[i] ?? n);
  } else {
    outSize = inSize.map((n, i) => pooledSize(n, p.kernel[i]!, p.stride[i]!, p.padding[i]!, p.dilation[i]!, p.ceilMode));
    if (outSize.some((s) => s < 1)) {
      throw new SimdconvError(
        'KERNEL_TOO_LARGE',
        'options.kernelSize',
        `a window that fits the padded input (input size [${inSize.join(', ')}], padding [${p.padding.join(', ')}])`,
        `output size [${outSize.join(', ')}]`,
      );
    }
  }
  const outputShape = last
    ? batched
      ? [batch, ...outSize, channels]
      : [...outSize, channels]
    : batched
      ? [batch, channels, ...outSize]
      : [channels, ...outSize];
  const windows = inSize.map((n, i) => windowsOf(p, i, n, outSize[i]!));
  return {
    params: p,
    batched,
    batch,
    channels,
    inSize,
    outSize,
    inputShape: [...inputShape],
    outputShape,
    windows,
    sequentialDivide: p.kind === 'adaptive-avg',
  };
}
