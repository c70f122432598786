/** What the ops that run as a reshaped convolution share (linear, batchNorm). */
import { SimdconvError, describe } from '../errors.js';
import type { Tensor } from '../types.js';

/**
 * `out` as the inner plan sees it: its shape checked against `shape` here (in the op's terms), its data passed on
 * (the inner plan checks the data: length, overlap, wasm memory), each read once.
 */
export function reshapedOut(out: unknown, shape: readonly number[], view: readonly number[]): Tensor {
  const o = typeof out === 'object' && out !== null ? (out as { data?: unknown; shape?: unknown }) : null;
  const raw = o?.shape;
  const outShape = Array.isArray(raw) ? [...(raw as unknown[])] : null;
  if (!outShape || outShape.length !== shape.length || !shape.every((d, i) => d === outShape[i])) {
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out.shape', `[${shape.join(', ')}]`, describe(o ? raw : out));
  }
  return { data: o!.data as Float32Array, shape: [...view] };
}
