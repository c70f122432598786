/**
 * Wasm plans that can run between buffers already in wasm memory, so that a chain of convolutions
 * (src/backends/wasm/chain.ts) keeps its intermediates there instead of copying them out to JS and back.
 */
import type { ConvPlan } from '../../plan.js';
import type { ConvGeometry } from '../../shape.js';

export interface ResidentPlan extends ConvPlan {
  /**
   * Runs the convolution on an input of `inputShape` at byte offset `src` of the runtime's memory, writing
   * the output at `dst`. Both buffers are the caller's (heap blocks of at least the input / output size,
   * not overlapping); the plan sizes its own workspaces as `run` does. Throws DISPOSED after dispose().
   */
  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry;
}

export function isResidentPlan(plan: ConvPlan): plan is ResidentPlan {
  return typeof (plan as Partial<ResidentPlan>).runResident === 'function';
}
