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
  // One view, re-made only when growing the memory replaced its buffer: a plan's run reads `data` several
  // times (validation, then the offsets), and a fresh Float32Array each time was a third of the garbage a run
  // of a small layer left (1->6 28x28 k5, resident input and output: 124 against 84 scavenges of a 1 MB new
  // space in 50,000 runs). Not measurably faster: it spares the collector, not the run.
  let cached: Float32Array | null = null;
  const view = () => {
    if (disposed) throw new SimdconvError('DISPOSED', 'tensor', 'a tensor that has not been disposed', 'a disposed tensor');
    if (cached?.buffer !== rt.memory.buffer) cached = rt.heap.f32(offset, size);
    return cached;
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
      cached = null;
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
