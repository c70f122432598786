/**
 * Pooling, as torch.nn.functional: maxPool1d/2d/3d, avgPool1d/2d/3d, adaptiveAvgPool1d/2d/3d and
 * adaptiveMaxPool1d/2d/3d, one-shot or as plans (`createMaxPool2d(options)`, then `run(input)`), on the
 * context's backend (wasm kernels in assembly/pool.ts, or the js backend). PyTorch 1.13's semantics: see
 * src/pool-shape.ts for the shape rules, assembly/pool.ts for the arithmetic.
 */
import { type Context, type OpPlanMakers, getContext } from '../context.js';
import { WasmPoolPlan } from '../backends/wasm/pool-plan.js';
import { SimdconvError, describe } from '../errors.js';
import { type IndexTensor, JsPoolPlan, type PoolPlan } from '../pool-plan.js';
import {
  type AdaptivePoolOptions,
  type AdaptiveSize,
  type AvgPoolOptions,
  type MaxPoolOptions,
  type PoolParams,
  resolveAdaptiveParams,
  resolvePoolParams,
} from '../pool-shape.js';
import type { Tensor } from '../types.js';

export type { AdaptivePoolOptions, AdaptiveSize, AvgPoolOptions, MaxPoolOptions } from '../pool-shape.js';
export type { IndexTensor, PoolPlan, PoolPlanInfo } from '../pool-plan.js';

/** A one-shot call's options: the plan's, and `out`. */
type WithOut<O> = O & { out?: Tensor };

/** The pooling plans per backend (also the WebGPU context's host fallback). */
export const poolPlanMakers: OpPlanMakers<PoolParams, PoolPlan> = { wasm: (rt, p) => new WasmPoolPlan(rt, p), js: (p) => new JsPoolPlan(p) };

function planOf(params: PoolParams, context: Context | undefined): PoolPlan {
  return (context ?? getContext()).createOpPlan(params, poolPlanMakers);
}

/** `out` apart from the rest of the options (read once). Plans take no `out` (their `run` does). */
function splitOut<O extends object>(options: WithOut<O> | undefined, plan: boolean): { rest: O | undefined; out: Tensor | undefined } {
  if (typeof options !== 'object' || options === null) return { rest: options, out: undefined };
  const { out, ...rest } = options as WithOut<O>;
  if (plan && out !== undefined) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.out', "no 'out' for a plan (pass it to plan.run(input, out))", describe(out));
  }
  return { rest: rest as O, out };
}

function runOnce(params: PoolParams, input: Tensor, out: Tensor | undefined): Tensor | { output: Tensor; indices: IndexTensor } {
  const plan = planOf(params, undefined);
  try {
    return params.returnIndices ? plan.runWithIndices(input, out) : plan.run(input, out);
  } finally {
    plan.dispose();
  }
}

type MaxResult<O> = O extends { returnIndices: true } ? { output: Tensor; indices: IndexTensor } : Tensor;

function maxPool<O extends WithOut<MaxPoolOptions>>(rank: 1 | 2 | 3, input: Tensor, options: O): MaxResult<O> {
  const { rest, out } = splitOut(options, false);
  return runOnce(resolvePoolParams('max', rank, rest as MaxPoolOptions), input, out) as MaxResult<O>;
}

function avgPool(rank: 1 | 2 | 3, input: Tensor, options: WithOut<AvgPoolOptions>): Tensor {
  const { rest, out } = splitOut(options, false);
  return runOnce(resolvePoolParams('avg', rank, rest as AvgPoolOptions), input, out) as Tensor;
}

type AdaptiveMaxOptions = AdaptivePoolOptions & { returnIndices?: boolean };

function adaptive<O extends WithOut<AdaptiveMaxOptions>>(
  kind: 'adaptive-max' | 'adaptive-avg',
  rank: 1 | 2 | 3,
  input: Tensor,
  size: AdaptiveSize,
  options?: O,
) {
  const { rest, out } = splitOut(options, false);
  return runOnce(resolveAdaptiveParams(kind, rank, size, rest), input, out);
}

