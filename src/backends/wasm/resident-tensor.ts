/** Tensors allocated in a runtime's wasm memory (Context.tensor), so plans can run on them without copies. */
import { SimdconvError, describe } from '../../errors.js';
import { type ConvParams, shapeSize } from '../../shape.js';
import type { ResidentTensor } from '../../types.js';
import type { Placed } from '../../plan.js';
import { type WasmHeap, wasmViewOf } from './heap.js';
import type { WasmRuntime } from './runtime.js';

function checkShape(shape: unknown, values: ArrayLike<number> | undefined): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'shape', 'an array of non-negative integers', describe(shape));
  }
  const size = shapeSize(shape);
  if (values !== undefined && values.length !== size) {
    throw new SimdconvError('INVALID_ARGUMENT', 'values', `length ${size} (product of shape [${shape.join(', ')}])`, `length ${values.length}`);
  }
  return size;
}

export function residentTensor(rt: WasmRuntime, shape: readonly number[], values?: ArrayLike<number>): ResidentTensor {
  const size = checkShape(shape, values);
  const block = rt.heap.allocTensor(size);
  let disposed = false;
  const view = () => {
    if (disposed) throw new SimdconvError('DISPOSED', 'tensor', 'a tensor that has not been disposed', 'a disposed tensor');
    return rt.heap.tensorView(block);
  };
  if (values === undefined) view().fill(0);
  else view().set(values);
  return {
    shape: [...shape],
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

export function hostTensor(shape: readonly number[], values?: ArrayLike<number>): ResidentTensor {
  const size = checkShape(shape, values);
  const data = new Float32Array(size);
  if (values !== undefined) data.set(values);
  return { shape: [...shape], data, dispose: () => {} };
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
