/**
 * What every wasm plan shares: per input shape, `prepare` describes the work as a RunJob, which the staging
 * runner (runner.ts) runs wherever the tensors are; `runResident` lets a chain run the plan between buffers it
 * owns in wasm memory.
 */
import { type ChannelReference, nonFiniteChannels, patchNonFinite } from '../../reference.js';
import { type KernelInfo, type Placed, PlanBase, type PlanInfo, describeKernel } from '../../plan.js';
import { placeOn, viewOn } from './resident-tensor.js';
import { type ConvGeometry, type ConvParams, shapeSize } from '../../shape.js';
import type { ResidentPlan } from './resident.js';
import type { KernelArgs } from './kernel-args.js';
import { type RunJob, releaseJob, runJob } from './runner.js';
import { Staging } from './staging.js';
import type { WasmRuntime } from './runtime.js';

/** A wasm plan's per-shape state: its RunJob, and what it holds in wasm memory (freed with it). */
export interface WasmPrepared {
  readonly job: RunJob;
  /** Heap blocks of this shape's workspaces (0: none). */
  readonly blocks: readonly number[];
  readonly calls: readonly KernelArgs[];
}

export abstract class WasmPlan<Prepared extends WasmPrepared> extends PlanBase<Prepared> implements ResidentPlan {
  /** Output channels fed by a non-finite weight, which every run takes from `reference` (docs/ARCHITECTURE.md). */
  private readonly nonFinite: Uint8Array | null;

  /** `reference`: the float64 reference of the plan's kind (reference.ts), for non-finite weights. */
  constructor(
    protected readonly rt: WasmRuntime,
    params: ConvParams,
    private readonly reference: ChannelReference,
  ) {
    super(params);
    this.nonFinite = nonFiniteChannels(params);
  }

  /**
   * A shape whose padded image dwarfs its input and output (a padding far past what a large stride reads: input
   * 9 wide, padding and stride 1e7, 3 outputs) would have the kernels' padded copy sized by the padding (#30.1);
   * the reference computes it instead, in time and memory bounded by the output and the reduction.
   */
  protected override bypass(g: ConvGeometry, input: Float32Array, out: Float32Array): boolean {
    const p = g.params;
    if (p.transposed) return false;
    const padded = shapeSize(g.inSize.map((n, i) => n + p.padBefore[i]! + p.padAfter[i]!));
    if (padded <= 16 * (shapeSize(g.inSize) + shapeSize(g.outSize)) + (1 << 20)) return false;
    out.set(this.reference(g, input, new Uint8Array(p.outChannels).fill(1)).data);
    return true;
  }

  protected override afterRun(g: ConvGeometry, input: Float32Array, out: Float32Array): void {
    if (this.nonFinite) patchNonFinite(this.reference, g, input, out, this.nonFinite);
  }

  /** Heap blocks of the packed weights and bias, freed by dispose(), and their bytes. */
  private readonly weightBlocks: number[] = [];
  protected weightBytes = 0;
  /** Bytes of workspace, and threads, of the last input shape prepared. */
  protected workspaceBytes = 0;
  protected threads = 1;

  /** Allocates a block for packed weights (freed by dispose()). */
  protected allocWeights(bytes: number, argument = 'weight'): number {
    const ptr = this.rt.heap.alloc(bytes, argument);
    this.weightBlocks.push(ptr);
    this.weightBytes += bytes;
    return ptr;
  }

  /** The plan's info: the kernel it runs (derived display string included) and what it holds. */
  protected infoOf(kernel: KernelInfo): PlanInfo {
    const { weightBytes, workspaceBytes, threads } = this;
    return { backend: 'wasm', ...kernel, kernel: describeKernel(kernel), weightBytes, workspaceBytes, threads };
  }

  /**
   * The bias in wasm memory, `padding` zeros past its end (a microkernel's vector bias loads read up to a tile
   * beyond the last channel); all zeros without one.
   */
  protected stageBias(bias: Float32Array | null, channels: number, padding = 8): number {
    const ptr = this.allocWeights((channels + padding) * 4, 'bias');
    const view = this.rt.heap.f32(ptr, channels + padding);
    view.fill(0);
    if (bias) view.set(bias);
    return ptr;
  }

  protected releaseHeld(): void {
    for (const ptr of this.weightBlocks) this.rt.heap.release(ptr);
    this.weightBlocks.length = 0;
  }

  protected releasePrepared(prep: Prepared): void {
    releaseJob(prep.job);
    for (const ptr of prep.blocks) if (ptr) this.rt.heap.release(ptr);
    for (const call of prep.calls) call.release();
  }

  /** A shape's job: its staging, `images` for whole images, and the strategies it offers (runner.ts). */
  protected jobFor(g: ConvGeometry, images: RunJob['images'], more: Pick<RunJob, 'bands' | 'chunks'> & { staging?: Staging } = {}): RunJob {
    return { batch: g.batch, staging: more.staging ?? new Staging(this.rt.heap), images, bands: more.bands, chunks: more.chunks };
  }

  protected override place(data: Float32Array, argument: 'input' | 'options.out'): Placed {
    return placeOn(this.rt.heap, data, argument);
  }

  protected override viewOf(placed: Placed): Float32Array {
    return viewOn(this.rt.heap, placed);
  }

  protected execute(_g: ConvGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    runJob(this.rt, prep.job, input, out);
  }

  /**
   * Prepares an input shape's workspaces now (a plan that runs this one inside its own run prepares it in its
   * own `prepare`, so that no allocation falls inside a run).
   */
  prepareShape(inputShape: readonly number[]): void {
    this.assertNotDisposed();
    this.geometryFor(inputShape);
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    this.assertNotDisposed();
    const geometry = this.geometryOnly(inputShape);
    this.running = true;
    try {
      if (this.bypass(geometry, this.rt.heap.f32(src, shapeSize(inputShape)), this.rt.heap.f32(dst, shapeSize(geometry.outputShape)))) return geometry;
      // Prepared here, after the check: its allocations may grow the memory (the views below are made after).
      const { prepared } = this.geometryFor(inputShape);
      prepared.job.images(src, dst);
      if (this.nonFinite) this.afterRun(geometry, this.rt.heap.f32(src, shapeSize(inputShape)), this.rt.heap.f32(dst, shapeSize(geometry.outputShape)));
    } finally {
      this.running = false;
    }
    return geometry;
  }
}