/** F.max_pool1d. With `returnIndices: true`, `{ output, indices }`. */
export function maxPool1d<O extends WithOut<MaxPoolOptions>>(input: Tensor, options: O): MaxResult<O> {
  return maxPool(1, input, options);
}
/** F.max_pool2d: `maxPool2d(x, { kernelSize: 2 })`. With `returnIndices: true`, `{ output, indices }`. */
export function maxPool2d<O extends WithOut<MaxPoolOptions>>(input: Tensor, options: O): MaxResult<O> {
  return maxPool(2, input, options);
}
/** F.max_pool3d. With `returnIndices: true`, `{ output, indices }`. */
export function maxPool3d<O extends WithOut<MaxPoolOptions>>(input: Tensor, options: O): MaxResult<O> {
  return maxPool(3, input, options);
}
/** F.avg_pool1d (no divisorOverride, as PyTorch). */
export function avgPool1d(input: Tensor, options: WithOut<Omit<AvgPoolOptions, 'divisorOverride'>>): Tensor {
  return avgPool(1, input, options);
}
/** F.avg_pool2d. */
export function avgPool2d(input: Tensor, options: WithOut<AvgPoolOptions>): Tensor {
  return avgPool(2, input, options);
}
/** F.avg_pool3d. */
export function avgPool3d(input: Tensor, options: WithOut<AvgPoolOptions>): Tensor {
  return avgPool(3, input, options);
}
/** F.adaptive_avg_pool1d: windows floor(i * n / out) to ceil((i + 1) * n / out). */
export function adaptiveAvgPool1d(input: Tensor, outputSize: AdaptiveSize, options?: WithOut<AdaptivePoolOptions>): Tensor {
  return adaptive('adaptive-avg', 1, input, outputSize, options) as Tensor;
}
/** F.adaptive_avg_pool2d: `adaptiveAvgPool2d(x, 1)` is global average pooling; null keeps an axis's size. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize, options?: WithOut<AdaptivePoolOptions>): Tensor {
  return adaptive('adaptive-avg', 2, input, outputSize, options) as Tensor;
}
/** F.adaptive_avg_pool3d. */
export function adaptiveAvgPool3d(input: Tensor, outputSize: AdaptiveSize, options?: WithOut<AdaptivePoolOptions>): Tensor {
  return adaptive('adaptive-avg', 3, input, outputSize, options) as Tensor;
}
/** F.adaptive_max_pool1d. With `returnIndices: true`, `{ output, indices }`. */
export function adaptiveMaxPool1d<O extends WithOut<AdaptiveMaxOptions>>(input: Tensor, outputSize: AdaptiveSize, options?: O): MaxResult<O> {
  return adaptive('adaptive-max', 1, input, outputSize, options) as MaxResult<O>;
}
/** F.adaptive_max_pool2d. With `returnIndices: true`, `{ output, indices }`. */
export function adaptiveMaxPool2d<O extends WithOut<AdaptiveMaxOptions>>(input: Tensor, outputSize: AdaptiveSize, options?: O): MaxResult<O> {
  return adaptive('adaptive-max', 2, input, outputSize, options) as MaxResult<O>;
}
/** F.adaptive_max_pool3d. With `returnIndices: true`, `{ output, indices }`. */
export function adaptiveMaxPool3d<O extends WithOut<AdaptiveMaxOptions>>(input: Tensor, outputSize: AdaptiveSize, options?: O): MaxResult<O> {
  return adaptive('adaptive-max', 3, input, outputSize, options) as MaxResult<O>;
}

/** Plans: options checked once; `plan.run(input, out?)`, max pools also `plan.runWithIndices(input)`. */
export function createMaxPool1d(options: MaxPoolOptions, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('max', 1, splitOut(options, true).rest!), context);
}
export function createMaxPool2d(options: MaxPoolOptions, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('max', 2, splitOut(options, true).rest!), context);
}
export function createMaxPool3d(options: MaxPoolOptions, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('max', 3, splitOut(options, true).rest!), context);
}
export function createAvgPool1d(options: Omit<AvgPoolOptions, 'divisorOverride'>, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('avg', 1, splitOut(options, true).rest!), context);
}
export function createAvgPool2d(options: AvgPoolOptions, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('avg', 2, splitOut(options, true).rest!), context);
}
export function createAvgPool3d(options: AvgPoolOptions, context?: Context): PoolPlan {
  return planOf(resolvePoolParams('avg', 3, splitOut(options, true).rest!), context);
}
export function createAdaptiveAvgPool1d(outputSize: AdaptiveSize, options?: AdaptivePoolOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-avg', 1, outputSize, splitOut(options, true).rest), context);
}
export function createAdaptiveAvgPool2d(outputSize: AdaptiveSize, options?: AdaptivePoolOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-avg', 2, outputSize, splitOut(options, true).rest), context);
}
export function createAdaptiveAvgPool3d(outputSize: AdaptiveSize, options?: AdaptivePoolOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-avg', 3, outputSize, splitOut(options, true).rest), context);
}
export function createAdaptiveMaxPool1d(outputSize: AdaptiveSize, options?: AdaptiveMaxOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-max', 1, outputSize, splitOut(options, true).rest), context);
}
export function createAdaptiveMaxPool2d(outputSize: AdaptiveSize, options?: AdaptiveMaxOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-max', 2, outputSize, splitOut(options, true).rest), context);
}
export function createAdaptiveMaxPool3d(outputSize: AdaptiveSize, options?: AdaptiveMaxOptions, context?: Context): PoolPlan {
  return planOf(resolveAdaptiveParams('adaptive-max', 3, outputSize, splitOut(options, true).rest), context);
}

// Single-op entry points (`simdconv/pool`) carry init too, so one import is enough.
export { init } from '../context.js';
