/**
 * Loading the kernels: feature detection, fetching the right build and instantiating it on a memory the host
 * owns. Raw `WebAssembly.instantiate` with a pointer API rather than @assemblyscript/loader: the loader is
 * deprecated upstream since 0.20, and the kernels exchange only numbers and byte offsets, so generated
 * bindings would add a runtime and copies without buying anything.
 */
import { SimdconvError } from '../../errors.js';

export type WasmBuild = 'relaxed' | 'simd128';
/** A build's .wasm file: the single-thread one, or its `-mt` twin declaring a shared memory (for thread pools). */
export type WasmArtifact = WasmBuild | `${WasmBuild}-mt`;

export interface KernelExports {
  pack_a(w: number, ldw: number, m: number, k: number, rows: number, dst: number): void;
  pack_b_8(w: number, ldw: number, n: number, k: number, dst: number): void;
  pad_image(x: number, y: number, outer: number, inner: number, D: number, H: number, W: number, pd0: number, pd1: number, ph0: number, ph1: number, pw0: number, pw1: number, mode: number): void;
  conv_gemm_cf(...args: number[]): void;
  conv_gemm_cl(...args: number[]): void;
  conv_direct_cf(...args: number[]): void;
  direct_tap_offsets(cinG: number, KD: number, KH: number, KW: number, DD: number, DH: number, DW: number, Dp: number, Hp: number, SW: number, segW: number, dst: number): void;
  copy_into_padded(x: number, y: number, C: number, D: number, H: number, W: number, PD: number, PH: number, PW: number, Dp: number, Hp: number, SW: number, segW: number): void;
  copy_cl_into_padded_cf(x: number, y: number, C: number, D: number, H: number, W: number, PD: number, PH: number, PW: number, Dp: number, Hp: number, SW: number, segW: number): void;
  transpose_block(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number): void;
  heap_base(): number;
  [name: string]: unknown;
}

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

const BUILD_FILES: Record<WasmArtifact, string> = {
  simd128: 'simdconv-simd128.wasm',
  relaxed: 'simdconv-relaxed.wasm',
  'simd128-mt': 'simdconv-simd128-mt.wasm',
  'relaxed-mt': 'simdconv-relaxed-mt.wasm',
};

/** Where a build's .wasm lives next to this package (works from src/ under vitest and from dist/). */
export function defaultWasmUrl(build: WasmArtifact): URL {
  return new URL(`../../../wasm/${BUILD_FILES[build]}`, import.meta.url);
}

export type WasmSource = URL | string | ArrayBuffer | Uint8Array | WebAssembly.Module;

async function loadBytes(source: URL | string): Promise<ArrayBuffer | Uint8Array> {
  const url = typeof source === 'string' ? new URL(source, import.meta.url) : source;
  if (url.protocol === 'file:') {
    const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new SimdconvError('BACKEND_UNAVAILABLE', 'wasm', `a fetchable .wasm at ${url.href}`, `HTTP ${response.status}`);
  return response.arrayBuffer();
}

export async function compileKernels(build: WasmArtifact, source?: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  const bytes = source instanceof ArrayBuffer || source instanceof Uint8Array ? source : await loadBytes(source ?? defaultWasmUrl(build));
  return WebAssembly.compile(bytes as BufferSource);
}

export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`simdconv wasm abort at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
