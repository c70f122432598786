/**
 * simdconv/threads: makes `threads` above 1 (and 'auto') available: the worker pool and the `-mt` kernel
 * builds. The main `simdconv` entry imports it; a bundle built from single-op entries (`simdconv/conv2d`) holds
 * the pool, and emits the `-mt` .wasm files, only when it also has `import 'simdconv/threads'`.
 */
import { installSharedWasmUrl } from './backends/wasm/module.js';
import { installThreads } from './backends/wasm/runtime.js';
import { createThreadPool } from './backends/wasm/thread-pool.js';
import { autoThreadCount, threadSupport } from './backends/wasm/thread-support.js';

// One literal `new URL(..., import.meta.url)` per file, as module.ts's defaultWasmUrl (bundlers emit them).
installSharedWasmUrl((build) =>
  build === 'relaxed' ? new URL('../wasm/simdconv-relaxed-mt.wasm', import.meta.url) : new URL('../wasm/simdconv-simd128-mt.wasm', import.meta.url),
);
installThreads({ createThreadPool, threadSupport, autoThreadCount });
