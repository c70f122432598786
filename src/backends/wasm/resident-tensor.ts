/** Tensors allocated in a runtime's wasm memory (Context.tensor), so plans can run on them without copies. */
import { SimdconvError, describe } from '../../errors.js';
import { shapeSize } from '../../shape.js';
import type { ResidentTensor } from '../../types.js';
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
  const offset = rt.heap.alloc(size * 4, 'shape');
  let disposed = false;
  const view = () => {
    if (disposed) throw new SimdconvError('DISPOSED', 'tensor', 'a tensor that has not been disposed', 'a disposed tensor');
    return rt.heap.f32(offset, size);
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
      rt.heap.release(offset);
    },
  };
}

export function hostTensor(shape: readonly number[], values?: ArrayLike<number>): ResidentTensor {
  const size = checkShape(shape, values);
  const data = new Float32Array(size);
  if (values !== undefined) data.set(values);
  return { shape: [...shape], data, dispose: () => {} };
}
