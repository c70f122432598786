/**
 * Introspection from shapes alone: output shapes, parameter counts, multiply-accumulates and receptive
 * fields. The shape math is src/shape.ts's (resolveConvShape / resolveConvTransposeShape /
 * resolveConvGeometry, the same functions every op runs), so what these report is what the ops do.
 */
import { renameArgument } from './chain.js';
import { SimdconvError, describe } from './errors.js';
import {
  type AnyConvOp,
  type ConvGeometry,
  type ConvOp,
  type ConvShapeParams,
  type ConvTransposeOp,
  SPATIAL_RANK,
  allIndices,
  resolveConvGeometry,
  resolveConvShape,
  resolveConvTransposeShape,
  shapeSize,
} from './shape.js';
import type { ConvOptions, ConvTransposeOptions, SpatialArg } from './types.js';

type OptionsFor<Op extends AnyConvOp> = Op extends ConvOp ? ConvOptions : ConvTransposeOptions;

const TRANSPOSED = new Set<AnyConvOp>(['convTranspose1d', 'convTranspose2d', 'convTranspose3d']);

function checkOp(op: unknown): AnyConvOp {
  if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(SPATIAL_RANK, op)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'op', `one of ${Object.keys(SPATIAL_RANK).join(', ')}`, describe(op));
  }
  return op as AnyConvOp;
}

function shapeParams(op: AnyConvOp, weightShape: readonly number[], options: ConvOptions | ConvTransposeOptions | undefined): ConvShapeParams {
  return TRANSPOSED.has(op)
    ? resolveConvTransposeShape(op as ConvTransposeOp, weightShape, options as ConvTransposeOptions | undefined)
    : resolveConvShape(op as ConvOp, weightShape, options as ConvOptions | undefined);
}

/** Error arguments of the geometry checks, named after introspection's parameters. */
const RENAME = { 'input.shape': 'inputShape', input: 'inputShape', 'weight.shape': 'weightShape', weight: 'weightShape' };

function geometry(
  op: unknown,
  inputShape: unknown,
  weightShape: readonly number[],
  options: ConvOptions | ConvTransposeOptions | undefined,
): ConvGeometry<ConvShapeParams> {
  const p = shapeParams(checkOp(op), weightShape, options);
  if (!Array.isArray(inputShape) || !allIndices(inputShape, (d) => Number.isInteger(d) && d >= 0)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'inputShape', 'an array of non-negative integers', describe(inputShape));
  }
  try {
    return resolveConvGeometry(p, inputShape);
  } catch (e) {
    throw renameArgument(e, RENAME);
  }
}

/**
 * The output shape of `op` on an input shape, without any data: the same checks and shape math as the op
 * (so it throws the same SimdconvError, with `inputShape` / `weightShape` as the argument names).
 * Weight shapes are PyTorch's: conv (Cout, Cin/groups, *k), transposed (Cin, Cout/groups, *k).
 */
export function convOutputShape<Op extends AnyConvOp>(
  op: Op,
  inputShape: readonly number[],
  weightShape: readonly number[],
  options?: OptionsFor<Op>,
): number[] {
  return [...geometry(op, inputShape, weightShape, options).outputShape];
}

/** Multiply-accumulates of one call (bias adds and activations not counted). */
export function convMacs<Op extends AnyConvOp>(op: Op, inputShape: readonly number[], weightShape: readonly number[], options?: OptionsFor<Op>): number {
  return geometry(op, inputShape, weightShape, options).macs;
}

/** Floating-point operations of one call, counted as 2 per multiply-accumulate (the usual convention). */
export function convFlops<Op extends AnyConvOp>(op: Op, inputShape: readonly number[], weightShape: readonly number[], options?: OptionsFor<Op>): number {
  return 2 * convMacs(op, inputShape, weightShape, options);
}

export interface ParameterCountOptions {
  /** Count one bias value per output channel. Default false. */
  bias?: boolean;
  /** Needed only for transposed convolutions with a bias (Cout = weightShape[1] * groups). Default 1. */
  groups?: number;
}

