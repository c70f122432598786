/**
 * interpolate on WebGPU (shaders/interpolate.ts; 'area' on the pooling shader through WebGpuPoolPlan), with the
 * context's host fallback.
 */
/// <reference types="@webgpu/types" />
import type { InterpolatePlan, InterpolatePlanInfo } from '../../interpolate-plan.js';
import { type InterpolateGeometry, type InterpolateParams, resolveInterpolateGeometry } from '../../interpolate-shape.js';
import { resolveAdaptiveParams } from '../../pool-shape.js';
import { checkOut, shapeSize, to3d } from '../../shape.js';
import type { Tensor } from '../../types.js';
import type { GpuTensor } from './api.js';
import { type PoolPlanHost, WebGpuPoolPlan } from './pool-plan.js';
import { ELEMENTWISE_WORKGROUP } from './shaders/common.js';
import { interpolateShader, interpolateShaderKey } from './shaders/interpolate.js';
import { DeviceTensor, HostTensor } from './tensor.js';
import { checkedInput, disposedPlan, encodeTablePass, hostInputOf, inputBufferOf, releasePass, type TablePass } from './table-pass.js';

export interface InterpolatePlanHost extends PoolPlanHost {
  hostInterpolate(params: InterpolateParams): InterpolatePlan;
}

export interface GpuInterpolatePlan {
  readonly params: InterpolateParams;
  readonly info: InterpolatePlanInfo;
  outputShape(inputShape: readonly number[]): number[];
  run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor>;
  runResident(input: Tensor | GpuTensor): GpuTensor;
  dispose(): void;
}

interface Prepared extends TablePass {
  readonly g: InterpolateGeometry;
}

export class WebGpuInterpolatePlan implements GpuInterpolatePlan {
  private prepared: Prepared | null = null;
  private host: InterpolatePlan | null = null;
  private readonly area = new Map<string, WebGpuPoolPlan>();
  private disposed = false;

  constructor(
    private readonly ctx: InterpolatePlanHost,
    readonly params: InterpolateParams,
  ) {}

