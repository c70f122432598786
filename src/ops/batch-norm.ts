/**
 * Batch normalization for inference (F.batch_norm with training=False) and its folding into a convolution.
 *
 * batchNorm computes PyTorch's per-channel affine y = x * alpha + beta, with alpha = weight / sqrt(var + eps)
 * and beta = bias - mean * alpha computed in float32 as PyTorch's CPU kernel does, on the depthwise kernels
 * (a 1-tap depthwise convolution over any rank, either layout). foldBatchNorm returns a convolution's weight
 * and bias with the normalization folded in (computed in float64, rounded once): the fused conv + BN of an
 * inference graph costs nothing at run time.
 */
import { type Context, getContext } from '../context.js';
import { wasmConvPlan } from '../backends/wasm/select.js';
import { SimdconvError, describe } from '../errors.js';
import type { ConvPlan } from '../plan.js';
import { type ConvOp, checkOptionsObject, checkShapeArg, readTensor, resolveConvParams, resolveLayout } from '../shape.js';
import type { Layout, Tensor } from '../types.js';
import { reshapedOut } from './reshaped.js';

export interface BatchNormOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Channels on axis 1 (PyTorch) or last. Default 'channels-first'. */
  layout?: Layout;
}

export interface BatchNormPlan {
  readonly channels: number;
  outputShape(inputShape: readonly number[]): number[];
  run(input: Tensor, out?: Tensor): Tensor;
  dispose(): void;
}

interface Stats {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly weight: Float32Array | null;
  readonly bias: Float32Array | null;
  readonly eps: number;
}

function vector(argument: string, t: Tensor | null | undefined, channels: number | null, optional: boolean): Float32Array | null {
  if ((t === null || t === undefined) && optional) return null;
  const v = readTensor(argument, t);
  if (v.shape.length !== 1 || (channels !== null && v.shape[0] !== channels)) {
    throw new SimdconvError(
      'CHANNEL_MISMATCH',
      `${argument}.shape`,
      channels === null ? '[C] (one value per channel)' : `[${channels}] (one value per channel)`,
      `[${v.shape.join(', ')}]`,
    );
  }
  return v.data.slice();
}

function checkEps(eps: unknown): number {
  if (eps === undefined) return 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0)
    throw new SimdconvError('INVALID_ARGUMENT', 'options.eps', 'a finite number >= 0', describe(eps));
  return eps;
}

function checkKeys(options: unknown, keys: readonly string[]): Record<string, unknown> {
  checkOptionsObject(options, new Set(keys));
  return (options ?? {}) as Record<string, unknown>;
}

function stats(mean: Tensor, variance: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number): Stats {
  const m = vector('runningMean', mean, null, false)!;
  return {
    mean: m,
    variance: vector('runningVar', variance, m.length, false)!,
    weight: vector('weight', weight, m.length, true),
    bias: vector('bias', bias, m.length, true),
    eps,
  };
}

/** alpha and beta in float32, as PyTorch's batch_norm_cpu_collect_linear_and_constant_terms. */
function affine(s: Stats): { alpha: Float32Array; beta: Float32Array } {
  const C = s.mean.length;
  const alpha = new Float32Array(C);
  const beta = new Float32Array(C);
  const f = Math.fround;
  for (let c = 0; c < C; c++) {
    const invstd = f(1 / f(Math.sqrt(f(s.variance[c]! + f(s.eps)))));
    alpha[c] = s.weight ? f(invstd * s.weight[c]!) : invstd;
    beta[c] = f((s.bias ? s.bias[c]! : 0) - f(s.mean[c]! * alpha[c]!));
  }
  return { alpha, beta };
}

const OPS: Record<number, ConvOp> = { 3: 'conv1d', 4: 'conv2d', 5: 'conv3d' };

