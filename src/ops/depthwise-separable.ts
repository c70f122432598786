/**
 * Depthwise-separable convolution (MobileNet): a depthwise convolution (groups = C, weight (C*M, 1, *k),
 * M the depth multiplier) followed by a pointwise one (weight (Cout, C*M, 1...)), with an activation between
 * them. On the wasm backend the intermediate stays in wasm memory (`Context.createChain`).
 *
 * Definition, which the tests check against:
 *   depthwiseSeparableConv2d(x, dw, pw, o) =
 *     conv2d(conv2d(x, dw, o.depthwiseBias, { groups: C, stride, padding, dilation, paddingMode, activation, layout }),
 *            pw, o.pointwiseBias, { activation: outActivation, layout })
 */
import type { ChainStage } from '../chain.js';
import { withRenamed } from '../chain.js';
import { chainMakers } from '../backends/wasm/chain.js';
import { type Context, getContext } from '../context.js';
import { SimdconvError } from '../errors.js';
import { readTensor, resolveConvParams } from '../shape.js';
import type { Activation, ConvOptions, Layout, PaddingMode, SpatialArg, Tensor } from '../types.js';
import {
  ChainCompositePlan,
  type CompositePlan,
  checkOptionKeys,
  checkPlanOptions,
  checkPositiveInt,
  checkWeight,
  inputChannels,
  runOnce,
} from './composite.js';

export interface DepthwiseSeparableOptions {
  /** Bias of the depthwise stage, (C*M). */
  depthwiseBias?: Tensor | null;
  /** Bias of the pointwise stage, (Cout). */
  pointwiseBias?: Tensor | null;
  /** Of the depthwise stage (the pointwise one is 1x1, stride 1, no padding). */
  stride?: SpatialArg;
  padding?: ConvOptions['padding'];
  dilation?: SpatialArg;
  paddingMode?: PaddingMode;
  /**
   * M: output channels per input channel of the depthwise stage, so C = depthwiseWeight.shape[0] / M.
   * The one-shot functions infer it from the input's channels; plans default to 1.
   */
  depthMultiplier?: number;
  /** After the depthwise stage (its bias included), before the pointwise one. Default 'none'. */
  activation?: Activation;
  /** After the pointwise stage. Default 'none'. */
  outActivation?: Activation;
  layout?: Layout;
  /** Preallocated output (one-shot functions only). */
  out?: Tensor;
}

export type DepthwiseSeparablePlanOptions = Omit<DepthwiseSeparableOptions, 'out'>;

const KEYS = [
  'depthwiseBias',
  'pointwiseBias',
  'stride',
  'padding',
  'dilation',
  'paddingMode',
  'depthMultiplier',
  'activation',
  'outActivation',
  'layout',
  'out',
];

function create(
  op: 'conv1d' | 'conv2d',
  depthwiseWeight: Tensor,
  pointwiseWeight: Tensor,
  options: DepthwiseSeparablePlanOptions | undefined,
  context: Context | undefined,
): CompositePlan {
  const ctx = context ?? getContext();
  const name = op === 'conv1d' ? 'depthwise-separable-conv1d' : 'depthwise-separable-conv2d';
  checkOptionKeys(options, KEYS, name);
  const o = options ?? {};
  const rank = op === 'conv1d' ? 1 : 2;
  const ones = new Array<string>(rank).fill('1').join(', ');

  depthwiseWeight = checkWeight(op, 'depthwiseWeight', depthwiseWeight);
  const multiplier = o.depthMultiplier === undefined ? 1 : checkPositiveInt('options.depthMultiplier', o.depthMultiplier);
  const cm = depthwiseWeight.shape[0]!;
  if (depthwiseWeight.shape[1] !== 1) {
    throw new SimdconvError(
      'CHANNEL_MISMATCH',
      'depthwiseWeight.shape[1]',
      `1 (a depthwise weight is (C*M, 1, ${rank === 1 ? 'kW' : 'kH, kW'}): one input channel per group)`,
      String(depthwiseWeight.shape[1]),
    );
  }
  if (cm % multiplier !== 0) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.depthMultiplier', `a divisor of depthwiseWeight.shape[0] (C*M = ${cm})`, String(multiplier));
  }
  const depthwiseRename = { weight: 'depthwiseWeight', bias: 'options.depthwiseBias' };
  const depthwise = withRenamed(depthwiseRename, () =>
    resolveConvParams(op, depthwiseWeight, o.depthwiseBias, {
      groups: cm / multiplier,
      stride: o.stride,
      padding: o.padding,
      dilation: o.dilation,
      paddingMode: o.paddingMode,
      activation: o.activation,
      layout: o.layout,
    }),
  );

  pointwiseWeight = checkWeight(op, 'pointwiseWeight', pointwiseWeight);
  if (pointwiseWeight.shape.slice(2).some((k) => k !== 1)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'pointwiseWeight.shape', `(Cout, C*M, ${ones}): a pointwise kernel`, `[${pointwiseWeight.shape.join(', ')}]`);
  }
  if (pointwiseWeight.shape[1] !== cm) {
    throw new SimdconvError(
      'CHANNEL_MISMATCH',
      'pointwiseWeight.shape[1]',
      `${cm} (depthwiseWeight.shape[0]: the depthwise stage's output channels)`,
      String(pointwiseWeight.shape[1]),
    );
  }
  const pointwiseRename = { weight: 'pointwiseWeight', bias: 'options.pointwiseBias', 'options.activation': 'options.outActivation' };
  const pointwise = withRenamed(pointwiseRename, () =>
    resolveConvParams(op, pointwiseWeight, o.pointwiseBias, { activation: o.outActivation, layout: o.layout } satisfies ConvOptions),
  );

  const stages: ChainStage[] = [
    { name: 'depthwise', params: depthwise, rename: depthwiseRename },
    { name: 'pointwise', params: pointwise, rename: pointwiseRename },
  ];
  return new ChainCompositePlan(name, ctx.createChain(stages, chainMakers));
}

