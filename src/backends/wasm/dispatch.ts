/**
 * Runs a list of kernel calls: one per thread on the pool when there is one, else one after another on this
 * thread. Plans build their calls (argument structs) once per input shape and only set pointers per run.
 */
import type { KernelArgs } from './kernel-args.js';
import { MIN_MACS_PER_THREAD } from './tile-policy.js';
import type { WasmRuntime } from './runtime.js';

/** One driver call: its argument struct in wasm memory (kernel-args.ts). */
export type KernelCall = KernelArgs;


/** Threads for a run of `macs` multiply-accumulates: at least `perThread` each (tile-policy.ts). */
export function threadsFor(rt: WasmRuntime, macs: number, perThread = MIN_MACS_PER_THREAD): number {
  const size = rt.pool?.size ?? 1;
  return Math.max(1, Math.min(size, Math.floor(macs / perThread)));
}

/**
 * Runs `calls`, one per thread. With a `queue` block (see workQueueFor), every call covers the same range of
 * units, and the threads claim chunks of it as they go (assembly/schedule.ts); the block's two queues, their
 * regions, its count and its failure word are reset here. `meanwhile` is host work done on this thread while
 * the others compute (before the calls when there are no others): see ThreadPool.run.
 */
export function runCalls(rt: WasmRuntime, calls: readonly KernelCall[], queue = 0, meanwhile?: () => void): void {
  if (queue) {
    const words = rt.heap.i32;
    const q = queue >> 2;
    words.fill(0, q, q + 8);
    words[q + 1] = calls.length;
    words[q + 5] = calls.length;
    words.fill(0, q + LINE_WORDS, q + LINE_WORDS * (1 + 2 * calls.length));
  }
  if (calls.length > 1 && rt.pool) {
    // A failing call sets the block's failure word, so that the others pass its barrier (schedule.ts).
    rt.pool.run(calls, queue ? (queue >> 2) + 7 : 0, meanwhile);
    return;
  }
  meanwhile?.();
  for (const call of calls) rt.kernels[call.driver](call.ptr);
}

const LINE_WORDS = 16;

/**
 * Bytes of a queue block for `threads` calls: a header line (two queue headers, a count and a failure word in
 * the first 32 bytes, then 32 bytes the plan may use; the direct path keeps its pad copy's geometry there),
 * then each queue's per-thread regions, one cache line each (assembly/schedule.ts), so that one thread's
 * claims do not slow another's. None for one thread.
 */
export function queueBytesFor(threads: number): number {
  return threads > 1 ? LINE_WORDS * 4 * (1 + 2 * threads) : 0;
}

/** A queue block in wasm memory for `threads` calls sharing one range, or 0 (one call does it all) for one thread. */
export function workQueueFor(rt: WasmRuntime, threads: number): number {
  return threads > 1 ? rt.heap.alloc(queueBytesFor(threads), 'workspace') : 0;
}
