/**
 * A first-fit allocator over a WebAssembly.Memory, run on the host. The kernels never allocate: plans
 * reserve their packed weights and workspaces here once and pass raw byte offsets to wasm.
 * Blocks are 64-byte aligned (a cache line) and carry 64 bytes of slack so that a kernel's vector tail may
 * read a little past a buffer's end without leaving the memory.
 * Kernel argument structs (kernel-args.ts) take slots of an arena below the heap instead (`allocSlot`): small
 * blocks interleaved with the buffers would move the buffers' relative placement, and with it how their
 * addresses alias in the cache (docs/PERFORMANCE.md, 2026-12-06, has the A/B).
 */
import { SimdconvError } from '../../errors.js';

const ALIGN = 64;
const SLACK = 64;
const PAGE = 65536;
export const MAX_PAGES = 65536; // 4 GiB, wasm32's limit
/** Bytes of an argument-struct slot (defineArgs checks that every struct fits), and slots below the heap: 12 KiB, a multiple of 4 KiB. */
export const SLOT_BYTES = 192;
const ARENA_SLOTS = 64;

interface Block {
  offset: number;
  size: number;
}

/** A live tensor of a heap (Context.tensor): its block's byte offset, its length in floats, its last view. */
export interface TensorBlock {
  readonly offset: number;
  readonly length: number;
  view: Float32Array | null;
}

/**
 * Every buffer object a heap's memory has had, to the heap: a shared memory's buffer object changes when it
 * grows, and views of the old one still reach the memory.
 */
const heapOfBuffer = new WeakMap<ArrayBufferLike, WasmHeap>();

/**
 * Where a Float32Array lies with respect to wasm heaps: null when not in any heap's memory; else the heap, and
 * the live tensor the view is exactly (same offset and length), or null for any other view of that memory (a
 * disposed tensor's, part of one, module data, a plan's buffers).
 */
export function wasmViewOf(view: Float32Array): { heap: WasmHeap; tensor: TensorBlock | null } | null {
  const heap = heapOfBuffer.get(view.buffer);
  if (heap === undefined) return null;
  const tensor = heap.tensors.get(view.byteOffset);
  return { heap, tensor: tensor !== undefined && tensor.length === view.length ? tensor : null };
}

export class WasmHeap {
  private readonly free: Block[] = [];
  private readonly used = new Map<number, number>();
  private top: number;
  private bytesInUse = 0;
  private peak = 0;
  /** Views over all of memory, re-made when this heap grows it (nothing else grows it). */
  private views!: { i32: Int32Array; floats: Float32Array };
  /** Free argument-struct slots, and every slot of the arena (heap blocks serve once it is full). */
  private readonly freeSlots: number[] = [];
  private readonly arena: Set<number>;
  /** Live tensors (allocTensor), by offset. */
  readonly tensors = new Map<number, TensorBlock>();

  /** A heap from `base` (the module's data ends below it), after an arena of argument-struct slots. */
  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    const arena = align(base);
    for (let i = ARENA_SLOTS - 1; i >= 0; i--) this.freeSlots.push(arena + i * SLOT_BYTES);
    this.arena = new Set(this.freeSlots);
    // The memory starts with 16 pages (runtime.ts): the module's data and the arena fit in the first.
    this.top = align(arena + ARENA_SLOTS * SLOT_BYTES);
    this.remakeViews();
  }

  /** A slot of SLOT_BYTES for an argument struct: from the arena, or a heap block when it is full. */
  allocSlot(): number {
    return this.freeSlots.pop() ?? this.alloc(SLOT_BYTES, 'workspace');
  }

  private remakeViews(): void {
    const buffer = this.memory.buffer;
    heapOfBuffer.set(buffer, this);
    this.views = { i32: new Int32Array(buffer), floats: new Float32Array(buffer) };
  }

  /** Allocates `bytes` (plus slack); throws OUT_OF_MEMORY, naming `argument`, when wasm32 cannot hold it. */
  alloc(bytes: number, argument = 'input'): number {
    const size = align(Math.max(bytes, 1) + SLACK);
    const i = this.free.findIndex((b) => b.size >= size);
    let offset: number;
    if (i >= 0) {
      const block = this.free[i]!;
      offset = block.offset;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
    } else {
      offset = this.top;
      const end = offset + size;
      if (end > MAX_PAGES * PAGE) {
        throw new SimdconvError('OUT_OF_MEMORY', argument, `buffers that fit in 4 GiB of wasm memory (${this.bytesInUse} bytes in use)`, `a request for ${bytes} more bytes`);
      }
      const have = this.memory.buffer.byteLength;
      if (end > have) {
        try {
          this.memory.grow(Math.ceil((end - have) / PAGE));
          this.remakeViews();
        } catch {
          throw new SimdconvError('OUT_OF_MEMORY', argument, `${bytes} bytes more of wasm memory (the engine refused to grow it past ${have} bytes)`, `a request for ${bytes} bytes`);
        }
      }
      this.top = end;
    }
    this.used.set(offset, size);
    this.bytesInUse += size;
    this.peak = Math.max(this.peak, this.bytesInUse);
    return offset;
  }

  /**
   * Throws OUT_OF_MEMORY, naming the first request that cannot fit, before anything is allocated, so a
   * refused call leaves the heap as it was.
   */
  ensureFits(requests: ReadonlyArray<readonly [bytes: number, argument: string]>): void {
    let total = this.bytesInUse;
    for (const [bytes, argument] of requests) {
      total += bytes > 0 ? align(bytes + SLACK) : 0;
      if (total > MAX_PAGES * PAGE) {
        throw new SimdconvError('OUT_OF_MEMORY', argument, `buffers that fit in 4 GiB of wasm memory (${this.bytesInUse} bytes in use)`, `${bytes} bytes for ${argument}`);
      }
    }
  }

  /** A block for a tensor of `length` floats, which plans may read and write in place until it is released. */
  allocTensor(length: number): TensorBlock {
    const offset = this.alloc(length * 4, 'shape');
    const block = { offset, length, view: null };
    this.tensors.set(offset, block);
    return block;
  }

  /**
   * A live tensor's view, re-made only when growing the memory replaced its buffer: runs read it every time, and
   * a fresh view each time was a third of a small layer's garbage (docs/PERFORMANCE.md, "Tuning decisions").
   */
  tensorView(t: TensorBlock): Float32Array {
    if (t.view?.buffer !== this.memory.buffer) t.view = this.f32(t.offset, t.length);
    return t.view;
  }

  release(offset: number): void {
    this.tensors.delete(offset);
    if (this.arena.has(offset)) {
      this.freeSlots.push(offset);
      return;
    }
    const size = this.used.get(offset);
    if (size === undefined) return;
    this.used.delete(offset);
    this.bytesInUse -= size;
    // Keep the free list sorted and coalesced; give the top block back to the bump pointer.
    let i = this.free.findIndex((b) => b.offset > offset);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { offset, size });
    const next = this.free[i + 1];
    if (next && offset + size === next.offset) {
      this.free[i]!.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += this.free[i]!.size;
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  /** A Float32Array view; re-made on every call because growing the memory detaches old views. */
  f32(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  /** Int32 and Float32 views over all of memory (argument structs, queue blocks): current after any alloc. */
  get i32(): Int32Array {
    return this.views.i32;
  }

  get floats(): Float32Array {
    return this.views.floats;
  }

  get stats(): { bytesInUse: number; peakBytes: number; memoryBytes: number } {
    return { bytesInUse: this.bytesInUse, peakBytes: this.peak, memoryBytes: this.memory.buffer.byteLength };
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