/** The depth multiplier the input implies (weights (C*M, ...) on C input channels), when it divides evenly. */
function inferMultiplier(
  op: 'conv1d' | 'conv2d',
  input: Tensor,
  depthwiseWeight: Tensor,
  options: DepthwiseSeparableOptions | undefined,
): DepthwiseSeparableOptions | undefined {
  if (options?.depthMultiplier !== undefined) return options;
  input = readTensor('input', input);
  depthwiseWeight = readTensor('depthwiseWeight', depthwiseWeight);
  const layout = options?.layout;
  const c = inputChannels(input.shape, op === 'conv1d' ? 1 : 2, layout);
  const cm = depthwiseWeight.shape[0];
  if (c === null || cm === undefined) return options; // the plan reports the bad rank
  if (c === 0 || cm % c !== 0) {
    const axis = layout === 'channels-last' ? input.shape.length - 1 : input.shape.length === (op === 'conv1d' ? 3 : 4) ? 1 : 0;
    throw new SimdconvError('CHANNEL_MISMATCH', `input.shape[${axis}]`, `a divisor of depthwiseWeight.shape[0] (C*M = ${cm}) input channels`, String(c));
  }
  return { ...options, depthMultiplier: cm / c };
}

/** The one-shot op: the depth multiplier is inferred from the input's channels. */
function runOp(op: 'conv1d' | 'conv2d', input: Tensor, depthwiseWeight: Tensor, pointwiseWeight: Tensor, options?: DepthwiseSeparableOptions): Tensor {
  checkOptionKeys(options, KEYS, `depthwise-separable-${op}`);
  const { out, ...planOptions } = inferMultiplier(op, input, depthwiseWeight, options) ?? {};
  return runOnce(create(op, depthwiseWeight, pointwiseWeight, planOptions, undefined), input, out);
}

function createOp(op: 'conv1d' | 'conv2d', depthwiseWeight: Tensor, pointwiseWeight: Tensor, options?: DepthwiseSeparablePlanOptions, context?: Context) {
  checkPlanOptions({ name: `depthwise-separable-${op}`, keys: KEYS }, options);
  return create(op, depthwiseWeight, pointwiseWeight, options, context);
}

/** Depthwise-separable conv2d in one call; the depth multiplier is inferred from the input's channels. */
export function depthwiseSeparableConv2d(input: Tensor, depthwiseWeight: Tensor, pointwiseWeight: Tensor, options?: DepthwiseSeparableOptions): Tensor {
  return runOp('conv2d', input, depthwiseWeight, pointwiseWeight, options);
}

/** A depthwise-separable conv2d plan: depthwise (C*M, 1, kH, kW) then pointwise (Cout, C*M, 1, 1). */
export function createDepthwiseSeparableConv2d(
  depthwiseWeight: Tensor,
  pointwiseWeight: Tensor,
  options?: DepthwiseSeparablePlanOptions,
  context?: Context,
): CompositePlan {
  return createOp('conv2d', depthwiseWeight, pointwiseWeight, options, context);
}

/** Depthwise-separable conv1d in one call: depthwise (C*M, 1, kW) then pointwise (Cout, C*M, 1). */
export function depthwiseSeparableConv1d(input: Tensor, depthwiseWeight: Tensor, pointwiseWeight: Tensor, options?: DepthwiseSeparableOptions): Tensor {
  return runOp('conv1d', input, depthwiseWeight, pointwiseWeight, options);
}

/** A depthwise-separable conv1d plan. */
export function createDepthwiseSeparableConv1d(
  depthwiseWeight: Tensor,
  pointwiseWeight: Tensor,
  options?: DepthwiseSeparablePlanOptions,
  context?: Context,
): CompositePlan {
  return createOp('conv1d', depthwiseWeight, pointwiseWeight, options, context);
}

// Single-op entry points (`simdconv/depthwise-separable`) carry init too, so one import is enough.
export { init } from '../context.js';
