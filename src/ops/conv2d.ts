import { createConvPlan, runConvOnce, type ConvPlanOptions } from './conv.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv2d: weight (Cout, Cin/groups, kH, kW), bias (Cout) or null. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions): Tensor {
  return runConvOnce('conv2d', input, weight, bias, options);
}

/** A conv2d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConv2d(weight: Tensor, bias?: Tensor | null, options?: ConvPlanOptions, context?: Context): ConvPlan {
  return createConvPlan('conv2d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/conv2d`) carry init too, so one import is enough.
export { init } from '../context.js';
