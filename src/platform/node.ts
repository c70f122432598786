/**
 * Node's side of the platform seam (src/platform/platform.ts): files from disk, os.availableParallelism,
 * worker_threads, and WebGPU from the optional `webgpu` package (Dawn). Importing this module installs it; the
 * package's `node` export condition does that (src/node/*.ts), so browser bundles never reach this file.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { type Platform, type StartedWorker, browserPlatform, setPlatform } from './platform.js';

/**
 * The worker file is written for a browser's worker global (`self`); in Node a few lines give it one, then
 * import it. Evaluated as CommonJS in the new thread.
 */
const NODE_WORKER_BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.self = {
  postMessage: (message) => parentPort.postMessage(message),
  addEventListener: (type, listener) => parentPort.once(type, (data) => listener({ data })),
  close: () => parentPort.close(),
};
import(workerData.url).catch((error) => parentPort.postMessage({ ready: false, error: String(error && error.stack || error) }));
`;

function startNodeWorker(url: URL | undefined, init: unknown): StartedWorker {
  const script = url ?? new URL('../../wasm/simdconv-worker.js', import.meta.url);
  // No execArgv: V8 flags (--experimental-wasm-relaxed-simd) are process-wide, and the worker needs no loaders.
  const worker = new Worker(NODE_WORKER_BOOTSTRAP, { eval: true, workerData: { url: script.href }, execArgv: [], env: SHARE_ENV });
  const ready = new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`worker exited with code ${code} before starting`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: { ready: boolean; error?: string }) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (!m.ready) return reject(new Error(m.error));
      // Idle workers must not keep the process alive; ref'd until ready so that awaiting the pool does.
      worker.unref();
      resolve();
    });
  });
  worker.postMessage(init);
  return { handle: { terminate: () => void worker.terminate() }, ready };
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: Promise<GPU | string> | null = null;

/** The `webgpu` package's GPU object, created once per process (or why it cannot be). */
function loadDawn(): Promise<GPU | string> {
  dawn ??= (async () => {
    const specifier = 'webgpu'; // an optional peer dependency: resolved only when WebGPU is asked for
    let mod: DawnModule;
    try {
      mod = (await import(specifier)) as DawnModule;
    } catch (e) {
      return `Node has no WebGPU of its own and the optional 'webgpu' package (Dawn) could not be loaded (npm install webgpu): ${(e as Error).message}`;
    }
    // Dawn's GPUBufferUsage, GPUMapMode, ... as globals, without replacing any the host already has.
    for (const [key, value] of Object.entries(mod.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
    try {
      return mod.create([]);
    } catch (e) {
      return `webgpu.create() failed: ${(e as Error).message}`;
    }
  })();
  return dawn;
}

export const nodePlatform: Platform = {
  name: 'node',
  resolve(location) {
    return URL.canParse(location) && !/^[a-zA-Z]:[\\/]/.test(location) ? new URL(location) : pathToFileURL(resolvePath(location));
  },
  async readBytes(url) {
    return url.protocol === 'file:' ? readFile(url) : browserPlatform.readBytes(url);
  },
  async coreCount() {
    return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  },
  workersUnavailable: () => null,
  startWorker: startNodeWorker,
  async gpu() {
    const own = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    return own ?? loadDawn();
  },
};

setPlatform(nodePlatform);
