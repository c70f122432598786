/**
 * Runs a list of kernel calls: one per thread on the pool when there is one, else one after another on this
 * thread. Plans build their call lists once per input shape and only patch pointers per run.
 */
import type { WasmRuntime } from './runtime.js';

export interface KernelCall {
  readonly fn: string;
  /** Mutable so a plan can patch per-image pointers in place without allocating. */
  args: number[];
  /** Set once runCalls has made `args` an array of tagged values (asTaggedArray). */
  tagged?: boolean;
}

/**
 * Turns `values` in place into an array of tagged values (V8's PACKED_ELEMENTS) and returns it. Numbers that
 * are not all small integers (the clamp bounds, +-Infinity) make V8 store an array as raw doubles, and spreading
 * such an array into a call boxes every element: about 700 bytes of garbage per run of every plan (sampled on
 * small layers, minor GCs counted). An array's elements kind only ever generalizes, so one non-number pushed
 * and popped again does it for good; the spread then passes the elements as they are. Paired against the
 * boxing calls (bench/ab-builds.mjs), lenet_c1 (5-7 us a run) ran 1.12x relaxed / 1.08x SIMD128 on one
 * thread and 1.09x on two; the large layers 1.00x.
 */
function asTaggedArray<T>(values: T[]): T[] {
  (values as unknown[]).push('');
  values.pop();
  return values;
}

/** What plans need from a thread pool (src/backends/wasm/thread-pool.ts). */
export interface KernelPool {
  readonly size: number;
  run(calls: readonly KernelCall[], failWord?: number, meanwhile?: () => void): void;
}

/** Below this many multiply-accumulates per thread, waking threads (13-35 us measured here) costs more than it saves. */
export const MIN_MACS_PER_THREAD = 1 << 21;

export function threadsFor(rt: WasmRuntime, macs: number): number {
  const size = rt.pool?.size ?? 1;
  return Math.max(1, Math.min(size, Math.floor(macs / MIN_MACS_PER_THREAD)));
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
  for (const call of calls) {
    if (call.tagged) continue;
    asTaggedArray(call.args);
    call.tagged = true;
  }
  if (calls.length > 1 && rt.pool) {
    // A failing call sets the block's failure word, so that the others pass its barrier (schedule.ts).
    rt.pool.run(calls, queue ? (queue >> 2) + 7 : 0, meanwhile);
    return;
  }
  meanwhile?.();
  for (const call of calls) (rt.kernels[call.fn] as (...args: number[]) => void)(...call.args);
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
