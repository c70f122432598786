/**
 * Shape math and validation, in one place. Every backend, the reference and the introspection helpers
 * resolve options through these functions, so an option means the same thing everywhere.
 *
 * Two stages, as in XNNPACK's create/reshape split:
 * - `resolveConvParams` checks the weights, bias and options once (plan creation);
 * - `resolveConvGeometry` combines them with an input shape (per distinct input shape).
 */
import { wasmViewOf } from './backends/wasm/heap.js';
import { SimdconvError, describe } from './errors.js';
import type { Activation, Algorithm, AutoPad, ConvOptions, ConvTransposeOptions, Layout, PaddingMode, PaddingPairs, SpatialArg, Tensor } from './types.js';

export type ConvOp = 'conv1d' | 'conv2d' | 'conv3d';
export type ConvTransposeOp = 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d';
export type AnyConvOp = ConvOp | ConvTransposeOp;

export const SPATIAL_RANK: Record<AnyConvOp, 1 | 2 | 3> = {
  conv1d: 1,
  conv2d: 2,
  conv3d: 3,
  convTranspose1d: 1,
  convTranspose2d: 2,
  convTranspose3d: 3,
};

const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/**
 * Whether `ok` holds at every index of an array, holes included (a hole is `undefined`): Array#every skips
 * holes, so `[, 2]` would pass as a stride.
 */
export function allIndices<T>(values: readonly T[], ok: (v: T, i: number) => boolean): boolean {
  for (let i = 0; i < values.length; i++) if (!ok(values[i]!, i)) return false;
  return true;
}

// TypedArray's own getters: a subclass may override `buffer`, `byteOffset` or `length` to lie about where its data is.
const typedArray = Object.getPrototypeOf(Float32Array.prototype) as object;
const intrinsic = (name: string) => Object.getOwnPropertyDescriptor(typedArray, name)!.get!;
const bufferOf = intrinsic('buffer');
const byteOffsetOf = intrinsic('byteOffset');
const lengthOf = intrinsic('length');
const OVERRIDABLE = ['buffer', 'byteOffset', 'byteLength', 'length', 'set', 'subarray', 'slice'];

/**
 * `data` as a plain Float32Array over the same memory, or null when it is not a Float32Array. A Proxy (which
 * passes `instanceof`) is not one; a subclass becomes a plain view, so that none of its methods or getters runs.
 */
function plainFloat32(data: unknown): Float32Array | null {
  if (!ArrayBuffer.isView(data) || !(data instanceof Float32Array)) return null;
  if (Object.getPrototypeOf(data) === Float32Array.prototype && !OVERRIDABLE.some((name) => Object.hasOwn(data, name))) return data;
  return new Float32Array(bufferOf.call(data) as ArrayBufferLike, byteOffsetOf.call(data) as number, lengthOf.call(data) as number);
}

/** The dims of a shape, each index read once (holes read as undefined), or null when it is not an array. */
function readShape(shape: unknown): unknown[] | null {
  if (!Array.isArray(shape)) return null;
  const n = shape.length;
  const dims = new Array<unknown>(n);
  for (let i = 0; i < n; i++) dims[i] = shape[i];
  return dims;
}

/**
 * Validates `{data: Float32Array, shape}` and returns what it validated, each property read once: integer dims
 * (every index: no holes), data length equal to their product. The run uses the returned tensor only.
 */
