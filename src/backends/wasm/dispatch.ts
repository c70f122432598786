/**
 * Runs a list of kernel calls: one per thread on the pool when there is one, else one after another on this
 * thread. Plans build their call lists once per input shape and only patch pointers per run.
 */
import type { WasmRuntime } from './runtime.js';

export interface KernelCall {
  readonly fn: string;
  /** Mutable so a plan can patch per-image pointers in place without allocating. */
  args: number[];
}

/** What plans need from a thread pool (src/backends/wasm/thread-pool.ts). */
export interface KernelPool {
  readonly size: number;
  run(calls: readonly KernelCall[]): void;
}

/** Below this many multiply-accumulates per thread, waking threads (13-35 us measured here) costs more than it saves. */
export const MIN_MACS_PER_THREAD = 1 << 21;

export function threadsFor(rt: WasmRuntime, macs: number): number {
  const size = rt.pool?.size ?? 1;
  return Math.max(1, Math.min(size, Math.floor(macs / MIN_MACS_PER_THREAD)));
}

export function runCalls(rt: WasmRuntime, calls: readonly KernelCall[]): void {
  if (calls.length > 1 && rt.pool) {
    rt.pool.run(calls);
    return;
  }
  for (const call of calls) (rt.kernels[call.fn] as (...args: number[]) => void)(...call.args);
}

/** Splits [0, total) into `parts` ranges whose boundaries are multiples of `align`. */
export function splitRange(total: number, parts: number, align: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const step = Math.ceil(total / parts / align) * align;
  for (let begin = 0; begin < total; begin += step) ranges.push([begin, Math.min(total, begin + step)]);
  return ranges;
}
