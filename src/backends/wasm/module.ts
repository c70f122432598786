/**
 * Loading the kernels: feature detection, fetching the right build and instantiating it on a memory the host
 * owns. Raw `WebAssembly.instantiate` with a pointer API rather than @assemblyscript/loader: the loader is
 * deprecated upstream since 0.20, and the kernels exchange only numbers and byte offsets, so generated
 * bindings would add a runtime and copies without buying anything.
 */
import { SimdconvError, describe } from '../../errors.js';
import { missingAssetHint, platform } from '../../platform/platform.js';
import { KERNEL_ABI, type KernelExports } from './gen/kernels.js';

export type WasmBuild = 'relaxed' | 'simd128';
/** A build's .wasm file: the single-thread one, or its `-mt` twin declaring a shared memory (for thread pools). */
export type WasmArtifact = WasmBuild | `${WasmBuild}-mt`;

export type { KernelExports } from './gen/kernels.js';

// Smallest modules that use one instruction of each feature; validate() tells whether the engine has it.
// (func (result v128) v128.const 0 ...) and the same with f32x4.relaxed_madd.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 11,
]);
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 17, 65, 0, 253, 17, 65,
  0, 253, 17, 253, 133, 2, 11,
]);

export function detectFeatures(): { simd: boolean; relaxed: boolean } {
  const ok = (bytes: Uint8Array<ArrayBuffer>) => {
    try {
      return WebAssembly.validate(bytes);
    } catch {
      return false;
    }
  };
  return { simd: ok(SIMD_PROBE), relaxed: ok(RELAXED_PROBE) };
}

export const WASM_ARTIFACTS: readonly WasmArtifact[] = ['relaxed', 'simd128', 'relaxed-mt', 'simd128-mt'];

/** The file name of each build in the package's wasm/ folder (and under `wasmBaseUrl`). */
export const WASM_FILES: Record<WasmArtifact, string> = {
  simd128: 'simdconv-simd128.wasm',
  relaxed: 'simdconv-relaxed.wasm',
  'simd128-mt': 'simdconv-simd128-mt.wasm',
  'relaxed-mt': 'simdconv-relaxed-mt.wasm',
};

/** Where the `-mt` builds live: given by the threads add-on (src/threads.ts), so that bundles without it emit no `-mt` file. */
let sharedWasmUrl: ((build: WasmBuild) => URL) | null = null;

export function installSharedWasmUrl(url: (build: WasmBuild) => URL): void {
  sharedWasmUrl = url;
}

/**
 * Where a build's .wasm lives in this package. One literal `new URL(..., import.meta.url)` per file: the form
 * Vite (build and dev server), webpack and Rollup's import-meta-assets plugin recognise, emit and rewrite. A
 * computed name would defeat them. Throws where import.meta.url is not a URL (an esbuild IIFE bundle).
 */
export function defaultWasmUrl(build: WasmArtifact): URL {
  switch (build) {
    case 'relaxed':
      return new URL('../../../wasm/simdconv-relaxed.wasm', import.meta.url);
    case 'simd128':
      return new URL('../../../wasm/simdconv-simd128.wasm', import.meta.url);
    default:
      if (!sharedWasmUrl) throw new Error("no threads add-on: import 'simdconv/threads'");
      return sharedWasmUrl(build === 'relaxed-mt' ? 'relaxed' : 'simd128');
  }
}

export type WasmSource = URL | string | ArrayBuffer | Uint8Array | WebAssembly.Module;

/** Whether `value` is something a wasm source may be (checked at init, before anything is fetched). */
export function isWasmSource(value: unknown): value is WasmSource {
  return (
    value instanceof URL ||
    typeof value === 'string' ||
    value instanceof ArrayBuffer ||
    value instanceof Uint8Array ||
    value instanceof WebAssembly.Module
  );
}

/** Where the kernels come from: per-build overrides (`init({ wasm })`) and a folder holding all files (`wasmBaseUrl`). */
export interface WasmLocation {
  readonly source?: WasmSource;
  /** The `init` option the source came from, for errors ('options.wasm.relaxed'). */
  readonly argument?: string;
  readonly baseUrl?: URL;
}

function unavailable(argument: string, expected: string, received: string): SimdconvError {
  return new SimdconvError('BACKEND_UNAVAILABLE', argument, expected, received);
}