  get info(): InterpolatePlanInfo {
    if (!this.ctx.gpuUsable()) return this.hostPlan().info;
    return {
      backend: 'webgpu',
      kernel: this.params.mode === 'area' ? 'area: pool-adaptive-avg' : interpolateShaderKey(this.params.layout === 'channels-last'),
      workspaceBytes: this.prepared?.tables.size ?? 0,
      threads: 1,
    };
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolveInterpolateGeometry(this.params, inputShape).outputShape];
  }

  async run(raw: Tensor | GpuTensor, out?: Tensor): Promise<Tensor> {
    if (this.disposed) throw disposedPlan();
    const input = checkedInput(raw);
    if (!this.ctx.gpuUsable()) return this.hostPlan().run(hostInputOf(input), out);
    if (this.params.mode === 'area') return this.areaPlan(input.shape).run(input, out);
    const rt = this.ctx.rt!;
    const prep = this.prepare(input.shape);
    const target =
      out === undefined
        ? { data: new Float32Array(prep.outputs), shape: [...prep.g.outputShape] }
        : checkOut(out, prep.g, input instanceof DeviceTensor ? { data: new Float32Array(0), shape: [] } : hostInputOf(input));
    const output = rt.buffer('output', prep.outputs * 4);
    try {
      const encoder = rt.device.createCommandEncoder();
      this.encode(encoder, prep, inputBufferOf(this.ctx.rt!, prep, input), output);
      const staging = rt.encodeRead(encoder, output, prep.outputs);
      rt.device.queue.submit([encoder.finish()]);
      try {
        await rt.finishRead(staging, target.data);
      } catch (e) {
        return this.ctx.onGpuFailure(e);
      }
      return out ?? target;
    } finally {
      output.destroy();
    }
  }

  runResident(raw: Tensor | GpuTensor): GpuTensor {
    if (this.disposed) throw disposedPlan();
    const input = checkedInput(raw);
    if (!this.ctx.gpuUsable()) {
      const y = this.hostPlan().run(hostInputOf(input));
      return new HostTensor(this.ctx.hostContext().backend, y.data, y.shape);
    }
    if (this.params.mode === 'area') return this.areaPlan(input.shape).runResident(input);
    const rt = this.ctx.rt!;
    const prep = this.prepare(input.shape);
    const output = rt.buffer('output', prep.outputs * 4);
    const encoder = rt.device.createCommandEncoder();
    this.encode(encoder, prep, inputBufferOf(this.ctx.rt!, prep, input), output);
    rt.device.queue.submit([encoder.finish()]);
    return new DeviceTensor(rt, output, [...prep.g.outputShape], this.ctx.onGpuFailure);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.prepared) releasePass(this.prepared);
    this.prepared = null;
    for (const p of this.area.values()) p.dispose();
    this.host?.dispose();
  }

  private areaPlan(shape: readonly number[]): WebGpuPoolPlan {
    const g = resolveInterpolateGeometry(this.params, shape);
    const key = g.outSize.join(',');
    let plan = this.area.get(key);
    if (!plan) {
      plan = new WebGpuPoolPlan(this.ctx, resolveAdaptiveParams('adaptive-avg', g.rank, g.outSize, { layout: this.params.layout }));
      this.area.set(key, plan);
    }
    return plan;
  }

  private encode(encoder: GPUCommandEncoder, prep: Prepared, input: GPUBuffer, output: GPUBuffer): void {
    const rt = this.ctx.rt!;
    const last = this.params.layout === 'channels-last';
    const pipeline = rt.pipeline(interpolateShaderKey(last), () => interpolateShader(last));
    encodeTablePass(rt, encoder, pipeline, prep.grid, [prep.uniform, input, prep.tables, output]);
  }

  private prepare(shape: readonly number[]): Prepared {
    const key = shape.join(',');
    if (this.prepared?.shape === key) return this.prepared;
    const rt = this.ctx.rt!;
    const g = resolveInterpolateGeometry(this.params, shape);
    const outputs = shapeSize(g.outputShape);
    rt.checkSize('input', shapeSize(shape) * 4);
    rt.checkSize('output', outputs * 4);
    const one = { taps: 1, index: new Int32Array(4), weight: Float32Array.of(1, 0, 0, 0) };
    const axes = [...new Array(3 - g.axes.length).fill(one), ...g.axes] as typeof g.axes;
    const outs = to3d(g.outSize, 1);
    const words = axes.reduce((n, a, i) => n + 2 * a.taps * outs[i]!, 0);
    const table = new Int32Array(Math.max(words, 1));
    const bits = new Float32Array(table.buffer);
    const tab: number[] = [];
    let at = 0;
    axes.forEach((a, i) => {
      const O = outs[i]!;
      tab.push(at);
      for (let t = 0; t < a.taps; t++) for (let o = 0; o < O; o++) table[at + t * O + o] = a.index[o * 4 + t]!;
      at += a.taps * O;
      for (let t = 0; t < a.taps; t++) for (let o = 0; o < O; o++) bits[at + t * O + o] = a.weight[o * 4 + t]!;
      at += a.taps * O;
    });
    const [D, H, W] = to3d(g.inSize, 1);
    const [OD, OH, OW] = outs;
    const u = new Int32Array(20);
    u.set([D, H, W, D * H * W, OD, OH, OW, OD * OH * OW, outputs, g.channels, 0, 0, ...axes.map((a) => a.taps), 0, ...tab, 0]);
    if (this.prepared) releasePass(this.prepared);
    this.prepared = {
      shape: key,
      g,
      uniform: rt.uniform('interpolate params', u.buffer),
      tables: rt.bufferFrom('interpolate taps', table),
      grid: rt.grid(Math.ceil(outputs / ELEMENTWISE_WORKGROUP)),
      outputs,
      input: null,
    };
    return this.prepared;
  }

  private hostPlan(): InterpolatePlan {
    this.host ??= this.ctx.hostInterpolate(this.params);
    return this.host;
  }
}