export function readTensor(argument: string, t: unknown): Tensor {
  if (typeof t !== 'object' || t === null) {
    throw new SimdconvError('INVALID_TENSOR', argument, 'a tensor {data: Float32Array, shape: number[]}', describe(t));
  }
  const { data: rawData, shape: rawShape } = t as { data?: unknown; shape?: unknown };
  const data = plainFloat32(rawData);
  if (data === null) throw new SimdconvError('INVALID_TENSOR', `${argument}.data`, 'a Float32Array', describe(rawData));
  const shape = readShape(rawShape);
  if (shape === null || !allIndices(shape, (d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new SimdconvError('INVALID_TENSOR', `${argument}.shape`, 'an array of non-negative integers', describe(rawShape));
  }
  const dims = shape as number[];
  const size = shapeSize(dims);
  if (size !== data.length) {
    throw new SimdconvError('INVALID_TENSOR', `${argument}.data`, `length ${size} (product of shape [${dims.join(', ')}])`, `length ${data.length}`);
  }
  return { data, shape: dims };
}

/** A per-axis list of 1 to 3 spatial values as 3-D (D, H, W), `fill` in front: one loop nest serves every rank. */
export function to3d(values: readonly number[], fill: number): [number, number, number] {
  const v = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [v[0]!, v[1]!, v[2]!];
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** An int or one int per axis, each >= `min`. */
function expandArg(argument: string, value: SpatialArg | undefined, rank: number, fallback: number, min: number): number[] {
  if (value === undefined) return new Array<number>(rank).fill(fallback);
  const values = typeof value === 'number' ? new Array<number>(rank).fill(value) : value;
  const what = `an integer >= ${min} or an array of ${rank} such integers`;
  if (!Array.isArray(values) || values.length !== rank || !allIndices(values, (v) => Number.isInteger(v) && v >= min)) {
    throw new SimdconvError('INVALID_ARGUMENT', argument, what, describe(value));
  }
  return [...values];
}

/**
 * Numeric padding: an int, one per axis, or one `[before, after]` pair per axis; each >= 0. `what` lists the
 * string forms the op also takes, for the message.
 */
function numericPadding(value: SpatialArg | PaddingPairs | undefined, rank: number, what: string): { before: number[]; after: number[] } {
  if (Array.isArray(value) && value.length === rank && value.some((v) => Array.isArray(v))) {
    const pairs = value as readonly unknown[];
    const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (allIndices(pairs, (pair) => Array.isArray(pair) && pair.length === 2 && ok(pair[0]) && ok(pair[1]))) {
      const list = pairs as readonly (readonly [number, number])[];
      return { before: list.map((pair) => pair[0]), after: list.map((pair) => pair[1]) };
    }
  } else if (typeof value !== 'string') {
    try {
      const both = expandArg('options.padding', value as SpatialArg | undefined, rank, 0, 0);
      return { before: both, after: both };
    } catch {
      // the message below names every form
    }
  }
  throw new SimdconvError(
    'INVALID_ARGUMENT',
    'options.padding',
    `a non-negative integer, an array of ${rank} such integers, ${rank} [before, after] pairs${what}`,
    describe(value),
  );
}

function isAutoPad(value: unknown): value is AutoPad {
  return value === 'same-upper' || value === 'same-lower';
}

/**
 * ONNX's auto_pad split of a total padding: half before, half after, the odd element after for 'same-upper'
 * and before for 'same-lower' (C's truncating division, so a negative total of a transposed conv splits as ONNX).
 */
function splitAutoPad(mode: AutoPad, total: number): [number, number] {
  const half = Math.trunc(total / 2);
  return mode === 'same-upper' ? [half, total - half] : [total - half, half];
}

export interface Clamp {
  readonly min: number;
  readonly max: number;
}

export function resolveActivation(activation: Activation | undefined, argument = 'options.activation'): Clamp {
  if (activation === undefined || activation === 'none') return { min: -Infinity, max: Infinity };
  if (activation === 'relu') return { min: 0, max: Infinity };
  if (activation === 'relu6') return { min: 0, max: 6 };
  if (typeof activation === 'object' && activation !== null && !Array.isArray(activation) && Object.keys(activation).every((k) => k === 'min' || k === 'max')) {
    const min = activation.min ?? -Infinity;
    const max = activation.max ?? Infinity;
    if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
      throw new SimdconvError('INVALID_ARGUMENT', argument, '{min, max} numbers with min <= max', describe(activation));
    }
    return { min, max };
  }
  throw new SimdconvError('INVALID_ARGUMENT', argument, "'none', 'relu', 'relu6' or {min, max}", describe(activation));
}

const ALGORITHMS: readonly Algorithm[] = ['default', 'winograd', 'fast'];

function resolveAlgorithm(algorithm: Algorithm | undefined): Algorithm {
  if (algorithm === undefined) return 'default';
  if (!ALGORITHMS.includes(algorithm)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.algorithm', "'default', 'winograd' or 'fast'", describe(algorithm));
  }
  return algorithm;
}

export function resolveLayout(layout: Layout | undefined): Layout {
  if (layout === undefined) return 'channels-first';
  if (layout === 'channels-first' || layout === 'channels-last') return layout;
  throw new SimdconvError('INVALID_ARGUMENT', 'options.layout', "'channels-first' or 'channels-last'", describe(layout));
}

function resolveGroups(groups: number | undefined): number {
  if (groups === undefined) return 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new SimdconvError('INVALID_GROUPS', 'options.groups', 'a positive integer', describe(groups));
  }
  return groups;
}

const CONV_OPTION_KEYS: ReadonlySet<string> = new Set(['stride', 'padding', 'dilation', 'groups', 'paddingMode', 'activation', 'layout', 'algorithm', 'out']);
const CONV_TRANSPOSE_OPTION_KEYS: ReadonlySet<string> = new Set([
  'stride',
  'padding',
  'outputPadding',
  'dilation',
  'groups',
  'outputSize',
  'activation',
  'layout',
  'out',
]);

/** A plan's options: `out` belongs to `run`. */
export function checkNoOut(options: unknown): void {
  if (typeof options === 'object' && options !== null && (options as { out?: unknown }).out !== undefined) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.out', "no 'out' for a plan (pass it to plan.run(input, out))", 'an out tensor');
  }
}

