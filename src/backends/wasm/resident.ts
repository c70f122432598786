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

/**
 * A wasm plan's `run`: a tensor already in the runtime's memory (Context.tensor) is read or written in place,
 * anything else goes through the plan's staging buffers (`stageInput` / `stageOutput` return byte offsets of
 * at least the given size); `compute` runs the kernels from one offset to the other. Saves a copy each way,
 * which is most of a bandwidth-bound layer.
 */
export function runInPlaceOrStaged(
  memory: WebAssembly.Memory,
  input: Float32Array,
  out: Float32Array,
  stageInput: (bytes: number) => number,
  stageOutput: (bytes: number) => number,
  compute: (src: number, dst: number) => void,
): void {
  // The output's offset is read before any staging: an allocation may grow the memory and detach the views.
  const dstInPlace = out.buffer === memory.buffer ? out.byteOffset : -1;
  const src = inputInMemory(memory, input, stageInput);
  const dst = dstInPlace >= 0 ? dstInPlace : stageOutput(out.byteLength);
  compute(src, dst);
  if (dstInPlace < 0) out.set(new Float32Array(memory.buffer, dst, out.length));
}

/** The byte offset of `input` in wasm memory: its own where it is there already, else staged (copied) there. */
export function inputInMemory(memory: WebAssembly.Memory, input: Float32Array, stageInput: (bytes: number) => number): number {
  if (input.buffer === memory.buffer) return input.byteOffset;
  const src = stageInput(input.byteLength);
  new Float32Array(memory.buffer, src, input.length).set(input);
  return src;
}
