/**
 * Pooling on the wasm kernels (assembly/pool.ts): per input shape, the window tables in wasm memory, an
 * argument struct per thread (channels-first: a range of planes each; channels-last: a range of output pixels)
 * and an index buffer for max pools; the staging runner places the tensors (runner.ts), as for convolutions.
 */
import type { Placed } from '../../plan.js';
import { PoolPlanBase, type PoolPlanInfo } from '../../pool-plan.js';
import type { PoolGeometry, PoolParams } from '../../pool-shape.js';
import { shapeSize, to3d } from '../../shape.js';
import { runCalls, threadsFor } from './dispatch.js';
import { MIN_MEMORY_BOUND_PER_THREAD } from './tile-policy.js';
import { PoolCfArgs, PoolClArgs } from './gen/kernels.js';
import { placeOn, viewOn } from './resident-tensor.js';
import { type RunJob, releaseJob, runJob } from './runner.js';
import type { WasmRuntime } from './runtime.js';
import { Staging } from './staging.js';

// assembly/pool.ts's modes.
const MODE_MAX = 0;
const MODE_MAX_INDICES = 1;
const MODE_AVG = 2;
const MODE_AVG_SEQUENTIAL = 3;

interface Prepared {
  readonly job: RunJob;
  readonly tables: number;
  /** Int32 argmax positions, one per output (max pools), 0 otherwise. */
  readonly indices: number;
  readonly cf: (PoolCfArgs & { readonly offset: number; readonly outOffset: number })[];
  readonly cl: PoolClArgs[];
}

export class WasmPoolPlan extends PoolPlanBase<Prepared> {
  private workspaceBytes = 0;
  private threads = 1;

  constructor(
    private readonly rt: WasmRuntime,
    params: PoolParams,
  ) {
    super(params);
  }

  get info(): PoolPlanInfo {
    const p = this.params;
    const kind = p.kind === 'max' || p.kind === 'adaptive-max' ? 'max' : 'avg';
    const kernel = p.layout === 'channels-last' ? `pool-cl-${kind} (4 channels per vector)` : `pool-cf-${kind} (4 outputs per vector)`;
    return { backend: 'wasm', kernel, workspaceBytes: this.workspaceBytes, threads: this.threads };
  }

  protected prepare(g: PoolGeometry): Prepared {
    const { heap } = this.rt;
    const p = this.params;
    const [D, H, W] = to3d(g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const [dD, dH, dW] = p.kind === 'max' ? to3d(p.dilation, 1) : [1, 1, 1];
    const outputs = shapeSize(g.outputShape);
    const isMax = p.kind === 'max' || p.kind === 'adaptive-max';
    const tableInts = 3 * (OD + OH + OW);
    const tables = heap.alloc(tableInts * 4, 'workspace');
    const indices = isMax ? heap.alloc(outputs * 4, 'workspace') : 0;
    const ones = { start: Int32Array.of(0), count: Int32Array.of(1), factor: Int32Array.of(1) };
    const windows = [...new Array(3 - g.windows.length).fill(ones), ...g.windows] as typeof g.windows;
    let at = tables >> 2;
    for (const w of windows) {
      for (const column of [w.start, w.count, w.factor]) {
        heap.i32.set(column, at);
        at += column.length;
      }
    }
    this.workspaceBytes = tableInts * 4 + (indices ? outputs * 4 : 0);
    // Work per output ~ its taps; the pool splits it where a thread has enough (dispatch.ts).
    const taps = windows.reduce((n, w) => n * Math.max(1, ...w.count), 1);
    const common = { D, H, W, OD, OH, OW, tables, dD, dH, dW, mode: MODE_MAX, divisor: p.divisorOverride ?? 0, x: 0, y: 0, ind: 0 };
    const cf: Prepared['cf'] = [];
    const cl: PoolClArgs[] = [];
    const planes = g.batch * g.channels;
    const inPlane = D * H * W;
    const outPlane = OD * OH * OW;
    if (p.layout === 'channels-first') {
      const threads = Math.min(threadsFor(this.rt, outputs * taps, MIN_MEMORY_BOUND_PER_THREAD), planes);
      for (let t = 0; t < threads; t++) {
        const p0 = Math.floor((planes * t) / threads);
        const p1 = Math.floor((planes * (t + 1)) / threads);
        const args = PoolCfArgs.create(heap, { ...common, planes: p1 - p0 });
        cf.push(Object.assign(args, { offset: p0 * inPlane * 4, outOffset: p0 * outPlane * 4 }));
      }
      this.threads = threads;
    } else {
      const threads = Math.min(threadsFor(this.rt, outputs * taps, MIN_MEMORY_BOUND_PER_THREAD), outPlane);
      for (let t = 0; t < threads; t++) {
        const p0 = Math.floor((outPlane * t) / threads);
        const p1 = Math.floor((outPlane * (t + 1)) / threads);
        cl.push(PoolClArgs.create(heap, { ...common, images: g.batch, C: g.channels, p0, p1 }));
      }
      this.threads = threads;
    }
    const mode = () => (isMax ? (this.wantIndices ? MODE_MAX_INDICES : MODE_MAX) : g.sequentialDivide ? MODE_AVG_SEQUENTIAL : MODE_AVG);
    const job: RunJob = {
      batch: g.batch,
      staging: new Staging(heap),
      images: (src, dst) => {
        const m = mode();
        for (const c of cf) {
          c.x = src + c.offset;
          c.y = dst + c.outOffset;
          c.ind = indices + c.outOffset;
          c.mode = m;
        }
        for (const c of cl) {
          c.x = src;
          c.y = dst;
          c.ind = indices;
          c.mode = m;
        }
        runCalls(this.rt, cf.length ? cf : cl);
      },
    };
    return { job, tables, indices, cf, cl };
  }

  protected releasePrepared(prep: Prepared): void {
    releaseJob(prep.job);
    this.rt.heap.release(prep.tables);
    if (prep.indices) this.rt.heap.release(prep.indices);
    for (const call of [...prep.cf, ...prep.cl]) call.release();
  }

  protected releaseHeld(): void {}

  protected override place(data: Float32Array, argument: 'input' | 'options.out'): Placed {
    return placeOn(this.rt.heap, data, argument);
  }

  protected override viewOf(placed: Placed): Float32Array {
    return viewOn(this.rt.heap, placed);
  }

  protected execute(_g: PoolGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    runJob(this.rt, prep.job, input, out);
    if (this.wantIndices) this.indices = this.rt.heap.i32.slice(prep.indices >> 2, (prep.indices >> 2) + out.length);
  }
}