/** An options object whose keys are all known: a misspelt option (`strides`) is an error, not a silent default. */
export function checkOptionsObject(options: unknown, known: ReadonlySet<string>): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object or undefined', describe(options));
  }
  for (const [key, value] of Object.entries(options)) {
    if (!known.has(key) && value !== undefined) {
      throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, `one of the options ${[...known].join(', ')}`, 'an unknown option');
    }
  }
}

function checkBias(bias: Tensor | null | undefined, outChannels: number): Float32Array | null {
  if (bias === undefined || bias === null) return null;
  bias = readTensor('bias', bias);
  if (bias.shape.length !== 1 || bias.shape[0] !== outChannels) {
    throw new SimdconvError('CHANNEL_MISMATCH', 'bias.shape', `[${outChannels}] (one value per output channel)`, `[${bias.shape.join(', ')}]`);
  }
  return bias.data;
}

/**
 * Everything about a convolution that does not depend on the input, apart from the weight and bias data:
 * all the shape math needs. Introspection (src/introspect.ts) resolves these from a weight *shape*.
 */
/**
 * Per spatial axis: kernel size, stride, dilation, and the zero (or `paddingMode`) padding before and after
 * ('same' resolved: it depends only on kernel and dilation).
 */
export type SpatialParams = { readonly [K in 'kernel' | 'stride' | 'dilation' | 'padBefore' | 'padAfter']: readonly number[] };

export interface ConvShapeParams extends SpatialParams {
  readonly op: AnyConvOp;
  readonly transposed: boolean;
  readonly rank: 1 | 2 | 3;
  /** Input and output channels, all groups together; the input channels are what the weights expect. */
  readonly inChannels: number;
  readonly outChannels: number;
  /** Channel groups: 1 for a dense convolution, inChannels for a depthwise one. */
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /**
   * Convolutions: 'same-upper' / 'same-lower' pad by the input size (ONNX auto_pad), so padBefore/padAfter are
   * 0 here and resolved per input shape (resolveConvGeometry's params); null otherwise. Transposed convs resolve
   * theirs at once (it depends on kernel and stride only) and have null.
   */
  readonly autoPad: AutoPad | null;
  /** Transposed only: extra size at the end of each output axis (ignored when outputSize is given). */
  readonly outputPadding: readonly number[];
  readonly outputSize: readonly number[] | null;
  readonly clamp: Clamp;
  readonly layout: Layout;
  /** Ordinary convolutions only ('default' for transposed ones): see Algorithm. */
  readonly algorithm: Algorithm;
}

