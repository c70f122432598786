/**
 * A chain on the wasm backend with its intermediates in wasm memory: the input is copied in once, every
 * stage runs from one heap buffer to another (`ResidentPlan.runResident`), and only the final output is
 * copied out. Two ping-pong buffers serve the whole chain: stage i reads buffer i % 2 and writes buffer
 * (i + 1) % 2, each sized for the largest tensor it holds.
 *
 * A stage whose plan cannot run resident (a kernel path without `runResident`) still works: its input is
 * copied out to JS and its output back in, and `info` reports it with `resident: false`.
 */
import { type ChainInfo, type ChainStage, ChainBase, HostChain, checkStages } from '../../chain.js';
import type { ChainMakers } from '../../context.js';
import type { ConvPlan, Placed } from '../../plan.js';
import { placeOn, viewOn } from './resident-tensor.js';
import { type ConvGeometry, shapeSize } from '../../shape.js';
import { isResidentPlan } from './resident.js';
import { STAGING_SPARE, stagingShift } from './staging.js';
import type { WasmRuntime } from './runtime.js';
import { wasmConvPlan } from './select.js';

interface Buffers {
  /** Byte offsets of the two ping-pong buffers. */
  readonly ptr: [number, number];
  readonly bytes: number;
}

export class WasmResidentChain extends ChainBase<Buffers> {
  private intermediateBytes = 0;

  constructor(
    private readonly rt: WasmRuntime,
    stages: readonly ChainStage[],
  ) {
    checkStages(stages);
    const plans: ConvPlan[] = [];
    try {
      for (const s of stages) plans.push(wasmConvPlan(rt, s.params));
    } catch (e) {
      for (const p of plans) p.dispose();
      throw e;
    }
    super(stages, plans);
  }

  get info(): ChainInfo {
    return {
      backend: 'wasm',
      stages: this.plans.map((p, i) => ({ ...p.info, name: this.stages[i]!.name, resident: isResidentPlan(p) })),
      intermediateBytes: this.intermediateBytes,
    };
  }

  protected prepare(geometries: readonly ConvGeometry[]): Buffers {
    const sizes = [shapeSize(geometries[0]!.inputShape), ...geometries.map((g) => shapeSize(g.outputShape))];
    const lengths: [number, number] = [0, 0];
    sizes.forEach((n, i) => (lengths[i % 2] = Math.max(lengths[i % 2]!, n)));
    // A float to spare: the chain's input and output may start a float in (stagingShift).
    const a = this.rt.heap.alloc(lengths[0] * 4 + STAGING_SPARE, 'input');
    let b: number;
    try {
      b = this.rt.heap.alloc(lengths[1] * 4 + STAGING_SPARE, 'input');
    } catch (e) {
      this.rt.heap.release(a);
      throw e;
    }
    this.intermediateBytes = (lengths[0] + lengths[1]) * 4;
    return { ptr: [a, b], bytes: this.intermediateBytes };
  }

  protected releasePrepared(buffers: Buffers): void {
    for (const ptr of buffers.ptr) this.rt.heap.release(ptr);
  }

  protected override place(data: Float32Array, argument: 'input' | 'options.out'): Placed {
    return placeOn(this.rt.heap, data, argument);
  }

  protected override viewOf(placed: Placed): Float32Array {
    return viewOn(this.rt.heap, placed);
  }

  protected execute(geometries: readonly ConvGeometry[], buffers: Buffers, input: Float32Array, out: Float32Array): void {
    const { heap, memory } = this.rt;
    const last = geometries.length - 1;
    // The first stage's input and the last one's output start where the copies in and out stay aligned.
    const inAt = buffers.ptr[0] + stagingShift(memory, input.byteOffset >> 2);
    const outAt = buffers.ptr[(last + 1) % 2]! + stagingShift(memory, out.byteOffset >> 2);
    heap.f32(inAt, input.length).set(input);
    geometries.forEach((g, i) => {
      const src = i === 0 ? inAt : buffers.ptr[i % 2]!;
      const dst = i === last ? outAt : buffers.ptr[(i + 1) % 2]!;
      const plan = this.plans[i]!;
      if (isResidentPlan(plan)) {
        plan.runResident(g.inputShape, src, dst);
      } else {
        // Copied out first: the plan may grow the memory while preparing, which detaches earlier views.
        const x = heap.f32(src, shapeSize(g.inputShape)).slice();
        const y = plan.run({ data: x, shape: g.inputShape });
        heap.f32(dst, y.data.length).set(y.data);
      }
    });
    // Views are made after the last stage: a stage's first run may have grown the memory.
    out.set(heap.f32(outAt, out.length));
  }
}

/** The composite ops' chains: resident on wasm, on host arrays elsewhere (the js backend). */
export const chainMakers: ChainMakers = {
  wasm: (rt, stages) => new WasmResidentChain(rt, stages),
  host: (stages, makePlan) => new HostChain(stages, makePlan),
};
