/**
 * A pool of worker threads that instantiate the kernel module on one shared WebAssembly.Memory, so a plan can
 * split one op into slices that run concurrently and still return synchronously.
 *
 * Protocol (no timeouts, failure-aware): a SharedArrayBuffer control block holds a header (the count of
 * workers still busy, a shutdown word) and one cache-line slot per worker (generation, function index, the
 * call's one argument: a pointer to its argument struct, error flag, error length, sleeping flag, failure
 * word), then each worker's error-message area. `run()` writes each worker's call, bumps its generation with Atomics.add and wakes it with
 * Atomics.notify; runs calls[0] itself; then spins briefly and Atomics.wait's until the busy count is zero.
 * A worker spins briefly after a job, then sleeps in Atomics.wait on its generation. A call that throws or
 * traps in a worker is caught there: the worker writes its error flag and message before counting down, so
 * the caller never hangs and rethrows it. The atomics order the plain memory accesses, wasm's included, so
 * a worker sees everything the caller wrote before dispatching and the caller sees the workers' results.
 *
 * The kernels never allocate and keep no mutable data in memory outside what the host hands them (all scratch
 * comes from the host heap, one region per slice): that is what makes several instances on one memory safe.
 * Their only mutable state of their own is in wasm globals, which are per instance, hence per thread
 * (assembly/schedule.ts keeps a thread's claims there). Instantiating re-applies the
 * module's active data segments, which only rewrites identical constants below `heap_base()`.
 *
 * Blocking needs Atomics.wait, which Node allows on every thread and browsers only in workers (and only with
 * cross-origin isolation, which SharedArrayBuffer needs anyway): `threadSupport()` tells why it is unusable.
 */
import { SimdconvError, describe } from '../../errors.js';
import { type WorkerHandle, platform } from '../../platform/platform.js';
import { instantiateKernels } from './module.js';
import { threadSupport } from './thread-support.js';

// Control block layout: keep in sync with worker.js. A header line (workers still busy, shutdown flag), then a
// line per worker: generation, function index, argument, error flag and length, sleeping flag, failure word.
const [REMAINING, SHUTDOWN, HEADER_INTS, SLOT_INTS, MESSAGE_BYTES] = [0, 1, 16, 16, 1024];
const [GO, FN, ARG, ERROR, ERROR_LENGTH, SLEEPING, FAIL_WORD] = [0, 1, 2, 3, 4, 5, 6];
/** The least time a worker may finish after the calling thread before it is taken as dead (see run()). */
const WORKER_GRACE_MS = 1000;

/** A call of an exported kernel function with one argument (a driver and its argument struct: kernel-args.ts). */
export interface ThreadCall {
  readonly driver: string;
  /** The argument: the struct's byte offset in wasm memory. */
  readonly ptr: number;
}

export interface ThreadPool {
  /** Threads that run calls, the calling thread included (workers + 1). */
  readonly size: number;
  readonly terminated: boolean;
  /**
   * Runs calls[0] on the calling thread and calls[i] on worker i-1 concurrently; returns once all have
   * finished. At most `size` calls. Throws the first error (the caller's own, else the lowest worker's) after
   * every call has finished, so the pool is idle again and usable. `failWord` (an i32 index into the memory,
   * 0 for none) is set to 1 as soon as a call fails, so that calls waiting for each other (a barrier) let go.
   * `meanwhile`, when given, runs on the calling thread after the workers are woken and before calls[0]: host
   * work that overlaps the workers' start (a plan copying out its previous output band). If it throws, the
   * run fails like a failing call.
   */
  run(calls: ReadonlyArray<ThreadCall>, failWord?: number, meanwhile?: () => void): void;
  /** Stops the workers. Idempotent; `run()` afterwards throws DISPOSED. */
  terminate(): void;
}