/** Everything about a convolution that does not depend on the input: checked once per plan. */
export interface ConvParams extends ConvShapeParams {
  readonly weight: Tensor;
  readonly bias: Float32Array | null;
}

/** A weight shape given without data (introspection): non-negative integers. */
export function checkShapeArg(argument: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || !allIndices(shape, (d) => Number.isInteger(d) && d >= 0)) {
    throw new SimdconvError('INVALID_ARGUMENT', argument, 'an array of non-negative integers', describe(shape));
  }
}

export function resolveConvParams(op: ConvOp, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions | undefined): ConvParams {
  weight = readTensor('weight', weight);
  const shape = convShapeParams(op, weight.shape, options, 'weight', 'weight.shape');
  return { ...shape, weight, bias: checkBias(bias, shape.outChannels) };
}

/** `resolveConvParams` from a weight shape alone (no data): the same checks and the same shape math. */
export function resolveConvShape(op: ConvOp, weightShape: readonly number[], options?: ConvOptions, argument = 'weightShape'): ConvShapeParams {
  checkShapeArg(argument, weightShape);
  return convShapeParams(op, weightShape, options, argument, argument);
}

/**
 * A weight of rank + 2 dimensions (`axes`, then the kernel's) with no empty one, whose first dimension (the
 * output channels of a convolution, the input channels of a transposed one) `groups` divides; returns groups.
 */
function checkWeightShape(
  weightShape: readonly number[],
  rank: number,
  groupsArg: number | undefined,
  axes: string,
  first: string,
  rankArg: string,
  shapeArg: string,
): number {
  if (weightShape.length !== rank + 2) {
    throw new SimdconvError('INVALID_RANK', rankArg, `${rank + 2} dimensions (${axes}, ${kernelAxes(rank)})`, `shape [${weightShape.join(', ')}]`);
  }
  if (shapeSize(weightShape) === 0) {
    throw new SimdconvError('EMPTY_OUTPUT', shapeArg, 'no zero-sized dimension', `[${weightShape.join(', ')}]`);
  }
  const groups = resolveGroups(groupsArg);
  if (weightShape[0]! % groups !== 0) {
    throw new SimdconvError('INVALID_GROUPS', 'options.groups', `a divisor of the ${first} channels (${weightShape[0]})`, String(groups));
  }
  return groups;
}

function convShapeParams(op: ConvOp, weightShape: readonly number[], options: ConvOptions | undefined, rankArg: string, shapeArg: string): ConvShapeParams {
  checkOptionsObject(options, CONV_OPTION_KEYS);
  const o = options ?? {};
  const rank = SPATIAL_RANK[op];
  const groups = checkWeightShape(weightShape, rank, o.groups, 'Cout, Cin/groups', 'output', rankArg, shapeArg);
  const outChannels = weightShape[0]!;
  const kernel = weightShape.slice(2);
  const stride = expandArg('options.stride', o.stride, rank, 1, 1);
  const dilation = expandArg('options.dilation', o.dilation, rank, 1, 1);
  const paddingMode = o.paddingMode === undefined ? 'zeros' : o.paddingMode;
  if (!PADDING_MODES.includes(paddingMode)) {
    throw new SimdconvError('INVALID_PADDING_MODE', 'options.paddingMode', "'zeros', 'reflect', 'replicate' or 'circular'", describe(paddingMode));
  }
  let padBefore: number[];
  let padAfter: number[];
  const autoPad = isAutoPad(o.padding) ? o.padding : null;
  if (o.padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        'options.padding',
        "stride 1 on every axis with padding 'same' (as PyTorch; 'same-upper' or 'same-lower' take any stride)",
        `stride [${stride.join(', ')}]`,
      );
    }
    // PyTorch: total = dilation*(k-1), the odd element goes at the end.
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    padBefore = total.map((t) => Math.floor(t / 2));
    padAfter = total.map((t, i) => t - padBefore[i]!);
  } else if (o.padding === 'valid' || autoPad) {
    padBefore = new Array<number>(rank).fill(0);
    padAfter = padBefore;
  } else {
    ({ before: padBefore, after: padAfter } = numericPadding(
      o.padding as SpatialArg | PaddingPairs | undefined,
      rank,
      ", 'same', 'valid', 'same-upper' or 'same-lower'",
    ));
  }
  return {
    op,
    transposed: false,
    rank,
    inChannels: weightShape[1]! * groups,
    outChannels,
    groups,
    kernel,
    stride,
    dilation,
    padBefore,
    padAfter,
    paddingMode,
    autoPad,
    outputPadding: new Array<number>(rank).fill(0),
    outputSize: null,
    clamp: resolveActivation(o.activation),
    layout: resolveLayout(o.layout),
    algorithm: resolveAlgorithm(o.algorithm),
  };
}

