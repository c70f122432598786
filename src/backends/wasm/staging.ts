/** Staging buffers: where a tensor that is not in wasm memory is copied for the kernels (runner.ts decides when). */
import type { WasmHeap } from './heap.js';

/**
 * Bytes a plan adds to a staging buffer (and counts when it checks that a shape fits), for the float a staged
 * input or output may start into it (stagingShift).
 */
export const STAGING_SPARE = 4;

const Shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null;

/**
 * Bytes (0 or 4) that a buffer in wasm memory is to start past an 8-byte boundary when it is copied to or from
 * a JS array at float index `floatIndex` of its ArrayBuffer (the array's byteOffset / 4 plus the element), so
 * that the copy's source and destination agree modulo 8 bytes. V8 copies to or from a SharedArrayBuffer (the
 * threads builds' memory) with relaxed atomic accesses, 8 bytes at a time only where they agree, else byte by
 * byte: 4 MB in pieces of 1000 floats, shared to unshared or back, ran at 20-21 GB/s aligned and 3.2-3.3 GB/s
 * one float off. Unshared memory copies at full speed either way and keeps its buffers where they are.
 */
export function stagingShift(memory: WebAssembly.Memory, floatIndex: number): 0 | 4 {
  return Shared !== null && memory.buffer instanceof Shared && (floatIndex & 1) !== 0 ? 4 : 0;
}

/**
 * A plan's staging buffers for one input shape, allocated by the first run that needs them: resident runs
 * (chains, tensors already in wasm memory) never hold any. `before` / `after`: guard bytes around the input
 * that a kernel may read (never into a result).
 */
export class Staging {
  private x = 0;
  private y = 0;
  private readonly chunks: number[] = [];

  constructor(
    private readonly heap: WasmHeap,
    readonly before = 0,
    readonly after = 0,
  ) {}

  /** The byte offset of an input buffer of at least `bytes`, `before` guard bytes into its block. */
  input(bytes: number): number {
    this.x ||= this.heap.alloc(this.before + bytes + this.after, 'input');
    return this.x + this.before;
  }

  /** The byte offset of an output buffer of at least `bytes`. */
  output(bytes: number): number {
    return (this.y ||= this.heap.alloc(bytes, 'output'));
  }

  /** `count` output buffers of `bytes` each (the chunks of a chunked run). */
  outputChunks(count: number, bytes: number): readonly number[] {
    while (this.chunks.length < count) this.chunks.push(this.heap.alloc(bytes, 'output'));
    return this.chunks;
  }

  /** Frees the buffers; the staging is not used again. */
  release(): void {
    for (const ptr of [this.x, this.y, ...this.chunks]) if (ptr) this.heap.release(ptr);
  }
}
