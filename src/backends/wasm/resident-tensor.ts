/** Tensors allocated in a runtime's wasm memory (Context.tensor), so plans can run on them without copies. */
import { SimdconvError, describe } from '../../errors.js';
import { type ConvParams, allIndices, shapeSize } from '../../shape.js';
import { MAX_TENSOR_BYTES, type Placed } from '../../plan.js';
import type { ResidentTensor } from '../../types.js';
import { type WasmHeap, wasmViewOf } from './heap.js';
import type { WasmRuntime } from './runtime.js';

/** The tensor's shape (a copy) and size; `values`, when given, numbers of that count (a typed array or an array). */
function checkShape(shape: unknown, values: unknown): { dims: number[]; size: number } {
  if (!Array.isArray(shape) || !allIndices(shape, (d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'shape', 'an array of non-negative integers', describe(shape));
  }
  const dims = [...(shape as number[])];
  const size = shapeSize(dims);
  if (size * 4 > MAX_TENSOR_BYTES) throw new SimdconvError('OUT_OF_MEMORY', 'shape', `a tensor of at most ${MAX_TENSOR_BYTES} bytes`, `[${dims.join(', ')}]`);
  if (values === undefined) return { dims, size };
  const numeric = (ArrayBuffer.isView(values) && !(values instanceof DataView)) || (Array.isArray(values) && allIndices(values, (v) => typeof v === 'number'));
  if (!numeric) throw new SimdconvError('INVALID_ARGUMENT', 'values', 'a typed array or an array of numbers', describe(values));
  const { length } = values as ArrayLike<number>;
  if (length !== size) throw new SimdconvError('INVALID_ARGUMENT', 'values', `length ${size} (product of shape [${dims.join(', ')}])`, `length ${length}`);
  return { dims, size };
}

export function residentTensor(rt: WasmRuntime, shape: readonly number[], values?: ArrayLike<number>): ResidentTensor {
  const { dims, size } = checkShape(shape, values);
  const block = rt.heap.allocTensor(size);
  let disposed = false;
  const view = () => {
    if (disposed) throw new SimdconvError('DISPOSED', 'tensor', 'a tensor that has not been disposed', 'a disposed tensor');
    return rt.heap.tensorView(block);
  };
  if (values === undefined) view().fill(0);
  else view().set(values);
  return {
    shape: dims,
    get data() {
      return view();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      rt.heap.release(block.offset);
    },
  };
}

/** The js backend's Context.tensor: a plain array, refused after dispose() as a wasm one is. */
export function hostTensor(shape: readonly number[], values?: ArrayLike<number>): ResidentTensor {
  const { dims, size } = checkShape(shape, values);
  let data: Float32Array | null;
  try {
    data = new Float32Array(size);
  } catch {
    throw new SimdconvError('OUT_OF_MEMORY', 'shape', `${size * 4} bytes for a tensor (the engine refused)`, `[${dims.join(', ')}]`);
  }
  if (values !== undefined) data.set(values);
  return {
    shape: dims,
    get data() {
      if (data === null) throw new SimdconvError('DISPOSED', 'tensor', 'a tensor that has not been disposed', 'a disposed tensor');
      return data;
    },
    dispose: () => (data = null),
  };
}

/**
 * Where a plan of `heap` finds a run's tensor (ShapeCached.place): a live tensor of this heap by its block, to
 * be read or written in place; any other input view of wasm memory as a copy made now (the run's allocations
 * may move or reuse that memory); anything else as it is. Outputs were checked by checkOut (checkWritable).
 */
export function placeOn(heap: WasmHeap, data: Float32Array, argument: 'input' | 'options.out'): Placed {
  const at = wasmViewOf(data);
  if (at === null) return data;
  if (at.heap === heap && at.tensor !== null) return at.tensor;
  return argument === 'input' && at.tensor === null ? data.slice() : data;
}

/** The view `execute` gets for what placeOn found: a live tensor's, made on the memory as it is now. */
export function viewOn(heap: WasmHeap, placed: Placed): Float32Array {
  return placed instanceof Float32Array ? placed : heap.tensorView(placed);
}

/**
 * Params whose weight and bias are not views of wasm memory: a plan's first allocation may grow the memory
 * (detaching such a view) or reuse a disposed tensor's block before the plan packs them, so they are copied first.
 */
export function ownWeights(params: ConvParams): ConvParams {
  const { weight, bias } = params;
  const onWasm = (a: Float32Array | null) => a !== null && wasmViewOf(a) !== null;
  if (!onWasm(weight.data) && !onWasm(bias)) return params;
  return { ...params, weight: { data: weight.data.slice(), shape: weight.shape }, bias: bias?.slice() ?? null };
}
