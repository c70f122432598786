import { createConvTransposePlan, runConvTransposeOnce, type ConvTransposePlanOptions } from './conv-transpose.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvTransposeOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv_transpose2d: weight (Cin, Cout/groups, kH, kW), bias (Cout) or null. */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return runConvTransposeOnce('convTranspose2d', input, weight, bias, options);
}

/** A convTranspose2d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConvTranspose2d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposePlanOptions, context?: Context): ConvPlan {
  return createConvTransposePlan('convTranspose2d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/convTranspose2d`) carry init too, so one import is enough.
export { init } from '../context.js';
