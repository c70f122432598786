/**
 * What every wasm plan shares: per input shape, `prepare` describes the work as a RunJob, which the staging
 * runner (runner.ts) runs wherever the tensors are; `runResident` lets a chain run the plan between buffers it
 * owns in wasm memory.
 */
import { PlanBase } from '../../plan.js';
import type { ConvGeometry, ConvParams } from '../../shape.js';
import type { ResidentPlan } from './resident.js';
import { type RunJob, releaseJob, runJob } from './runner.js';
import type { WasmRuntime } from './runtime.js';

/** A wasm plan's per-shape state: at least its RunJob. */
export interface WasmPrepared {
  readonly job: RunJob;
}

export abstract class WasmPlan<Prepared extends WasmPrepared> extends PlanBase<Prepared> implements ResidentPlan {
  constructor(
    protected readonly rt: WasmRuntime,
    params: ConvParams,
  ) {
    super(params);
  }

  /** Frees the plan's buffers for one shape, but the job's staging (released here). */
  protected abstract releaseWorkspace(prep: Prepared): void;

  protected releasePrepared(prep: Prepared): void {
    releaseJob(prep.job);
    this.releaseWorkspace(prep);
  }

  protected execute(_g: ConvGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    runJob(this.rt, prep.job, input, out);
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    this.assertNotDisposed();
    const { geometry, prepared } = this.geometryFor(inputShape);
    prepared.job.images(src, dst);
    return geometry;
  }
}
