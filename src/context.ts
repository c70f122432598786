/**
 * A context is one initialised backend with every op bound to it. `init()` makes the default context that
 * the top-level functions (`conv2d`, `createConv2d`, ...) use; `createContext()` makes independent ones (a
 * benchmark comparing the SIMD128 and relaxed builds side by side, say).
 */
import { SimdconvError, describe } from './errors.js';
import { WASM_ARTIFACTS, detectFeatures, isWasmSource, relaxedFlagHint, type WasmArtifact, type WasmBuild, type WasmSource } from './backends/wasm/module.js';
import { createWasmRuntime, threadsFor, type WasmRuntime } from './backends/wasm/runtime.js';
import type { WasmPlanMaker } from './backends/wasm/select.js';
import { platform } from './platform/platform.js';
import type { ChainStage, ConvChain } from './chain.js';
import type { ConvPlan } from './plan.js';
import { ownWeights, residentTensor } from './backends/wasm/resident-tensor.js';
import type { ResidentTensor } from './types.js';
import { type ConvParams } from './shape.js';

export type BackendName = 'wasm' | 'js';

export interface InitOptions {
  /** 'auto' (default): wasm when the engine has SIMD, else the portable js backend. */
  backend?: 'auto' | BackendName;
  /** 'auto' (default): relaxed SIMD where the engine validates it, else SIMD128. */
  build?: 'auto' | WasmBuild;
  /** Forces the SIMD128 build: bit-identical results across engines (no fused multiply-add). */
  deterministic?: boolean;
  /**
   * A folder (URL, or a path in Node) holding a copy of the package's wasm/ folder: the .wasm builds and the
   * thread worker. For bundlers that do not emit `new URL(..., import.meta.url)` assets (esbuild) and CDNs.
   */
  wasmBaseUrl?: string | URL;
  /** One build from elsewhere: a URL or path, its bytes, or a compiled WebAssembly.Module (overrides `wasmBaseUrl`). */
  wasm?: Partial<Record<WasmArtifact, WasmSource>>;
  /**
   * Threads for the wasm backend, the calling one included (default 1). 'auto': the core count, at most 8,
   * where threads can run. Threads need SharedArrayBuffer (browsers: a cross-origin isolated page, COOP/COEP
   * headers) and a thread that may block (Node, or a browser Worker); elsewhere one thread runs, with a
   * console warning once when more were asked for.
   */
  threads?: number | 'auto';
}

export interface BackendInfo {
  readonly backend: BackendName;
  /** The wasm build in use, or null on the js backend. */
  readonly build: WasmBuild | null;
  readonly features: { readonly simd: boolean; readonly relaxedSimd: boolean };
  /** Threads the ops may use (1: no workers). */
  readonly threads: number;
}

/**
 * How a chain is made on each backend: resident in wasm memory, or on host arrays with the backend's plans. The
 * composite ops pass src/backends/wasm/chain.ts's `chainMakers`, so that only bundles holding them carry chains.
 */
export interface ChainMakers {
  wasm(rt: WasmRuntime, stages: readonly ChainStage[]): ConvChain;
  host(stages: readonly ChainStage[], makePlan: (params: ConvParams) => ConvPlan): ConvChain;
}

/** A companion op's plan per backend (Context.createOpPlan). */
export interface OpPlanMakers<P, Plan> {
  wasm(rt: WasmRuntime, params: P): Plan;
  js(params: P): Plan;
}

