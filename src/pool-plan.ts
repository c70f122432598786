/**
 * Pooling plans: options checked once, then `run` per input (window tables made once per input shape). The
 * checks of `run`'s tensors and the per-shape cache are the convolution plans' own (plan.ts ShapeCached); a
 * backend supplies `prepare` and `execute` (the wasm kernels: backends/wasm/pool-plan.ts; the js backend here).
 */
import { SimdconvError } from './errors.js';
import { ShapeCached, checkTensorBytes } from './plan.js';
import { type PoolGeometry, type PoolParams, resolvePoolGeometry } from './pool-shape.js';
import { poolForward } from './pool-reference.js';
import type { Tensor } from './types.js';

/** Argmax positions of a max pooling, as PyTorch's `return_indices`: flattened within each input plane (D, H, W). */
export interface IndexTensor {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

export interface PoolPlanInfo {
  readonly backend: 'wasm' | 'js' | 'webgpu';
  /** What ran, e.g. 'pool-cf-max (4 outputs per vector)'. */
  readonly kernel: string;
  /** Bytes of wasm memory the last input shape holds (window tables, indices). */
  readonly workspaceBytes: number;
  /** Threads the last input shape was split across. */
  readonly threads: number;
}

/** A pooling plan (createMaxPool2d, createAdaptiveAvgPool2d, ...). */
export interface PoolPlan {
  readonly params: PoolParams;
  outputShape(inputShape: readonly number[]): number[];
  /** Pools `input`; writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  /** Max pools: the values and the index of each maximum within its input plane. */
  runWithIndices(input: Tensor, out?: Tensor): { output: Tensor; indices: IndexTensor };
  readonly info: PoolPlanInfo;
  /** Frees what the plan holds; it throws DISPOSED afterwards. Idempotent. */
  dispose(): void;
}

export abstract class PoolPlanBase<Prepared> extends ShapeCached<PoolGeometry, Prepared> implements PoolPlan {
  /** Set by runWithIndices for the run it makes: `execute` fills `indices`. */
  protected wantIndices = false;
  protected indices: Int32Array | null = null;

  constructor(readonly params: PoolParams) {
    super();
  }

  abstract readonly info: PoolPlanInfo;

  protected resolve(shape: readonly number[]): PoolGeometry {
    return resolvePoolGeometry(this.params, shape);
  }

  protected outputOf(g: PoolGeometry): PoolGeometry {
    return g;
  }

  protected override checkResolved(shape: readonly number[], g: PoolGeometry): void {
    checkTensorBytes(shape, g.outputShape);
  }

  runWithIndices(input: Tensor, out?: Tensor): { output: Tensor; indices: IndexTensor } {
    if (this.params.kind !== 'max' && this.params.kind !== 'adaptive-max') {
      throw new SimdconvError('INVALID_ARGUMENT', 'returnIndices', 'a max pooling (indices of the maxima)', `${this.params.op}`);
    }
    this.wantIndices = true;
    try {
      const output = this.run(input, out);
      return { output, indices: { data: this.indices!, shape: [...output.shape] } };
    } finally {
      this.wantIndices = false;
      this.indices = null;
    }
  }
}

/** The js backend's pooling: pool-reference.ts. */
export class JsPoolPlan extends PoolPlanBase<null> {
  readonly info: PoolPlanInfo = { backend: 'js', kernel: 'pool-reference', workspaceBytes: 0, threads: 1 };

  protected prepare(): null {
    return null;
  }
  protected releasePrepared(): void {}
  protected releaseHeld(): void {}

  protected execute(g: PoolGeometry, _p: null, input: Float32Array, out: Float32Array): void {
    this.indices = this.wantIndices ? new Int32Array(out.length) : null;
    poolForward(g, input, out, this.indices);
  }
}