export function resolveConvTransposeParams(
  op: ConvTransposeOp,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ConvTransposeOptions | undefined,
): ConvParams {
  weight = readTensor('weight', weight);
  const shape = convTransposeShapeParams(op, weight.shape, options, 'weight', 'weight.shape');
  return { ...shape, weight, bias: checkBias(bias, shape.outChannels) };
}

/** `resolveConvTransposeParams` from a weight shape alone (no data). */
export function resolveConvTransposeShape(
  op: ConvTransposeOp,
  weightShape: readonly number[],
  options?: ConvTransposeOptions,
  argument = 'weightShape',
): ConvShapeParams {
  checkShapeArg(argument, weightShape);
  return convTransposeShapeParams(op, weightShape, options, argument, argument);
}

function convTransposeShapeParams(
  op: ConvTransposeOp,
  weightShape: readonly number[],
  options: ConvTransposeOptions | undefined,
  rankArg: string,
  shapeArg: string,
): ConvShapeParams {
  checkOptionsObject(options, CONV_TRANSPOSE_OPTION_KEYS);
  const o = options ?? {};
  const rank = SPATIAL_RANK[op];
  const groups = checkWeightShape(weightShape, rank, o.groups, 'Cin, Cout/groups', 'input', rankArg, shapeArg);
  const inChannels = weightShape[0]!;
  const outChannels = weightShape[1]! * groups;
  const kernel = weightShape.slice(2);
  const stride = expandArg('options.stride', o.stride, rank, 1, 1);
  const dilation = expandArg('options.dilation', o.dilation, rank, 1, 1);
  const outputPadding = expandArg('options.outputPadding', o.outputPadding, rank, 0, 0);
  outputPadding.forEach((p, i) => {
    if (p >= stride[i]! && p >= dilation[i]!) {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        'options.outputPadding',
        `each value smaller than stride or dilation on its axis (axis ${i}: stride ${stride[i]}, dilation ${dilation[i]})`,
        describe(o.outputPadding),
      );
    }
  });
  let padBefore: number[];
  let padAfter: number[];
  if (isAutoPad(o.padding)) {
    if (o.outputSize !== undefined) {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        'options.outputSize',
        `no outputSize with padding '${o.padding}' (it sets the output size: input size * stride)`,
        describe(o.outputSize),
      );
    }
    // ONNX ConvTranspose: output = input * stride, so total = stride*(n-1) + outputPadding + span - n*stride, the
    // same for every n. Negative where the kernel spans less than the stride: the output then extends past the
    // full one by positions that hold the bias only.
    const split = kernel.map((k, i) => splitAutoPad(o.padding as AutoPad, dilation[i]! * (k - 1) + 1 + outputPadding[i]! - stride[i]!));
    padBefore = split.map((pair) => pair[0]);
    padAfter = split.map((pair) => pair[1]);
  } else {
    ({ before: padBefore, after: padAfter } = numericPadding(
      o.padding as SpatialArg | PaddingPairs | undefined,
      rank,
      ", 'same-upper' or 'same-lower' (PyTorch's 'same' and 'valid' are for convolutions)",
    ));
  }
  let outputSize: number[] | null = null;
  if (o.outputSize !== undefined) {
    if (!Array.isArray(o.outputSize) || o.outputSize.length !== rank || !allIndices(o.outputSize, (v) => Number.isInteger(v) && v >= 1)) {
      throw new SimdconvError('INVALID_ARGUMENT', 'options.outputSize', `an array of ${rank} positive integers (spatial sizes)`, describe(o.outputSize));
    }
    outputSize = [...o.outputSize];
  }
  return {
    op,
    transposed: true,
    rank,
    inChannels,
    outChannels,
    groups,
    kernel,
    stride,
    dilation,
    padBefore,
    padAfter,
    paddingMode: 'zeros',
    autoPad: null,
    outputPadding,
    outputSize,
    clamp: resolveActivation(o.activation),
    layout: resolveLayout(o.layout),
    algorithm: 'default',
  };
}

