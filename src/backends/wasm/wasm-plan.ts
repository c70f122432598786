/**
 * What every wasm plan shares: `run` reads and writes tensors already in wasm memory in place and stages the
 * rest (runInPlaceOrStaged), and `runResident` lets a chain run the plan between buffers it owns. A plan
 * supplies its staging buffers and `compute`, the kernels from one byte offset to another.
 */
import { PlanBase } from '../../plan.js';
import type { ConvGeometry, ConvParams } from '../../shape.js';
import { type ResidentPlan, runInPlaceOrStaged } from './resident.js';
import type { WasmRuntime } from './runtime.js';

export abstract class WasmPlan<Prepared> extends PlanBase<Prepared> implements ResidentPlan {
  constructor(
    protected readonly rt: WasmRuntime,
    params: ConvParams,
  ) {
    super(params);
  }

  /** Runs every image of the input at byte offset `src` into the output at `dst`. */
  protected abstract compute(g: ConvGeometry, prep: Prepared, src: number, dst: number): void;
  /** A staging buffer of at least `bytes` for an input that is not in wasm memory. */
  protected abstract stageInput(prep: Prepared, bytes: number): number;
  /** A staging buffer of at least `bytes` for an output that is not in wasm memory. */
  protected abstract stageOutput(prep: Prepared, bytes: number): number;

  protected execute(g: ConvGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    runInPlaceOrStaged(
      this.rt.memory,
      input,
      out,
      (bytes) => this.stageInput(prep, bytes),
      (bytes) => this.stageOutput(prep, bytes),
      (src, dst) => this.compute(g, prep, src, dst),
    );
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    this.assertNotDisposed();
    const { geometry, prepared } = this.geometryFor(inputShape);
    this.compute(geometry, prepared, src, dst);
    return geometry;
  }
}

/** Per-shape state of a plan whose staging buffers are allocated on first use (0 until then). */
export interface LazyStaging {
  x: number;
  y: number;
}

/**
 * A wasm plan whose input / output staging is allocated by the first `run` that needs it: resident runs (chains,
 * tensors already in wasm memory) never hold them.
 */
export abstract class LazyStagedWasmPlan<Prepared extends LazyStaging> extends WasmPlan<Prepared> {
  protected stageInput(prep: Prepared, bytes: number): number {
    return (prep.x ||= this.rt.heap.alloc(bytes, 'input'));
  }

  protected stageOutput(prep: Prepared, bytes: number): number {
    return (prep.y ||= this.rt.heap.alloc(bytes, 'output'));
  }
}
