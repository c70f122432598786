/** Whether this thread can run a pool of wasm threads (thread-pool.ts), and how many 'auto' means. */
import { platform } from '../../platform/platform.js';

const COOP_COEP =
  'serve the page cross-origin isolated (HTTP headers "Cross-Origin-Opener-Policy: same-origin" and ' +
  '"Cross-Origin-Embedder-Policy: require-corp" or "credentialless")';

let support: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether this thread can run a pool: SharedArrayBuffer, a shared wasm memory, a blocking Atomics.wait, workers. */
export function threadSupport(): { ok: true } | { ok: false; reason: string } {
  return (support ??= probeThreads());
}

function probeThreads(): { ok: true } | { ok: false; reason: string } {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object' || g.crossOriginIsolated === false) {
    return { ok: false, reason: `SharedArrayBuffer is unavailable: ${COOP_COEP}` };
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return { ok: false, reason: 'this engine cannot make a shared WebAssembly.Memory (wasm threads)' };
  }
  try {
    // Throws before comparing when the agent may not block (a browser's main thread); else returns 'not-equal'.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return { ok: false, reason: 'Atomics.wait cannot block on this thread (a browser main thread): run simdconv inside a Worker to use threads' };
  }
  const noWorkers = platform().workersUnavailable();
  return noWorkers === null ? { ok: true } : { ok: false, reason: noWorkers };
}

/** 'auto' threads: the core count, at most 8; 1 where threads cannot run. */
export async function autoThreadCount(): Promise<number> {
  if (!threadSupport().ok) return 1;
  return Math.min(8, await platform().coreCount());
}
