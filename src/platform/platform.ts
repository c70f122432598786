/**
 * What differs between browsers and Node, behind one seam: where a file's bytes come from, how many cores there
 * are, how a worker starts and where a GPU comes from. This file is the browser's side and imports nothing, so a
 * browser bundle (or a page importing dist/ as plain modules) never meets a `node:` module. Node's side is
 * src/platform/node.ts, which the package's `node` export condition installs before anything runs
 * (src/node/*.ts). docs/ARCHITECTURE.md says more.
 */
/// <reference types="@webgpu/types" preserve="true" />

export interface WorkerHandle {
  terminate(): void;
}

/** A started worker: `ready` settles when it answers its first message. */
export interface StartedWorker {
  readonly handle: WorkerHandle;
  readonly ready: Promise<void>;
}

export interface Platform {
  readonly name: 'browser' | 'node';
  /** A user-given location: an absolute URL as it is; else relative to the page (browsers) or a file path (Node). */
  resolve(location: string): URL;
  /** The bytes at `url`; throws with the reason (HTTP status, missing file, ...) when there are none. */
  readBytes(url: URL): Promise<ArrayBuffer | Uint8Array>;
  /** Logical cores, at least 1. */
  coreCount(): Promise<number>;
  /** null where this thread can start workers, else why not. */
  workersUnavailable(): string | null;
  /**
   * Starts the thread-pool worker (the package's wasm/simdconv-worker.js, or the file at `url`) and sends it
   * `init`. A worker that has not answered must not keep the process alive once it has (Node).
   */
  startWorker(url: URL | undefined, init: unknown): StartedWorker;
  /** The WebGPU entry point, or why there is none. */
  gpu(): Promise<GPU | string>;
}

/**
 * What to do when one of the package's files (a .wasm build, the worker) is not where its
 * `new URL(..., import.meta.url)` points: the bundler did not emit it. README: Bundlers.
 */
export function missingAssetHint(): string {
  // Vite's dev server before Vite 8 serves pre-bundled dependencies from node_modules/.vite/deps, away from
  // their files, and leaves their new URL(...) paths as they were.
  if (String(import.meta.url).includes('/.vite/deps/')) {
    return "; Vite's dev server before Vite 8 moves pre-bundled dependencies away from their files: add optimizeDeps: { exclude: ['simdconv'] } to vite.config.js (README: Bundlers)";
  }
  return (
    '; where a bundler does not emit new URL(..., import.meta.url) assets (esbuild, Rollup without ' +
    '@web/rollup-plugin-import-meta-assets), copy node_modules/simdconv/wasm/ to your site and pass ' +
    "init({ wasmBaseUrl: '/that/folder/' }) (README: Bundlers)"
  );
}

type WebWorkerGlobal = { Worker?: typeof Worker; location?: { href: string; origin: string }; navigator?: { hardwareConcurrency?: number; gpu?: GPU } };
const g = globalThis as WebWorkerGlobal;

function startWebWorker(url: URL | undefined, init: unknown): StartedWorker {
  let worker: Worker;
  if (url === undefined) {
    // This literal form is what Vite, webpack and Rollup's import-meta-assets plugin recognise: they emit the file
    // and rewrite the URL. It stays literal on purpose.
    worker = new Worker(new URL('../../wasm/simdconv-worker.js', import.meta.url), { type: 'module' });
  } else if (g.location && url.origin !== g.location.origin) {
    // A worker script must be same-origin: from a CDN, start a same-origin module that imports it.
    const source = `import ${JSON.stringify(url.href)};`;
    worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
  } else {
    worker = new Worker(url, { type: 'module' });
  }
  const ready = new Promise<void>((resolve, reject) => {
    worker.onerror = (e) => {
      e.preventDefault?.();
      const what = `the thread worker script (simdconv-worker.js${url ? ` at ${url.href}` : ''}) did not load`;
      reject(new Error(`${what}${e.message ? ` (${e.message})` : ''}${url ? '' : missingAssetHint()}`));
    };
    worker.onmessage = (e: MessageEvent<{ ready: boolean; error?: string }>) => {
      worker.onerror = null;
      worker.onmessage = null;
      if (!e.data.ready) reject(new Error(e.data.error));
      else resolve();
    };
  });
  worker.postMessage(init);
  return { handle: { terminate: () => worker.terminate() }, ready };
}

export const browserPlatform: Platform = {
  name: 'browser',
  resolve(location) {
    return new URL(location, g.location?.href);
  },
  async readBytes(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    return response.arrayBuffer();
  },
  async coreCount() {
    return Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  },
  workersUnavailable() {
    return typeof g.Worker === 'function' ? null : 'Worker is unavailable here';
  },
  startWorker: startWebWorker,
  async gpu() {
    return g.navigator?.gpu ?? 'navigator.gpu is undefined (this browser has no WebGPU, or it is disabled)';
  },
};

let current: Platform = browserPlatform;

export function platform(): Platform {
  return current;
}

/** Installs another platform (src/platform/node.ts does, when the package is imported under Node). */
export function setPlatform(p: Platform): void {
  current = p;
}
