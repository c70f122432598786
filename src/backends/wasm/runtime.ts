/** One instantiated kernel module with its memory and host-side heap. */
import { SimdconvError } from '../../errors.js';
import { PadImageArgs, type PadImageFields } from './gen/kernels.js';
import { WasmHeap } from './heap.js';
import { type KernelExports, type WasmBuild, type WasmSource, compileKernels, instantiateKernels } from './module.js';
import type { ThreadPool, createThreadPool } from './thread-pool.js';
import type { autoThreadCount, threadSupport } from './thread-support.js';
import { SPIN_MICROS } from './tile-policy.js';

export interface WasmRuntime {
  readonly build: WasmBuild;
  readonly kernels: KernelExports;
  readonly heap: WasmHeap;
  readonly memory: WebAssembly.Memory;
  /** Worker threads sharing `memory`, or null when single-threaded. */
  readonly pool: ThreadPool | null;
  /** The argument struct of the host's pad_image calls (pad-copy.ts), one per runtime: they run on this thread only. */
  readonly padArgs: PadImageArgs;
}

export interface WasmRuntimeOptions {
  /** Threads including the caller's (default 1). Above 1: the `-mt` build on a shared memory, with a pool. */
  threads?: number;
  /** Where the single-thread build comes from (`init({ wasm: { relaxed } })`); the package's file by default. */
  source?: WasmSource;
  /** Where the `-mt` build comes from (as `source` for the single-thread one). */
  sharedSource?: WasmSource;
  /** A folder holding every .wasm file and the worker script (`init({ wasmBaseUrl })`). */
  baseUrl?: URL;
}

/** What `threads` above 1 needs, installed by the threads add-on (src/threads.ts; the main entry imports it). */
export interface ThreadsAddOn {
  readonly createThreadPool: typeof createThreadPool;
  readonly threadSupport: typeof threadSupport;
  readonly autoThreadCount: typeof autoThreadCount;
}

let threadsAddOn: ThreadsAddOn | null = null;

export function installThreads(addOn: ThreadsAddOn): void {
  threadsAddOn = addOn;
}

/** The threads add-on, or a SimdconvError naming `options.threads` (the value asked for) when this bundle lacks it. */
export function threadsFor(requested: unknown): ThreadsAddOn {
  if (threadsAddOn) return threadsAddOn;
  throw new SimdconvError(
    'BACKEND_UNAVAILABLE',
    'options.threads',
    "threads, which this bundle does not hold: import 'simdconv/threads' once (the main 'simdconv' entry includes it)",
    String(requested),
  );
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  console.warn(`simdconv: running on one thread: ${message}`);
}

export async function createWasmRuntime(build: WasmBuild, options: WasmRuntimeOptions = {}): Promise<WasmRuntime> {
  const threads = options.threads ?? 1;
  const { baseUrl } = options;
  if (threads > 1) {
    const { createThreadPool, threadSupport } = threadsFor(threads);
    const support = threadSupport();
    if (!support.ok) warnOnce(support.reason);
    else {
      let pool: ThreadPool | null = null;
      try {
        const module = await compileKernels(`${build}-mt`, { source: options.sharedSource, argument: `options.wasm.${build}-mt`, baseUrl });
        // Shared memories cannot move, so the engine reserves the maximum up front (address space only).
        const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
        const kernels = await instantiateKernels(module, memory);
        const workerUrl = baseUrl ? new URL('simdconv-worker.js', baseUrl) : undefined;
        pool = await createThreadPool(module, memory, threads, { exports: kernels as unknown as Record<string, unknown>, spinMicros: SPIN_MICROS, workerUrl });
        const { heap, padArgs } = hostMemory(memory, kernels);
        return { build, kernels, heap, memory, pool, padArgs };
      } catch (error) {
        pool?.terminate();
        // A bad `wasm` option is the caller's to fix; an environment that cannot start threads runs on one.
        if (error instanceof SimdconvError && error.code === 'INVALID_ARGUMENT') throw error;
        warnOnce(`starting ${threads} threads failed (${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }
  const module = await compileKernels(build, { source: options.source, argument: `options.wasm.${build}`, baseUrl });
  // Growth is on demand (heap.ts); the maximum is wasm32's 4 GiB.
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const kernels = await instantiateKernels(module, memory);
  const { heap, padArgs } = hostMemory(memory, kernels);
  return { build, kernels, heap, memory, pool: null, padArgs };
}

/** The heap after the module's data, and the runtime's own pad_image struct (a slot held for good). */
function hostMemory(memory: WebAssembly.Memory, kernels: KernelExports): { heap: WasmHeap; padArgs: PadImageArgs } {
  const heap = new WasmHeap(memory, kernels.heap_base());
  // Its fields are all written before each call (pad-copy.ts padImage).
  return { heap, padArgs: PadImageArgs.create(heap, {} as PadImageFields) };
}