/**
 * Learnable values of a convolution: prod(weightShape), plus Cout with a bias. The weight shape already
 * carries the grouping: 64 -> 128, 3x3 is (128, 64, 3, 3) = 73,728 weights; with groups = 2 it is
 * (128, 32, 3, 3) = 36,864 (`convWeightShape` builds the shape from channel counts).
 */
export function convParameterCount(op: AnyConvOp, weightShape: readonly number[], options?: ParameterCountOptions): number {
  const checked = checkOp(op);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object or undefined', describe(options));
  }
  const bias = options?.bias ?? false;
  if (typeof bias !== 'boolean') throw new SimdconvError('INVALID_ARGUMENT', 'options.bias', 'a boolean', describe(bias));
  const p = shapeParams(checked, weightShape, { groups: options?.groups });
  return shapeSize(weightShape) + (bias ? p.outChannels : 0);
}

export interface WeightShapeOptions {
  inChannels: number;
  outChannels: number;
  /** An integer for every axis or one per axis. */
  kernelSize: SpatialArg;
  /** Default 1. */
  groups?: number;
}

/** PyTorch's weight shape for a convolution: conv (Cout, Cin/groups, *k), transposed (Cin, Cout/groups, *k). */
export function convWeightShape(op: AnyConvOp, options: WeightShapeOptions): number[] {
  const checked = checkOp(op);
  if (typeof options !== 'object' || options === null) throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object', describe(options));
  const rank = SPATIAL_RANK[checked];
  const { inChannels, outChannels, kernelSize } = options;
  const groups = options.groups ?? 1;
  for (const [name, v] of [
    ['options.inChannels', inChannels],
    ['options.outChannels', outChannels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new SimdconvError('INVALID_ARGUMENT', name, 'a positive integer', describe(v));
  }
  const kernel = typeof kernelSize === 'number' ? new Array<number>(rank).fill(kernelSize) : kernelSize;
  if (!Array.isArray(kernel) || kernel.length !== rank || !allIndices(kernel, (k) => Number.isInteger(k) && k >= 1)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.kernelSize', `a positive integer or an array of ${rank} of them`, describe(kernelSize));
  }
  if (!Number.isInteger(groups) || groups < 1) throw new SimdconvError('INVALID_GROUPS', 'options.groups', 'a positive integer', describe(groups));
  for (const [name, v] of [
    ['input', inChannels],
    ['output', outChannels],
  ] as const) {
    if (v % groups !== 0) throw new SimdconvError('INVALID_GROUPS', 'options.groups', `a divisor of the ${name} channels (${v})`, String(groups));
  }
  const shape = TRANSPOSED.has(checked) ? [inChannels, outChannels / groups, ...kernel] : [outChannels, inChannels / groups, ...kernel];
  shapeParams(checked, shape, { groups }); // the ops' own checks, as a guard
  return shape;
}

// ---------------------------------------------------------------------------------------------------------
// Receptive fields

export interface ReceptiveFieldLayer {
  /** Kernel size (convolution or pooling window). */
  kernel: SpatialArg;
  /** Default 1. */
  stride?: SpatialArg;
  /** Default 1. */
  dilation?: SpatialArg;
  /** Padding before each axis (after is irrelevant to the field): an int, per axis, 'same' (PyTorch's rule) or 'valid'. Default 0. */
  padding?: SpatialArg | 'same' | 'valid';
}

export interface ReceptiveFieldStep {
  /** dilation * (kernel - 1) + 1. */
  readonly effectiveKernel: number;
  /** Receptive field size after this layer, in input elements. */
  readonly size: number;
  /** Distance in input elements between neighbouring outputs of this layer (cumulative stride). */
  readonly jump: number;
  /** Input index of the first element in output 0's field (negative: it starts in the padding). */
  readonly start: number;
  /** Input coordinate of the centre of output 0's field: start + (size - 1) / 2. */
  readonly center: number;
}

export interface ReceptiveFieldAxis extends Omit<ReceptiveFieldStep, 'effectiveKernel'> {
  /** The recurrence after each layer, in order. */
  readonly layers: readonly ReceptiveFieldStep[];
}

/**
 * The receptive field of a stack of convolution / pooling layers, per spatial axis, by the textbook
 * recurrence (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019):
 *   k_eff = d (k - 1) + 1;   size_out = size_in + (k_eff - 1) jump_in;   jump_out = jump_in s;
 *   start_out = start_in - pad jump_in,   starting from size 1, jump 1, start 0.
 * Output element u of the stack sees input elements [start + u jump, start + u jump + size - 1] (every one of
 * them unless dilation leaves gaps). The rank is `options.rank`, else the length of the per-axis arrays
 * given, else 1.
 */
export function receptiveField(layers: readonly ReceptiveFieldLayer[], options?: { rank?: number }): ReceptiveFieldAxis[] {
  if (!Array.isArray(layers))
    throw new SimdconvError('INVALID_ARGUMENT', 'layers', 'an array of layers {kernel, stride?, dilation?, padding?}', describe(layers));
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object or undefined', describe(options));
  }
  let rank = options?.rank;
  if (rank !== undefined && (!Number.isInteger(rank) || rank < 1))
    throw new SimdconvError('INVALID_ARGUMENT', 'options.rank', 'a positive integer', describe(rank));
  layers.forEach((layer, i) => {
    if (typeof layer !== 'object' || layer === null)
      throw new SimdconvError('INVALID_ARGUMENT', `layers[${i}]`, 'a layer {kernel, stride?, dilation?, padding?}', describe(layer));
  });
  if (rank === undefined) {
    const lengths = layers.flatMap((l) => [l.kernel, l.stride, l.dilation, l.padding].filter(Array.isArray).map((a) => (a as readonly number[]).length));
    rank = lengths[0] ?? 1;
  }
  const r = rank;
  const axisValues = (i: number, key: string, value: SpatialArg | undefined, fallback: number, min: number): number[] => {
    const argument = `layers[${i}].${key}`;
    if (value === undefined) return new Array<number>(r).fill(fallback);
    const values = typeof value === 'number' ? new Array<number>(r).fill(value) : value;
    if (!Array.isArray(values) || values.length !== r || !allIndices(values, (v) => Number.isInteger(v) && v >= min)) {
      throw new SimdconvError('INVALID_ARGUMENT', argument, `an integer >= ${min} or an array of ${r} such integers`, describe(value));
    }
    return [...values];
  };
  const resolved = layers.map((layer, i) => {
    if (layer.kernel === undefined) throw new SimdconvError('INVALID_ARGUMENT', `layers[${i}].kernel`, 'a kernel size', 'undefined');
    const kernel = axisValues(i, 'kernel', layer.kernel, 1, 1);
    const stride = axisValues(i, 'stride', layer.stride, 1, 1);
    const dilation = axisValues(i, 'dilation', layer.dilation, 1, 1);
    const effective = kernel.map((k, a) => dilation[a]! * (k - 1) + 1);
    let padding: number[];
    if (layer.padding === 'same') padding = effective.map((e) => Math.floor((e - 1) / 2));
    else if (layer.padding === 'valid') padding = new Array<number>(r).fill(0);
    else if (typeof layer.padding === 'string') {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        `layers[${i}].padding`,
        "a non-negative integer, an array of them, 'same' or 'valid'",
        describe(layer.padding),
      );
    } else padding = axisValues(i, 'padding', layer.padding, 0, 0);
    return { stride, effective, padding };
  });
  return Array.from({ length: r }, (_, a) => {
    let size = 1;
    let jump = 1;
    let start = 0;
    const steps = resolved.map(({ stride, effective, padding }): ReceptiveFieldStep => {
      size += (effective[a]! - 1) * jump;
      start -= padding[a]! * jump;
      jump *= stride[a]!;
      return { effectiveKernel: effective[a]!, size, jump, start, center: start + (size - 1) / 2 };
    });
    return { size, jump, start, center: start + (size - 1) / 2, layers: steps };
  });
}