export interface Context extends BackendInfo {
  /**
   * Makes a plan for resolved parameters; used by the op modules. An op brings its wasm kernel paths
   * (`wasm`, from src/backends/wasm/select.ts), so that a bundle holds only the paths of the ops it imports.
   */
  createPlan(params: ConvParams, wasm: WasmPlanMaker): ConvPlan;
  /**
   * Makes a chain of convolutions run back to back (src/chain.ts), the intermediates kept where this
   * backend's kernels read them: in wasm memory on the wasm backend (no copy through JS between stages).
   * Used by the composite ops, which bring the chain implementations (`makers`).
   */
  createChain(stages: readonly ChainStage[], makers: ChainMakers): ConvChain;
  /**
   * A plan of a companion op (pooling, ...) on this context's backend, from the op's own makers: an op module
   * brings its kernels' plans, so that a bundle without it holds none of them.
   */
  createOpPlan<P, Plan>(params: P, makers: OpPlanMakers<P, Plan>): Plan;
  /** Bytes of wasm memory in use / at peak / reserved (zeros on the js backend). */
  memoryStats(): { bytesInUse: number; peakBytes: number; memoryBytes: number };
  /**
   * A zero-filled tensor (or a copy of `values`) in this context's memory, which wasm plans read and write
   * in place: pass it as a plan's input or `out` to skip the copy in or out. On the js backend it is an
   * ordinary tensor.
   */
  tensor(shape: readonly number[], values?: ArrayLike<number>): ResidentTensor;
  /** Stops the context's worker threads (idempotent); the context must not be used afterwards. */
  dispose(): void;
}

const OPTION_KEYS = new Set(['backend', 'build', 'deterministic', 'wasm', 'wasmBaseUrl', 'threads']);
/** Threads per context: a pool's start-up grows with its workers (200 took 6.5 s) and conv layers stop scaling well before. */
const MAX_THREADS = 32;

/** `wasm` and `wasmBaseUrl`, checked before anything is fetched. */
function checkWasmOptions(options: InitOptions): URL | undefined {
  const { wasm, wasmBaseUrl } = options;
  if (wasm !== undefined) {
    if (typeof wasm !== 'object' || wasm === null)
      throw new SimdconvError('INVALID_ARGUMENT', 'options.wasm', `an object with any of ${WASM_ARTIFACTS.join(', ')}`, describe(wasm));
    for (const [key, value] of Object.entries(wasm)) {
      if (!(WASM_ARTIFACTS as readonly string[]).includes(key))
        throw new SimdconvError('INVALID_ARGUMENT', `options.wasm.${key}`, `one of ${WASM_ARTIFACTS.join(', ')}`, 'an unknown build');
      if (value !== undefined && !isWasmSource(value)) {
        throw new SimdconvError(
          'INVALID_ARGUMENT',
          `options.wasm.${key}`,
          'a URL, a path, an ArrayBuffer, a Uint8Array or a WebAssembly.Module',
          describe(value),
        );
      }
    }
  }
  if (wasmBaseUrl === undefined) return undefined;
  if (!(typeof wasmBaseUrl === 'string' || wasmBaseUrl instanceof URL))
    throw new SimdconvError('INVALID_ARGUMENT', 'options.wasmBaseUrl', 'a URL or a path to a folder', describe(wasmBaseUrl));
  let url: URL;
  try {
    url = typeof wasmBaseUrl === 'string' ? platform().resolve(wasmBaseUrl) : new URL(wasmBaseUrl.href);
  } catch (e) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.wasmBaseUrl', 'a URL or a path to a folder', `${describe(wasmBaseUrl)} (${(e as Error).message})`);
  }
  // A folder: file names are resolved inside it, not beside it.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

let jsBackend: ((features: BackendInfo['features']) => Context) | null = null;

/**
 * The float64 js backend is an add-on, installed by src/js-backend.ts: the main and WebGPU entries import it, a
 * bundle of single ops (`simdconv/conv2d`) only with `import 'simdconv/js-backend'`. Engines without
 * WebAssembly SIMD need it.
 */
export function installJsBackend(make: (features: BackendInfo['features']) => Context): void {
  jsBackend = make;
}

