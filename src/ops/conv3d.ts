import { createConvPlan, runConvOnce, type ConvPlanOptions } from './conv.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv3d: weight (Cout, Cin/groups, kD, kH, kW), bias (Cout) or null. */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions): Tensor {
  return runConvOnce('conv3d', input, weight, bias, options);
}

/** A conv3d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConv3d(weight: Tensor, bias?: Tensor | null, options?: ConvPlanOptions, context?: Context): ConvPlan {
  return createConvPlan('conv3d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/conv3d`) carry init too, so one import is enough.
export { init } from '../context.js';