/** The URL a build is read from, or a SimdconvError saying why there is none. */
function wasmUrl(build: WasmArtifact, where: WasmLocation): { url: URL; argument: string; packaged: boolean } {
  if (typeof where.source === 'string' || where.source instanceof URL) {
    const argument = where.argument ?? 'wasm';
    try {
      return { url: typeof where.source === 'string' ? platform().resolve(where.source) : where.source, argument, packaged: false };
    } catch (e) {
      throw new SimdconvError('INVALID_ARGUMENT', argument, 'a URL or a path', `${describe(where.source)} (${(e as Error).message})`);
    }
  }
  if (where.baseUrl) return { url: new URL(WASM_FILES[build], where.baseUrl), argument: 'options.wasmBaseUrl', packaged: false };
  try {
    return { url: defaultWasmUrl(build), argument: 'wasm', packaged: true };
  } catch (e) {
    throw unavailable('wasm', `${WASM_FILES[build]} next to simdconv's code${missingAssetHint()}`, `no module URL to find it from (import.meta.url is ${describe(import.meta.url)}: ${(e as Error).message})`);
  }
}

const WASM_MAGIC = [0, 0x61, 0x73, 0x6d];

function startsWithWasmMagic(bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((b, i) => bytes[i] === b);
}

function describeBytes(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 16), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
  return `${bytes.length} bytes starting ${JSON.stringify(head)}`;
}

/** Node before 22 validates relaxed SIMD only behind a V8 flag: errors about relaxed SIMD name it there. */
export function relaxedFlagHint(): string {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return node && Number(node.split('.')[0]) < 22 ? ` (Node ${node} needs the flag: node --experimental-wasm-relaxed-simd)` : '';
}

/** Compiles a build from wherever `where` says (the package's own file by default), or throws a SimdconvError. */
export async function compileKernels(build: WasmArtifact, where: WasmLocation = {}): Promise<WebAssembly.Module> {
  const { source } = where;
  if (source instanceof WebAssembly.Module) return checkKernelModule(source, where.argument ?? 'wasm');
  let bytes: Uint8Array;
  let argument = where.argument ?? 'wasm';
  let origin = 'the bytes given';
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
    if (!startsWithWasmMagic(bytes)) throw new SimdconvError('INVALID_ARGUMENT', argument, 'the bytes of a WebAssembly module', describeBytes(bytes));
  } else {
    const located = wasmUrl(build, where);
    argument = located.argument;
    origin = located.url.href;
    const expected = `${WASM_FILES[build]} at ${located.url.href}${located.packaged ? missingAssetHint() : ''}`;
    let loaded: ArrayBuffer | Uint8Array;
    try {
      loaded = await platform().readBytes(located.url);
    } catch (e) {
      throw unavailable(argument, expected, (e as Error).message);
    }
    bytes = loaded instanceof Uint8Array ? loaded : new Uint8Array(loaded);
    // A dev server's fallback page, say, served in place of a missing file.
    if (!startsWithWasmMagic(bytes)) throw unavailable(argument, `${expected} (a WebAssembly module)`, describeBytes(bytes));
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw unavailable(argument, `simdconv's ${build} kernels that this engine compiles${build.startsWith('relaxed') ? relaxedFlagHint() : ''}`, `${(e as Error).message} (compiling ${origin})`);
  }
  return checkKernelModule(module, argument);
}

const REQUIRED_EXPORTS = ['heap_base', 'kernel_abi'] as const;

/**
 * Some other module in place of simdconv's kernels is refused here, naming the option it came from; another
 * version's kernels are refused when instantiated (kernel_abi). test/kernel-boundary.test.ts checks every export.
 */
function checkKernelModule(module: WebAssembly.Module, argument: string): WebAssembly.Module {
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((name) => !exported.has(name));
  if (missing.length) throw new SimdconvError('INVALID_ARGUMENT', argument, 'a simdconv kernel module', `a module without ${missing.join(', ')}`);
  return module;
}

export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`simdconv wasm abort at ${line}:${col}`);
        },
      },
    });
  } catch (e) {
    throw unavailable('wasm', `a simdconv kernel module for a ${memory.buffer instanceof ArrayBuffer ? 'single-thread' : 'shared (-mt)'} memory`, (e as Error).message);
  }
  const kernels = instance.exports as unknown as KernelExports;
  // Argument structs laid out otherwise than gen/kernels.ts says: a module built from other sources.
  const abi = kernels.kernel_abi() >>> 0;
  if (abi !== KERNEL_ABI) {
    throw new SimdconvError('INVALID_ARGUMENT', 'wasm', `simdconv's kernels of this version (kernel_abi ${KERNEL_ABI})`, `kernel_abi ${abi}`);
  }
  return kernels;
}