export interface ThreadPoolOptions {
  /** The caller thread's instance exports on `memory`; a fresh instance is made when omitted. */
  exports?: Record<string, unknown>;
  /**
   * How long an idle thread busy-waits before sleeping in Atomics.wait, in microseconds (default 0). Spinning
   * cuts the wake-up latency of back-to-back jobs; 0 always sleeps.
   */
  spinMicros?: number;
  /** Where the worker script lives (`init({ wasmBaseUrl })`); defaults to the package's wasm/simdconv-worker.js. */
  workerUrl?: URL;
}

export async function createThreadPool(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number, options: ThreadPoolOptions = {}): Promise<ThreadPool> {
  if (!Number.isInteger(threads) || threads < 1) throw new SimdconvError('INVALID_ARGUMENT', 'threads', 'a positive integer', describe(threads));
  if (threads > 1) {
    const s = threadSupport();
    if (!s.ok) throw new SimdconvError('BACKEND_UNAVAILABLE', 'threads', 'an environment that can run wasm threads', s.reason);
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new SimdconvError('INVALID_ARGUMENT', 'memory', 'a shared WebAssembly.Memory', 'an unshared memory');
  }
  const names = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  const index = new Map(names.map((name, i) => [name, i]));
  const exports = options.exports ?? ((await instantiateKernels(module, memory)) as unknown as Record<string, unknown>);
  const local = names.map((name) => exports[name] as (arg: number) => void);
  const spinMicros = Math.max(0, options.spinMicros ?? 0);
  const workers = threads - 1;

  const messagesOffset = (HEADER_INTS + workers * SLOT_INTS) * 4;
  // One thread needs no shared control block (nor SharedArrayBuffer at all).
  const control = workers > 0 ? new SharedArrayBuffer(messagesOffset + workers * MESSAGE_BYTES) : new ArrayBuffer(messagesOffset);
  const ctrl = new Int32Array(control);
  const messages = new Uint8Array(control, messagesOffset, workers * MESSAGE_BYTES);

  const handles: WorkerHandle[] = [];
  let terminated = false;
  /** Why the pool stopped working (a worker that did not finish), or null. */
  let broken: string | null = null;
  let running = false;
  const stop = () => {
    if (terminated) return;
    terminated = true;
    Atomics.store(ctrl, SHUTDOWN, 1);
    for (let w = 0; w < workers; w++) {
      Atomics.add(ctrl, HEADER_INTS + w * SLOT_INTS + GO, 1);
      Atomics.notify(ctrl, HEADER_INTS + w * SLOT_INTS + GO);
    }
    for (const h of handles) h.terminate();
  };
  // From inside a run (a callback of the calling thread's share) stopping the workers would leave it waiting.
  const terminate = () => {
    if (running) throw new SimdconvError('INVALID_ARGUMENT', 'context', 'dispose() after the running op returns', 'dispose() during an op');
    stop();
  };

  try {
    const started: Promise<void>[] = [];
    for (let w = 0; w < workers; w++) {
      const init: WorkerInit = { module, memory, control: control as SharedArrayBuffer, index: w, names, messagesOffset, spinMicros };
      const { handle, ready } = platform().startWorker(options.workerUrl, init);
      handles.push(handle);
      started.push(ready);
    }
    await Promise.all(started);
  } catch (error) {
    stop();
    throw error instanceof SimdconvError ? error : new SimdconvError('BACKEND_UNAVAILABLE', 'threads', 'worker threads that start', String(error));
  }

  const decoder = new TextDecoder();
  const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
  const spinMs = spinMicros / 1000;

  const fns = new Int32Array(threads);
  const run = (calls: ReadonlyArray<ThreadCall>, failWord = 0, meanwhile?: () => void): void => {
    if (broken !== null) throw new SimdconvError('BACKEND_UNAVAILABLE', 'threads', 'a context whose worker threads all run (make a new context)', broken);
    if (terminated) throw new SimdconvError('DISPOSED', 'pool', 'a live thread pool', 'a pool after terminate()');
    const n = calls.length;
    if (n === 0) return;
    if (n > threads) throw new SimdconvError('INVALID_ARGUMENT', 'calls', `at most ${threads} calls (the pool size)`, `${n} calls`);
    for (let i = 0; i < n; i++) {
      const call = calls[i]!;
      const f = index.get(call?.driver);
      if (f === undefined) throw new SimdconvError('INVALID_ARGUMENT', `calls[${i}].driver`, 'the name of an exported kernel function', describe(call?.driver));
      fns[i] = f;
    }
    if (Atomics.load(ctrl, REMAINING) !== 0) throw new SimdconvError('INVALID_ARGUMENT', 'pool', 'an idle pool', 'a run() while another is in flight');
    Atomics.store(ctrl, REMAINING, n - 1);
    for (let i = 1; i < n; i++) {
      const w = i - 1;
      const slot = HEADER_INTS + w * SLOT_INTS;
      ctrl[slot + FN] = fns[i]!;
      ctrl[slot + ARG] = calls[i]!.ptr;
      ctrl[slot + ERROR] = 0;
      ctrl[slot + FAIL_WORD] = failWord;
      Atomics.add(ctrl, slot + GO, 1); // publishes the plain stores above
      if (Atomics.load(ctrl, slot + SLEEPING) !== 0) Atomics.notify(ctrl, slot + GO);
    }
    let error: unknown;
    let failed = false;
    const started = now();
    running = true;
    try {
      meanwhile?.();
      local[fns[0]!]!(calls[0]!.ptr);
    } catch (e) {
      failed = true;
      error = e;
      if (failWord) Atomics.store(new Int32Array(memory.buffer), failWord, 1);
    } finally {
      running = false;
    }
    if (n > 1) {
      if (Atomics.load(ctrl, REMAINING) !== 0 && spinMs > 0) {
        const until = now() + spinMs;
        let k = 0;
        while (Atomics.load(ctrl, REMAINING) !== 0) if ((++k & 255) === 0 && now() > until) break;
      }
      // Shares are balanced (equal parts, or a queue the calling thread drains too): a worker still busy long
      // after this thread's share ended has died (terminated, out of memory) or hangs. The pool is then stopped
      // and the context says so, rather than waiting forever.
      const grace = Math.max(WORKER_GRACE_MS, 20 * (now() - started));
      const deadline = now() + grace;
      for (let v = Atomics.load(ctrl, REMAINING); v !== 0; v = Atomics.load(ctrl, REMAINING)) {
        const left = deadline - now();
        if (left <= 0) {
          broken = `${v} worker thread(s) did not finish their share within ${Math.round(grace)} ms of the calling thread (died or hung); the pool was stopped`;
          stop();
          throw new SimdconvError('BACKEND_UNAVAILABLE', 'threads', 'worker threads that finish their share', broken);
        }
        Atomics.wait(ctrl, REMAINING, v, left);
      }
      if (!failed) {
        for (let i = 1; i < n && !failed; i++) {
          const slot = HEADER_INTS + (i - 1) * SLOT_INTS;
          if (ctrl[slot + ERROR] === 0) continue;
          failed = true;
          const start = (i - 1) * MESSAGE_BYTES;
          // slice(): TextDecoder refuses views of shared memory in browsers.
          const text = decoder.decode(messages.slice(start, start + ctrl[slot + ERROR_LENGTH]!));
          const cut = text.indexOf('\n');
          const name = text.slice(0, cut);
          const message = `${text.slice(cut + 1)} (in ${calls[i]!.driver} on worker thread ${i})`;
          error = name === 'RuntimeError' ? new WebAssembly.RuntimeError(message) : new Error(message);
        }
      }
    }
    if (failed) throw error;
  };

  return {
    size: threads,
    get terminated() {
      return terminated;
    },
    run,
    terminate,
  };
}

interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  names: string[];
  messagesOffset: number;
  spinMicros: number;
}
