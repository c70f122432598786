/**
 * Plans: weights checked and packed once, then `run` many times (XNNPACK's operator life cycle).
 * `PlanBase` holds what every backend shares: input/output validation, the per-input-shape geometry cache,
 * and the disposed state. A backend supplies `prepare` (per new input shape: size workspaces) and `execute`.
 */
import { SimdconvError } from './errors.js';
import { type ConvGeometry, type ConvParams, checkOut, checkTensor, resolveConvGeometry, shapeSize } from './shape.js';

/** wasm32's limit, applied on every backend so that a shape means the same everywhere. */
export const MAX_TENSOR_BYTES = 2 ** 32;
import type { Tensor } from './types.js';

export interface PlanInfo {
  readonly backend: 'wasm' | 'js' | 'webgpu';
  /** The kernel path chosen, e.g. 'gemm-6x8-packed-a-cf (packed im2col)', 'gemm-6x8-packed-b-cl (direct 1x1)'. */
  readonly kernel: string;
  /** Bytes of packed weights and bias held by the plan. */
  readonly weightBytes: number;
  /** Bytes of scratch space for the last input shape (im2col panel, padded copy). */
  readonly workspaceBytes: number;
  /** Threads the last input shape was split across (1 when not split; absent where a path never splits). */
  readonly threads?: number;
}

export interface ConvPlan {
  readonly params: ConvParams;
  /** Output shape for an input shape, by the same code path `run` uses. */
  outputShape(inputShape: readonly number[]): number[];
  /** Runs the convolution. Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  readonly info: PlanInfo;
  /** Frees the plan's wasm memory; the plan throws DISPOSED afterwards. Idempotent. */
  dispose(): void;
}

export abstract class PlanBase<Prepared> implements ConvPlan {
  private cached: { shape: readonly number[]; geometry: ConvGeometry; prepared: Prepared } | null = null;
  private disposed = false;

  constructor(readonly params: ConvParams) {}

  abstract readonly info: PlanInfo;
  protected abstract prepare(g: ConvGeometry): Prepared;
  protected abstract releasePrepared(p: Prepared): void;
  protected abstract execute(g: ConvGeometry, prepared: Prepared, input: Float32Array, out: Float32Array): void;
  protected abstract releaseWeights(): void;

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolveConvGeometry(this.params, inputShape).outputShape];
  }

  run(input: Tensor, out?: Tensor): Tensor {
    this.assertNotDisposed();
    checkTensor('input', input);
    const { geometry, prepared } = this.geometryFor(input.shape);
    const target = out === undefined ? { data: new Float32Array(shapeSize(geometry.outputShape)), shape: [...geometry.outputShape] } : checkOut(out, geometry, input);
    this.execute(geometry, prepared, input.data, target.data);
    return target;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.cached) this.releasePrepared(this.cached.prepared);
    this.cached = null;
    this.releaseWeights();
  }

  protected assertNotDisposed(): void {
    if (this.disposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
  }

  protected get lastGeometry(): ConvGeometry | null {
    return this.cached?.geometry ?? null;
  }

  /**
   * The geometry for this input shape; workspaces are re-sized only when the shape changes. Protected so a
   * backend can run the plan on its own buffers (the wasm backend's resident runs, src/backends/wasm/resident.ts).
   */
  protected geometryFor(shape: readonly number[]): { geometry: ConvGeometry; prepared: Prepared } {
    // Compared element by element: the run path allocates nothing for a shape it has seen.
    const last = this.cached?.shape;
    if (last && last.length === shape.length && last.every((d, i) => d === shape[i])) return this.cached!;
    const geometry = resolveConvGeometry(this.params, shape);
    const inputBytes = shapeSize(shape) * 4;
    if (inputBytes > MAX_TENSOR_BYTES) {
      throw new SimdconvError('OUT_OF_MEMORY', 'input', `an input of at most ${MAX_TENSOR_BYTES} bytes`, `shape [${shape.join(', ')}] (${inputBytes} bytes)`);
    }
    const outputBytes = shapeSize(geometry.outputShape) * 4;
    if (outputBytes > MAX_TENSOR_BYTES) {
      throw new SimdconvError('OUT_OF_MEMORY', 'output', `an output of at most ${MAX_TENSOR_BYTES} bytes`, `shape [${geometry.outputShape.join(', ')}] (${outputBytes} bytes)`);
    }
    if (this.cached) this.releasePrepared(this.cached.prepared);
    this.cached = null;
    const prepared = this.prepare(geometry);
    this.cached = { shape: [...shape], geometry, prepared };
    return this.cached;
  }
}
