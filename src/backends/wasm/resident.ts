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
  const dst = dstInPlace >= 0 ? dstInPlace : stageOutput(out.byteLength + STAGING_SPARE) + stagingShift(memory, out.byteOffset >> 2);
  compute(src, dst);
  if (dstInPlace < 0) out.set(new Float32Array(memory.buffer, dst, out.length));
}

/** The byte offset of `input` in wasm memory: its own where it is there already, else staged (copied) there. */
export function inputInMemory(memory: WebAssembly.Memory, input: Float32Array, stageInput: (bytes: number) => number): number {
  if (input.buffer === memory.buffer) return input.byteOffset;
  const src = stageInput(input.byteLength + STAGING_SPARE) + stagingShift(memory, input.byteOffset >> 2);
  new Float32Array(memory.buffer, src, input.length).set(input);
  return src;
}

/**
 * Bytes a plan adds to a staging buffer (and counts when it checks that a shape fits), for the float a staged
 * input or output may start into it (stagingShift).
 */
export const STAGING_SPARE = 4;

const Shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null;

/**
 * Bytes (0 or 4) that a buffer in wasm memory is to start past an 8-byte boundary when it is copied to or from
 * a JS array at float index `floatIndex` of its ArrayBuffer (the array's byteOffset / 4 plus the element), so
 * that the copy's source and destination agree modulo 8 bytes. V8 copies to or from a SharedArrayBuffer (the
 * threads builds' memory) with relaxed atomic accesses, 8 bytes at a time only where they agree, else byte by
 * byte: 4 MB in pieces of 1000 floats, shared to unshared or back, ran at 20-21 GB/s aligned and 3.2-3.3 GB/s
 * one float off. Unshared memory copies at full speed either way and keeps its buffers where they are.
 */
export function stagingShift(memory: WebAssembly.Memory, floatIndex: number): 0 | 4 {
  return Shared !== null && memory.buffer instanceof Shared && (floatIndex & 1) !== 0 ? 4 : 0;
}
