/**
 * Argument structs of the kernel drivers: one block of wasm memory per call, with a named, typed field per
 * parameter of the driver's kernel in assembly/ (field i at byte 4 * i). The declarations are generated from
 * the kernels' signatures (gen/kernels.ts, scripts/gen-kernels.mjs); a plan creates a struct per call once
 * per input shape, sets the fields that change per run by name, and runCalls / the thread pool pass its
 * pointer. docs/ARCHITECTURE.md, "The kernel boundary".
 */
import type { DriverName } from './gen/kernels.js';
import type { WasmHeap } from './heap.js';

export interface KernelArgs<D extends DriverName = DriverName> {
  /** The export that runs this struct. */
  readonly driver: D;
  /** Byte offset of the struct in wasm memory: the one argument of the driver. */
  readonly ptr: number;
  /** Frees the struct's memory. */
  release(): void;
}

export interface ArgsType<D extends DriverName, F> {
  readonly driver: D;
  /** The field names, in order (field i at byte 4 * i; every struct fits a heap.ts SLOT_BYTES slot: test/kernel-boundary.test.ts). */
  readonly fields: readonly string[];
  /** Allocates a struct on the heap and writes every field. */
  create(heap: WasmHeap, fields: F): KernelArgs<D> & F;
  /** A struct at `ptr`, memory the heap does not manage (`release` does nothing), with every field written. */
  at(heap: WasmHeap, ptr: number, fields: F): KernelArgs<D> & F;
}

/** Writes several fields at once. */
export function setArgs<F>(args: F, values: Partial<F>): void {
  Object.assign(args as object, values);
}

type Struct = { readonly heap: WasmHeap; readonly ptr: number };

/**
 * Field i's setter, one factory per view so that each setter's property access stays monomorphic (pointers,
 * 'u', go through the Int32 view: the same 32 bits). Fields are written, never read back: the kernels read them.
 */
const intField = (i: number): PropertyDescriptor => ({
  set(this: Struct, value: number) {
    this.heap.i32[(this.ptr >> 2) + i] = value;
  },
});
const floatField = (i: number): PropertyDescriptor => ({
  set(this: Struct, value: number) {
    this.heap.floats[(this.ptr >> 2) + i] = value;
  },
});

/**
 * A struct type from its driver, field names (space-separated, in order) and the indices of its f32 fields
 * (the others are i32 or pointers). Called by gen/kernels.ts only.
 */
export function defineArgs<D extends DriverName, F>(driver: D, names: string, floats: readonly number[]): ArgsType<D, F> {
  const fields = names.split(' ');
  class Args implements KernelArgs {
    readonly driver = driver;
    constructor(
      readonly heap: WasmHeap,
      readonly ptr: number,
    ) {}
    release(): void {
      this.heap.release(this.ptr);
    }
  }
  fields.forEach((name, i) => Object.defineProperty(Args.prototype, name, floats.includes(i) ? floatField(i) : intField(i)));
  return {
    driver,
    fields,
    create(heap, values) {
      return this.at(heap, heap.allocSlot(), values);
    },
    at(heap, ptr, values) {
      const args = new Args(heap, ptr);
      Object.assign(args, values);
      return args as unknown as KernelArgs<D> & F;
    },
  };
}