/** What batchNorm runs, for any backend: the per-channel affine as a 1-tap depthwise convolution per rank. */
export interface BatchNormLowering {
  readonly channels: number;
  readonly layout: Layout;
  /** The input as a convolution sees it: (N, C) becomes (N, C, 1) (or (N, 1, C)); ranks 2 to 5 (or throws). */
  viewOf(shape: readonly number[]): number[];
  /** The depthwise convolution for a view of this rank: its op, weight (alpha), bias (beta) and options. */
  convOf(rank: number): { op: ConvOp; weight: Tensor; bias: Tensor; options: { groups: number; layout: Layout } };
}

export function lowerBatchNorm(
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  options: BatchNormOptions | undefined,
): BatchNormLowering {
  const o = checkKeys(options, ['eps', 'layout']);
  const layout = resolveLayout(o.layout as Layout | undefined);
  const s = stats(runningMean, runningVar, weight, bias, checkEps(o.eps));
  const { alpha, beta } = affine(s);
  const C = s.mean.length;
  return {
    channels: C,
    layout,
    viewOf(shape) {
      if (shape.length < 2 || shape.length > 5) {
        throw new SimdconvError('INVALID_RANK', 'input', '2 to 5 dimensions (N, C, *spatial)', `shape [${shape.join(', ')}]`);
      }
      const axis = layout === 'channels-first' ? 1 : shape.length - 1;
      if (shape[axis] !== C) throw new SimdconvError('CHANNEL_MISMATCH', `input.shape[${axis}]`, `${C} channels (runningMean.shape[0])`, String(shape[axis]));
      if (shape.length > 2) return [...shape];
      return layout === 'channels-first' ? [shape[0]!, C, 1] : [shape[0]!, 1, C];
    },
    convOf(rank) {
      const w = { data: alpha, shape: [C, 1, ...new Array<number>(rank - 2).fill(1)] };
      return { op: OPS[rank]!, weight: w, bias: { data: beta, shape: [C] }, options: { groups: C, layout } };
    },
  };
}

class BatchNorm implements BatchNormPlan {
  readonly channels: number;
  private readonly plans = new Map<number, ConvPlan>();

  constructor(
    private readonly lowering: BatchNormLowering,
    private readonly context: Context | undefined,
  ) {
    this.channels = lowering.channels;
  }

  outputShape(inputShape: readonly number[]): number[] {
    checkShapeArg('inputShape', inputShape);
    this.lowering.viewOf(inputShape);
    return [...inputShape];
  }

  run(input: Tensor, out?: Tensor): Tensor {
    const x = readTensor('input', input);
    const view = this.lowering.viewOf(x.shape);
    let plan = this.plans.get(view.length);
    if (!plan) {
      const conv = this.lowering.convOf(view.length);
      plan = (this.context ?? getContext()).createPlan(resolveConvParams(conv.op, conv.weight, conv.bias, conv.options), wasmConvPlan);
      this.plans.set(view.length, plan);
    }
    const target = out === undefined ? undefined : reshapedOut(out, x.shape, view);
    const y = plan.run({ data: x.data, shape: view }, target);
    return out ?? { data: y.data, shape: [...x.shape] };
  }

  dispose(): void {
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
  }
}

/**
 * F.batch_norm(input, runningMean, runningVar, weight, bias, training=False, eps=eps): input (N, C, *) with
 * ranks 2 to 5 (channels last with `layout: 'channels-last'`); weight and bias may be null.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions & { out?: Tensor },
): Tensor {
  const o = checkKeys(options, ['eps', 'layout', 'out']);
  const plan = createBatchNorm(runningMean, runningVar, weight, bias, { eps: o.eps as number | undefined, layout: o.layout as Layout | undefined });
  try {
    return plan.run(input, o.out as Tensor | undefined);
  } finally {
    plan.dispose();
  }
}

/** A batch-norm plan: the statistics folded into a per-channel affine once, then `run(input, out?)`. */
export function createBatchNorm(
  runningMean: Tensor,
  runningVar: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions,
  context?: Context,
): BatchNormPlan {
  return new BatchNorm(lowerBatchNorm(runningMean, runningVar, weight, bias, options), context);
}

