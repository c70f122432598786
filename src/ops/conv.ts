/**
 * conv1d / conv2d / conv3d: one-shot functions and plans. The one-shot form is a plan made, run once and
 * disposed, so both share every check and kernel.
 */
import { type Context, getContext } from '../context.js';
import { wasmConvPlan } from '../backends/wasm/select.js';
import type { ConvPlan } from '../plan.js';
import { type ConvOp, checkNoOut, resolveConvParams } from '../shape.js';
import type { ConvOptions, Tensor } from '../types.js';

export type ConvPlanOptions = Omit<ConvOptions, 'out'>;

/** A plan (`create*`): its options take no `out`, which `run` takes. */
export function createConvPlan(op: ConvOp, weight: Tensor, bias?: Tensor | null, options?: ConvPlanOptions, context?: Context): ConvPlan {
  checkNoOut(options);
  return makeConvPlan(op, weight, bias, options, context);
}

function makeConvPlan(op: ConvOp, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions | undefined, context: Context | undefined): ConvPlan {
  return (context ?? getContext()).createPlan(resolveConvParams(op, weight, bias, options), wasmConvPlan);
}

export function runConvOnce(op: ConvOp, input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions, context?: Context): Tensor {
  const plan = makeConvPlan(op, weight, bias, options, context);
  try {
    return plan.run(input, options?.out);
  } finally {
    plan.dispose();
  }
}
