/**
 * convTranspose1d / convTranspose2d / convTranspose3d: one-shot functions and plans, as ops/conv.ts for the
 * ordinary convolutions. The one-shot form is a plan made, run once and disposed.
 */
import { type Context, getContext } from '../context.js';
import { wasmTransposedPlan } from '../backends/wasm/select.js';
import type { ConvPlan } from '../plan.js';
import { type ConvTransposeOp, checkNoOut, resolveConvTransposeParams } from '../shape.js';
import type { ConvTransposeOptions, Tensor } from '../types.js';

export type ConvTransposePlanOptions = Omit<ConvTransposeOptions, 'out'>;

export function createConvTransposePlan(
  op: ConvTransposeOp,
  weight: Tensor,
  bias?: Tensor | null,
  options?: ConvTransposePlanOptions,
  context?: Context,
): ConvPlan {
  checkNoOut(options);
  return makePlan(op, weight, bias, options, context);
}

function makePlan(
  op: ConvTransposeOp,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ConvTransposeOptions | undefined,
  context: Context | undefined,
) {
  return (context ?? getContext()).createPlan(resolveConvTransposeParams(op, weight, bias, options), wasmTransposedPlan);
}

export function runConvTransposeOnce(
  op: ConvTransposeOp,
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options?: ConvTransposeOptions,
  context?: Context,
): Tensor {
  const plan = makePlan(op, weight, bias, options, context);
  try {
    return plan.run(input, options?.out);
  } finally {
    plan.dispose();
  }
}
