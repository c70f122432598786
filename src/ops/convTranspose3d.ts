import { createConvTransposePlan, runConvTransposeOnce, type ConvTransposePlanOptions } from './conv-transpose.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvTransposeOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv_transpose3d: weight (Cin, Cout/groups, kD, kH, kW), bias (Cout) or null. */
export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return runConvTransposeOnce('convTranspose3d', input, weight, bias, options);
}

/** A convTranspose3d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConvTranspose3d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposePlanOptions, context?: Context): ConvPlan {
  return createConvTransposePlan('convTranspose3d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/convTranspose3d`) carry init too, so one import is enough.
export { init } from '../context.js';
