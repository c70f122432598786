/**
 * A context is one initialised backend with every op bound to it. `init()` makes the default context that
 * the top-level functions (`conv2d`, `createConv2d`, ...) use; `createContext()` makes independent ones (a
 * benchmark comparing the SIMD128 and relaxed builds side by side, say).
 */
import { SimdconvError, describe } from './errors.js';
import { JsConvPlan } from './backends/js.js';
import { detectFeatures, type WasmBuild, type WasmSource } from './backends/wasm/module.js';
import { createWasmRuntime, type WasmRuntime } from './backends/wasm/runtime.js';
import { createWasmPlan } from './backends/wasm/select.js';
import type { ConvPlan } from './plan.js';
import { type ConvParams } from './shape.js';

export type BackendName = 'wasm' | 'js';

export interface InitOptions {
  /** 'auto' (default): wasm when the engine has SIMD, else the portable js backend. */
  backend?: 'auto' | BackendName;
  /** 'auto' (default): relaxed SIMD where the engine validates it, else SIMD128. */
  build?: 'auto' | WasmBuild;
  /** Forces the SIMD128 build: bit-identical results across engines (no fused multiply-add). */
  deterministic?: boolean;
  /** Override where the .wasm files come from (bundlers, CDNs): a URL/path per build, bytes or a compiled module. */
  wasm?: Partial<Record<WasmBuild, WasmSource>>;
}

export interface BackendInfo {
  readonly backend: BackendName;
  /** The wasm build in use, or null on the js backend. */
  readonly build: WasmBuild | null;
  readonly features: { readonly simd: boolean; readonly relaxedSimd: boolean };
}

export interface Context extends BackendInfo {
  /** Makes a plan for resolved parameters; used by the op modules. */
  createPlan(params: ConvParams): ConvPlan;
  /** Bytes of wasm memory in use / at peak / reserved (zeros on the js backend). */
  memoryStats(): { bytesInUse: number; peakBytes: number; memoryBytes: number };
}

const OPTION_KEYS = new Set(['backend', 'build', 'deterministic', 'wasm']);

export async function createContext(options: InitOptions = {}): Promise<Context> {
  if (typeof options !== 'object' || options === null) throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an init options object', describe(options));
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, `one of ${[...OPTION_KEYS].join(', ')}`, 'an unknown option');
  }
  const backend = options.backend ?? 'auto';
  if (!['auto', 'wasm', 'js'].includes(backend)) throw new SimdconvError('INVALID_ARGUMENT', 'options.backend', "'auto', 'wasm' or 'js'", describe(backend));
  const requestedBuild = options.build ?? 'auto';
  if (!['auto', 'relaxed', 'simd128'].includes(requestedBuild)) throw new SimdconvError('INVALID_ARGUMENT', 'options.build', "'auto', 'relaxed' or 'simd128'", describe(requestedBuild));
  const f = detectFeatures();
  const features = { simd: f.simd, relaxedSimd: f.relaxed };

  if (backend === 'js' || (backend === 'auto' && !f.simd)) {
    return { backend: 'js', build: null, features, createPlan: (p) => new JsConvPlan(p), memoryStats: () => ({ bytesInUse: 0, peakBytes: 0, memoryBytes: 0 }) };
  }
  if (!f.simd) throw new SimdconvError('BACKEND_UNAVAILABLE', 'options.backend', 'an engine with WebAssembly SIMD for the wasm backend', 'no SIMD support');
  let build: WasmBuild;
  if (options.deterministic || requestedBuild === 'simd128') build = 'simd128';
  else if (requestedBuild === 'relaxed') {
    if (!f.relaxed) throw new SimdconvError('BACKEND_UNAVAILABLE', 'options.build', 'an engine with relaxed SIMD', 'no relaxed SIMD support');
    build = 'relaxed';
  } else build = f.relaxed ? 'relaxed' : 'simd128';
  const rt: WasmRuntime = await createWasmRuntime(build, options.wasm?.[build]);
  return {
    backend: 'wasm',
    build,
    features,
    createPlan: (p) => createWasmPlan(rt, p),
    memoryStats: () => rt.heap.stats,
  };
}

let defaultContext: Context | null = null;

/** Initialises the default backend. Awaited once; the wasm ops are synchronous afterwards. */
export async function init(options: InitOptions = {}): Promise<BackendInfo> {
  defaultContext = await createContext(options);
  const { backend, build, features } = defaultContext;
  return { backend, build, features };
}

export function getContext(): Context {
  if (defaultContext === null) throw new SimdconvError('NOT_INITIALIZED', 'simdconv', 'await init() before the first op', 'an op call before init');
  return defaultContext;
}
