/** Interpolation on the wasm kernels (assembly/interpolate.ts): the tap tables per input shape, threads split as for pooling. */
import { InterpolatePlanBase, type InterpolatePlanInfo } from '../../interpolate-plan.js';
import type { InterpolateGeometry, InterpolateParams } from '../../interpolate-shape.js';
import type { Placed } from '../../plan.js';
import { shapeSize, to3d } from '../../shape.js';
import { runCalls, threadsFor } from './dispatch.js';
import { MIN_MEMORY_BOUND_PER_THREAD } from './tile-policy.js';
import { InterpolateCfArgs, InterpolateClArgs } from './gen/kernels.js';
import { placeOn, viewOn } from './resident-tensor.js';
import { type RunJob, releaseJob, runJob } from './runner.js';
import type { WasmRuntime } from './runtime.js';
import { Staging } from './staging.js';

interface Prepared {
  readonly job: RunJob;
  readonly tables: number;
  readonly calls: readonly (InterpolateCfArgs | InterpolateClArgs)[];
}

export class WasmInterpolatePlan extends InterpolatePlanBase<Prepared> {
  private workspaceBytes = 0;
  private threads = 1;

  constructor(
    private readonly rt: WasmRuntime,
    params: InterpolateParams,
  ) {
    super(params);
  }

  get info(): InterpolatePlanInfo {
    const layout = this.params.layout === 'channels-last' ? 'cl (4 channels per vector)' : 'cf (4 outputs per vector)';
    return { backend: 'wasm', kernel: `interpolate-${this.params.mode}-${layout}`, workspaceBytes: this.workspaceBytes, threads: this.threads };
  }

  protected prepare(g: InterpolateGeometry): Prepared {
    const { heap } = this.rt;
    const one = { taps: 1, index: new Int32Array(4), weight: Float32Array.of(1, 0, 0, 0) };
    const axes = [...new Array(3 - g.axes.length).fill(one), ...g.axes] as typeof g.axes;
    const [D, H, W] = to3d(g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const outs = [OD, OH, OW];
    // Tap-major tables: per axis, index[taps][O] then weight[taps][O].
    const words = axes.reduce((n, a, i) => n + 2 * a.taps * outs[i]!, 0);
    const tables = heap.alloc(words * 4, 'workspace');
    let at = tables >> 2;
    axes.forEach((a, i) => {
      const O = outs[i]!;
      for (let t = 0; t < a.taps; t++) for (let o = 0; o < O; o++) heap.i32[at + t * O + o] = a.index[o * 4 + t]!;
      at += a.taps * O;
      for (let t = 0; t < a.taps; t++) for (let o = 0; o < O; o++) heap.floats[at + t * O + o] = a.weight[o * 4 + t]!;
      at += a.taps * O;
    });
    this.workspaceBytes = words * 4;
    const outputs = shapeSize(g.outputShape);
    const taps = axes.reduce((n, a) => n * a.taps, 1);
    const common = { x: 0, y: 0, D, H, W, OD, OH, OW, tables, tD: axes[0]!.taps, tH: axes[1]!.taps, tW: axes[2]!.taps };
    const planes = g.batch * g.channels;
    const outPlane = OD * OH * OW;
    const calls: (InterpolateCfArgs | InterpolateClArgs)[] = [];
    const offsets: [number, number][] = [];
    if (this.params.layout === 'channels-first') {
      const threads = Math.min(threadsFor(this.rt, outputs * taps, MIN_MEMORY_BOUND_PER_THREAD), planes);
      for (let t = 0; t < threads; t++) {
        const p0 = Math.floor((planes * t) / threads);
        const p1 = Math.floor((planes * (t + 1)) / threads);
        calls.push(InterpolateCfArgs.create(heap, { ...common, planes: p1 - p0 }));
        offsets.push([p0 * D * H * W * 4, p0 * outPlane * 4]);
      }
    } else {
      const threads = Math.min(threadsFor(this.rt, outputs * taps, MIN_MEMORY_BOUND_PER_THREAD), outPlane);
      for (let t = 0; t < threads; t++) {
        const p0 = Math.floor((outPlane * t) / threads);
        const p1 = Math.floor((outPlane * (t + 1)) / threads);
        calls.push(InterpolateClArgs.create(heap, { ...common, images: g.batch, C: g.channels, p0, p1 }));
        offsets.push([0, 0]);
      }
    }
    this.threads = calls.length;
    const job: RunJob = {
      batch: g.batch,
      staging: new Staging(heap),
      images: (src, dst) => {
        calls.forEach((c, i) => {
          c.x = src + offsets[i]![0];
          c.y = dst + offsets[i]![1];
        });
        runCalls(this.rt, calls);
      },
    };
    return { job, tables, calls };
  }

  protected releasePrepared(prep: Prepared): void {
    releaseJob(prep.job);
    this.rt.heap.release(prep.tables);
    for (const call of prep.calls) call.release();
  }

  protected releaseHeld(): void {}

  protected override place(data: Float32Array, argument: 'input' | 'options.out'): Placed {
    return placeOn(this.rt.heap, data, argument);
  }

  protected override viewOf(placed: Placed): Float32Array {
    return viewOn(this.rt.heap, placed);
  }

  protected execute(_g: InterpolateGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    runJob(this.rt, prep.job, input, out);
  }
}