/**
 * A convolution with a concrete input shape: everything a kernel needs. `P` is `ConvShapeParams` when
 * resolved from shapes alone (introspection).
 */
export interface ConvGeometry<P extends ConvShapeParams = ConvParams> {
  readonly params: P;
  /** Whether the input has a batch axis (else it is one unbatched image, as PyTorch allows). */
  readonly batched: boolean;
  /** Images in the input (1 when unbatched). */
  readonly batch: number;
  /** Spatial sizes of one input image and of its output, per axis (D, H, W as the rank has them). */
  readonly inSize: readonly number[];
  readonly outSize: readonly number[];
  /** Transposed: the output padding actually used (from outputSize when given). */
  readonly outputPadding: readonly number[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Multiply-accumulates per output element: (Cin/groups) * prod(kernel) (for transposed: per input element). */
  readonly reductionSize: number;
  /** Multiply-accumulates of the whole call. */
  readonly macs: number;
}

function kernelAxes(rank: number): string {
  return ['kW', 'kH, kW', 'kD, kH, kW'][rank - 1]!;
}

function inputDescription(p: ConvShapeParams): string {
  const sp = ['W', 'H, W', 'D, H, W'][p.rank - 1]!;
  return p.layout === 'channels-first' ? `(N, C, ${sp}) or (C, ${sp})` : `(N, ${sp}, C) or (${sp}, C)`;
}

function channelsAxis(p: ConvShapeParams, ndim: number): number {
  const batched = ndim === p.rank + 2;
  return p.layout === 'channels-first' ? (batched ? 1 : 0) : ndim - 1;
}

export function resolveConvGeometry<P extends ConvShapeParams>(p: P, inputShape: readonly number[]): ConvGeometry<P> {
  const ndim = inputShape.length;
  if (ndim !== p.rank + 1 && ndim !== p.rank + 2) {
    throw new SimdconvError(
      'INVALID_RANK',
      'input',
      `${p.rank + 2} dimensions ${inputDescription(p)} or ${p.rank + 1} unbatched`,
      `shape [${inputShape.join(', ')}]`,
    );
  }
  const batched = ndim === p.rank + 2;
  const cAxis = channelsAxis(p, ndim);
  const channels = inputShape[cAxis]!;
  const batch = batched ? inputShape[0]! : 1;
  const inSize = p.layout === 'channels-first' ? inputShape.slice(cAxis + 1) : inputShape.slice(batched ? 1 : 0, ndim - 1);
  if (channels % p.groups !== 0) {
    throw new SimdconvError('INVALID_GROUPS', 'options.groups', `a divisor of the input channels (input.shape[${cAxis}] = ${channels})`, String(p.groups));
  }
  if (channels !== p.inChannels) {
    const what = p.transposed ? `${p.inChannels} (weight.shape[0])` : `${p.inChannels} (weight.shape[1] * groups = ${p.inChannels / p.groups} * ${p.groups})`;
    throw new SimdconvError('CHANNEL_MISMATCH', `input.shape[${cAxis}]`, `${what} input channels`, String(channels));
  }
  if (batch === 0 || inSize.some((s) => s === 0)) {
    throw new SimdconvError('EMPTY_OUTPUT', 'input.shape', 'no zero-sized dimension', `[${inputShape.join(', ')}]`);
  }
  const outSize: number[] = [];
  let outputPadding = p.outputPadding;
  if (p.transposed) {
    const minSize = inSize.map((n, i) => (n - 1) * p.stride[i]! - p.padBefore[i]! - p.padAfter[i]! + p.dilation[i]! * (p.kernel[i]! - 1) + 1);
    if (p.outputSize !== null) {
      const requested = p.outputSize;
      const ok = requested.every((s, i) => s >= minSize[i]! && s <= minSize[i]! + p.stride[i]! - 1);
      if (!ok) {
        const ranges = minSize.map((m, i) => `${m}..${m + p.stride[i]! - 1}`).join(', ');
        throw new SimdconvError('INVALID_ARGUMENT', 'options.outputSize', `sizes within [${ranges}] for this input`, `[${requested.join(', ')}]`);
      }
      outputPadding = requested.map((s, i) => s - minSize[i]!);
    }
    minSize.forEach((m, i) => {
      const size = m + outputPadding[i]!;
      if (size < 1) {
        throw new SimdconvError('EMPTY_OUTPUT', 'options.padding', `padding small enough for a non-empty output on axis ${i}`, `output size ${size}`);
      }
      outSize.push(size);
    });
  } else {
    if (p.autoPad) p = autoPadded(p, inSize);
    checkPaddingMode(p, inSize);
    for (let i = 0; i < p.rank; i++) {
      const padded = inSize[i]! + p.padBefore[i]! + p.padAfter[i]!;
      const span = p.dilation[i]! * (p.kernel[i]! - 1) + 1;
      if (span > padded) {
        throw new SimdconvError(
          'KERNEL_TOO_LARGE',
          'weight.shape',
          `a kernel whose dilated extent fits the padded input on axis ${i} (${padded})`,
          `extent ${span} (kernel ${p.kernel[i]}, dilation ${p.dilation[i]})`,
        );
      }
      outSize.push(Math.floor((padded - span) / p.stride[i]!) + 1);
    }
    p = oneWindowAxes(p, inSize, outSize);
  }
  const c = p.outChannels;
  const outputShape = p.layout === 'channels-first' ? (batched ? [batch, c, ...outSize] : [c, ...outSize]) : batched ? [batch, ...outSize, c] : [...outSize, c];
  const kernelSize = shapeSize(p.kernel);
  const reductionSize = p.transposed ? (p.outChannels / p.groups) * kernelSize : (p.inChannels / p.groups) * kernelSize;
  const macs = p.transposed
    ? batch * p.inChannels * shapeSize(inSize) * (p.outChannels / p.groups) * kernelSize
    : batch * p.outChannels * shapeSize(outSize) * (p.inChannels / p.groups) * kernelSize;
  return { params: p, batched, batch, inSize, outSize, outputPadding, inputShape: [...inputShape], outputShape, reductionSize, macs };
}

/** 'same-upper' / 'same-lower' for this input: ceil(n / stride) outputs per axis, padded as ONNX splits it. */
function autoPadded<P extends ConvShapeParams>(p: P, inSize: readonly number[]): P {
  const split = inSize.map((n, i) => {
    const span = p.dilation[i]! * (p.kernel[i]! - 1) + 1;
    return splitAutoPad(p.autoPad!, Math.max(0, (Math.ceil(n / p.stride[i]!) - 1) * p.stride[i]! + span - n));
  });
  return { ...p, padBefore: split.map((pair) => pair[0]), padAfter: split.map((pair) => pair[1]), autoPad: null };
}

/**
 * An axis with one output position reads one window whatever its stride, and no padding past that window: there
 * zero or replicate padding is trimmed to the window and the stride becomes the least one that still gives one
 * output (the padded size minus the window, plus 1: so the output size formula holds for the kernels), so that
 * no buffer (a stride-phase split, a padded copy) grows with a stride or a padding that selects nothing (#30.1).
 * Same values: the window's taps read the same input positions, or padding of the same value.
 */
function oneWindowAxes<P extends ConvShapeParams>(p: P, inSize: readonly number[], outSize: readonly number[]): P {
  const trim = p.paddingMode === 'zeros' || p.paddingMode === 'replicate';
  let q = p;
  for (let i = 0; i < p.rank; i++) {
    if (outSize[i] !== 1) continue;
    const span = p.dilation[i]! * (p.kernel[i]! - 1) + 1;
    const before = trim ? Math.min(p.padBefore[i]!, span) : p.padBefore[i]!;
    const after = trim ? Math.max(0, span - before - inSize[i]!) : p.padAfter[i]!;
    const stride = Math.min(p.stride[i]!, inSize[i]! + before + after - span + 1);
    if (stride === p.stride[i] && before === p.padBefore[i] && after === p.padAfter[i]) continue;
    const set = (values: readonly number[], v: number) => values.map((x, j) => (j === i ? v : x));
    q = { ...q, stride: set(q.stride, stride), padBefore: set(q.padBefore, before), padAfter: set(q.padAfter, after) };
  }
  return q;
}

/** PyTorch's limits: reflect needs pad < size, circular pad <= size, replicate any pad on a non-empty axis. */
function checkPaddingMode(p: ConvShapeParams, inSize: readonly number[]): void {
  if (p.paddingMode === 'zeros' || p.paddingMode === 'replicate') return;
  for (let i = 0; i < p.rank; i++) {
    const pad = Math.max(p.padBefore[i]!, p.padAfter[i]!);
    const n = inSize[i]!;
    if (p.paddingMode === 'reflect' && pad >= n) {
      throw new SimdconvError('INVALID_PADDING_MODE', 'options.padding', `padding smaller than the input size ${n} on axis ${i} for 'reflect'`, String(pad));
    }
    if (p.paddingMode === 'circular' && pad > n) {
      throw new SimdconvError('INVALID_PADDING_MODE', 'options.padding', `padding at most the input size ${n} on axis ${i} for 'circular'`, String(pad));
    }
  }
}

/**
 * Checks a caller-provided output buffer against the geometry and returns what it checked (each property read
 * once; `data` a plain view). A view of wasm memory must be a live tensor exactly: writing anywhere else there
 * would overwrite a plan's buffers or the module's data.
 */
export function checkOut(out: unknown, g: { readonly outputShape: readonly number[] }, input: Tensor): Tensor {
  if (typeof out !== 'object' || out === null) {
    throw new SimdconvError('INVALID_TENSOR', 'options.out', 'a tensor {data: Float32Array, shape: number[]}', describe(out));
  }
  const { data: rawData, shape: rawShape } = out as { data?: unknown; shape?: unknown };
  const data = plainFloat32(rawData);
  if (data === null) throw new SimdconvError('INVALID_TENSOR', 'options.out.data', 'a Float32Array', describe(rawData));
  const expected = g.outputShape;
  const shape = readShape(rawShape);
  if (shape === null || shape.length !== expected.length || !allIndices(expected, (d, k) => d === shape[k])) {
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out.shape', `[${expected.join(', ')}]`, describe(rawShape));
  }
  const size = shapeSize(expected);
  if (data.length !== size) {
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out.data', `length ${size} (the output shape [${expected.join(', ')}])`, `length ${data.length}`);
  }
  checkWritable('options.out.data', data);
  if (overlaps(data, input.data)) {
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out', 'a buffer that does not overlap the input', 'a view overlapping input.data');
  }
  return { data, shape: [...expected] };
}

/** Whether two views share bytes. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Throws unless `data` is outside wasm memory or exactly a live tensor there (heap.ts wasmViewOf). */
export function checkWritable(argument: string, data: Float32Array): void {
  const at = wasmViewOf(data);
  if (at !== null && at.tensor === null) {
    throw new SimdconvError(
      'INVALID_TENSOR',
      argument,
      "an array outside wasm memory, or a live tensor of a context (exactly its 'data')",
      `a view of wasm memory at byte ${data.byteOffset}, length ${data.length}, that is not a live tensor (a disposed tensor's, or part of one)`,
    );
  }
}

/** Maps an output index on one axis to the input index it reads for a non-zeros padding mode (-1: zero). */
export function sourceIndex(mode: PaddingMode, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'replicate':
      return i < 0 ? 0 : n - 1;
    case 'reflect':
      return i < 0 ? -i : 2 * (n - 1) - i;
    case 'circular':
      return ((i % n) + n) % n;
  }
}
