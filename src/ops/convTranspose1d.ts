import { createConvTransposePlan, runConvTransposeOnce, type ConvTransposePlanOptions } from './conv-transpose.js';
import type { Context } from '../context.js';
import type { ConvPlan } from '../plan.js';
import type { ConvTransposeOptions, Tensor } from '../types.js';

/** torch.nn.functional.conv_transpose1d: weight (Cin, Cout/groups, kW), bias (Cout) or null. */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return runConvTransposeOnce('convTranspose1d', input, weight, bias, options);
}

/** A convTranspose1d plan: weights packed once, then `run(input, out?)` many times; `dispose()` frees it. */
export function createConvTranspose1d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposePlanOptions, context?: Context): ConvPlan {
  return createConvTransposePlan('convTranspose1d', weight, bias, options, context);
}

// Single-op entry points (`simdconv/convTranspose1d`) carry init too, so one import is enough.
export { init } from '../context.js';