export async function createContext(options: InitOptions = {}): Promise<Context> {
  if (typeof options !== 'object' || options === null) throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an init options object', describe(options));
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, `one of ${[...OPTION_KEYS].join(', ')}`, 'an unknown option');
  }
  const backend = options.backend === undefined ? 'auto' : options.backend;
  if (!['auto', 'wasm', 'js'].includes(backend)) throw new SimdconvError('INVALID_ARGUMENT', 'options.backend', "'auto', 'wasm' or 'js'", describe(backend));
  const requestedBuild = options.build === undefined ? 'auto' : options.build;
  if (!['auto', 'relaxed', 'simd128'].includes(requestedBuild))
    throw new SimdconvError('INVALID_ARGUMENT', 'options.build', "'auto', 'relaxed' or 'simd128'", describe(requestedBuild));
  const requestedThreads = options.threads === undefined ? 1 : options.threads;
  if (requestedThreads !== 'auto' && !(Number.isInteger(requestedThreads) && requestedThreads >= 1 && requestedThreads <= MAX_THREADS)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.threads', `an integer from 1 to ${MAX_THREADS}, or 'auto'`, describe(requestedThreads));
  }
  if (options.deterministic !== undefined && typeof options.deterministic !== 'boolean') {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.deterministic', 'true or false', describe(options.deterministic));
  }
  const baseUrl = checkWasmOptions(options);
  const f = detectFeatures();
  const features = { simd: f.simd, relaxedSimd: f.relaxed };

  if (backend === 'js' || (backend === 'auto' && !f.simd)) {
    if (jsBackend) return jsBackend(features);
    throw new SimdconvError(
      'BACKEND_UNAVAILABLE',
      'options.backend',
      `${backend === 'js' ? '' : 'an engine with WebAssembly SIMD, or '}the js backend, which this bundle does not hold: import 'simdconv/js-backend' once (the main 'simdconv' entry includes it)`,
      backend === 'js' ? "backend 'js'" : 'no WebAssembly SIMD in this engine',
    );
  }
  if (!f.simd) throw new SimdconvError('BACKEND_UNAVAILABLE', 'options.backend', 'an engine with WebAssembly SIMD for the wasm backend', 'no SIMD support');
  let build: WasmBuild;
  if (options.deterministic || requestedBuild === 'simd128') build = 'simd128';
  else if (requestedBuild === 'relaxed') {
    if (!f.relaxed)
      throw new SimdconvError('BACKEND_UNAVAILABLE', 'options.build', `an engine with relaxed SIMD${relaxedFlagHint()}`, 'no relaxed SIMD support');
    build = 'relaxed';
  } else build = f.relaxed ? 'relaxed' : 'simd128';
  const threads = requestedThreads === 'auto' ? await threadsFor('auto').autoThreadCount() : requestedThreads;
  const rt: WasmRuntime = await createWasmRuntime(build, { threads, source: options.wasm?.[build], sharedSource: options.wasm?.[`${build}-mt`], baseUrl });
  return {
    backend: 'wasm',
    build,
    features,
    threads: rt.pool?.size ?? 1,
    dispose: () => rt.pool?.terminate(),
    createPlan: (p, wasm) => wasm(rt, ownWeights(p)),
    createChain: (s, makers) =>
      makers.wasm(
        rt,
        s.map((stage) => ({ ...stage, params: ownWeights(stage.params) })),
      ),
    createOpPlan: (p, makers) => makers.wasm(rt, p),
    memoryStats: () => rt.heap.stats,
    tensor: (shape, values) => residentTensor(rt, shape, values),
  };
}

let defaultContext: Context | null = null;

/** Initialises the default backend. Awaited once; the wasm ops are synchronous afterwards. */
export async function init(options: InitOptions = {}): Promise<BackendInfo> {
  defaultContext = await createContext(options);
  const { backend, build, features, threads } = defaultContext;
  return { backend, build, features, threads };
}

export function getContext(): Context {
  if (defaultContext === null) throw new SimdconvError('NOT_INITIALIZED', 'simdconv', 'await init() before the first op', 'an op call before init');
  return defaultContext;
}
