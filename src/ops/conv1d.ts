import { createConvPlan, runConvOnce, type ConvPlanOptions } from './conv.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv1d: weight (Cout, Cin/groups, kW), bias (Cout) or null. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions): Tensor {
  return runConvOnce('conv1d', input, weight, bias, options);
}

/** A conv1d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConv1d(weight: Tensor, bias?: Tensor | null, options?: ConvPlanOptions, context?: Context): ConvPlan {
  return createConvPlan('conv1d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/conv1d`) carry init too, so one import is enough.
export { init } from '../context.js';