export interface FoldBatchNormOptions {
  eps?: number;
  /** The convolution is transposed (weight (Cin, Cout/groups, *k)): its output channels are on axis 1. */
  transposed?: boolean;
  /** Groups of a transposed convolution. Default 1. */
  groups?: number;
}

/**
 * A convolution followed by batch normalization, as one convolution: weight * alpha per output channel and
 * (bias - mean) * alpha + beta, alpha = weight_bn / sqrt(var + eps) (float64, rounded once).
 */
export function foldBatchNorm(
  convWeight: Tensor,
  convBias: Tensor | null | undefined,
  runningMean: Tensor,
  runningVar: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: FoldBatchNormOptions,
): { weight: Tensor; bias: Tensor } {
  const o = checkKeys(options, ['eps', 'transposed', 'groups']);
  const w = readTensor('convWeight', convWeight);
  if (w.shape.length < 3 || w.shape.length > 5) {
    throw new SimdconvError('INVALID_RANK', 'convWeight', '3 to 5 dimensions (a conv1d/2d/3d weight)', `shape [${w.shape.join(', ')}]`);
  }
  const transposed = o.transposed === undefined ? false : o.transposed;
  if (typeof transposed !== 'boolean') throw new SimdconvError('INVALID_ARGUMENT', 'options.transposed', 'true or false', describe(transposed));
  const groups = o.groups === undefined ? 1 : o.groups;
  if (!Number.isInteger(groups) || (groups as number) < 1 || (transposed && w.shape[0]! % (groups as number) !== 0)) {
    throw new SimdconvError('INVALID_GROUPS', 'options.groups', 'a positive integer dividing convWeight.shape[0]', describe(groups));
  }
  if (!transposed && o.groups !== undefined) {
    throw new SimdconvError(
      'INVALID_ARGUMENT',
      'options.groups',
      'groups only with transposed: true (a convolution has its output channels on axis 0)',
      describe(groups),
    );
  }
  const g = groups as number;
  const cout = transposed ? w.shape[1]! * g : w.shape[0]!;
  const s = stats(runningMean, runningVar, weight, bias, checkEps(o.eps));
  if (s.mean.length !== cout) {
    throw new SimdconvError('CHANNEL_MISMATCH', 'runningMean.shape', `[${cout}] (the convolution's output channels)`, `[${s.mean.length}]`);
  }
  const b = convBias === null || convBias === undefined ? null : vector('convBias', convBias, cout, false);
  const alpha = Array.from({ length: cout }, (_, c) => (s.weight ? s.weight[c]! : 1) / Math.sqrt(s.variance[c]! + s.eps));
  const taps = w.shape.slice(2).reduce((p, q) => p * q, 1);
  const data = new Float32Array(w.data.length);
  const perRow = w.shape[1]! * taps;
  const coutG = cout / g;
  const cinG = transposed ? w.shape[0]! / g : 0;
  for (let i = 0; i < data.length; i++) {
    // conv (Cout, Cin/g, *k): channel i / perRow; transposed (Cin, Cout/g, *k): group of row ci, column j.
    const c = transposed ? Math.floor(Math.floor(i / perRow) / cinG) * coutG + (Math.floor(i / taps) % w.shape[1]!) : Math.floor(i / perRow);
    data[i] = w.data[i]! * alpha[c]!;
  }
  const folded = Float32Array.from(alpha, (a, c) => ((b ? b[c]! : 0) - s.mean[c]!) * a + (s.bias ? s.bias[c]! : 0));
  return { weight: { data, shape: [...w.shape] }, bias: { data: folded, shape: [cout] } };
}

// Single-op entry points carry init too, so one import is enough.
export { init } from '../context.js';
