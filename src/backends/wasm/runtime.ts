/** One instantiated kernel module with its memory and host-side heap. */
import type { KernelPool } from './dispatch.js';
import { WasmHeap } from './heap.js';
import { type KernelExports, type WasmBuild, type WasmSource, compileKernels, instantiateKernels } from './module.js';

export interface WasmRuntime {
  readonly build: WasmBuild;
  readonly kernels: KernelExports;
  readonly heap: WasmHeap;
  readonly memory: WebAssembly.Memory;
  /** Worker threads sharing `memory`, or null when single-threaded. */
  readonly pool: KernelPool | null;
}

export async function createWasmRuntime(build: WasmBuild, source?: WasmSource): Promise<WasmRuntime> {
  const module = await compileKernels(build, source);
  // Growth is on demand (heap.ts); the maximum is wasm32's 4 GiB.
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  const kernels = await instantiateKernels(module, memory);
  const heap = new WasmHeap(memory, kernels.heap_base());
  return { build, kernels, heap, memory, pool: null };
}
