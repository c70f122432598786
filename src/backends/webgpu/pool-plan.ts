/**
 * Pooling on WebGPU (shaders/pool.ts), with the host fallback of the context: the same window tables as the
 * wasm kernels (src/pool-shape.ts), uploaded once per input shape; one invocation per output element.
 */
/// <reference types="@webgpu/types" />
import type { Context } from '../../context.js';
import { SimdconvError } from '../../errors.js';
import type { IndexTensor, PoolPlan, PoolPlanInfo } from '../../pool-plan.js';
import { type PoolGeometry, type PoolParams, resolvePoolGeometry } from '../../pool-shape.js';
import { checkOut, shapeSize, to3d } from '../../shape.js';
import type { Tensor } from '../../types.js';
import type { GpuTensor } from './api.js';
import type { GpuRuntime } from './runtime.js';
import { ELEMENTWISE_WORKGROUP } from './shaders/common.js';
import { poolShader, poolShaderKey } from './shaders/pool.js';
import { DeviceTensor, HostTensor } from './tensor.js';
import { type GpuInput, checkedInput, disposedPlan, encodeTablePass, hostInputOf, inputBufferOf, releasePass, type TablePass } from './table-pass.js';

/** What a pooling plan needs from the WebGPU context (context.ts WebGpuContext). */
export interface PoolPlanHost {
  readonly rt: GpuRuntime | null;
  readonly onGpuFailure: (e: unknown) => Promise<never>;
  gpuUsable(): boolean;
  hostContext(): Context;
  /** The host plan of these parameters (the op module's makers). */
  hostPlan(params: PoolParams): PoolPlan;
}

export interface GpuPoolPlan {
  readonly params: PoolParams;
  readonly info: PoolPlanInfo;
  outputShape(inputShape: readonly number[]): number[];
  /** Runs and reads back; writes into `out` when given (validated). */
  run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor>;
  /** Max pools: values and argmax indices (read back). */
  runWithIndices(input: Tensor | GpuTensor, out?: Tensor): Promise<{ output: Tensor; indices: IndexTensor }>;
  /** Runs without reading back (values only). */
  runResident(input: Tensor | GpuTensor): GpuTensor;
  dispose(): void;
}

interface Prepared extends TablePass {
  readonly g: PoolGeometry;
}

const UNIFORM_BYTES = 6 * 16;
const MODES = { max: 0, maxIndices: 1, avg: 2, avgSequential: 3 };

export class WebGpuPoolPlan implements GpuPoolPlan {
  private prepared: Prepared | null = null;
  private host: PoolPlan | null = null;
  private disposed = false;

  constructor(
    private readonly ctx: PoolPlanHost,
    readonly params: PoolParams,
  ) {}

  get info(): PoolPlanInfo {
    if (!this.ctx.gpuUsable()) return this.hostPlan().info;
    const bytes = this.prepared ? this.prepared.tables.size : 0;
    return { backend: 'webgpu', kernel: poolShaderKey(this.params.layout === 'channels-last'), workspaceBytes: bytes, threads: 1 };
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolvePoolGeometry(this.params, inputShape).outputShape];
  }

  async run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor> {
    return (await this.runGpu(checkedInput(input), out, false)).output;
  }

  async runWithIndices(input: Tensor | GpuTensor, out?: Tensor): Promise<{ output: Tensor; indices: IndexTensor }> {
    const isMax = this.params.kind === 'max' || this.params.kind === 'adaptive-max';
    if (!isMax) throw new SimdconvError('INVALID_ARGUMENT', 'returnIndices', 'a max pooling (indices of the maxima)', this.params.op);
    const r = await this.runGpu(checkedInput(input), out, true);
    return { output: r.output, indices: r.indices! };
  }

  runResident(raw: Tensor | GpuTensor): GpuTensor {
    if (this.disposed) throw disposedPlan();
    const input = checkedInput(raw);
    if (!this.ctx.gpuUsable()) {
      const y = this.hostPlan().run(hostInputOf(input));
      return new HostTensor(this.ctx.hostContext().backend, y.data, y.shape);
    }
    const rt = this.ctx.rt!;
    const prep = this.prepare(input);
    const output = rt.buffer('output', prep.outputs * 4);
    const encoder = rt.device.createCommandEncoder();
    this.encode(encoder, prep, inputBufferOf(this.ctx.rt!, prep, input), output, rt.buffer('indices', 4), false);
    rt.device.queue.submit([encoder.finish()]);
    return new DeviceTensor(rt, output, [...prep.g.outputShape], this.ctx.onGpuFailure);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.prepared) releasePass(this.prepared);
    this.prepared = null;
    this.host?.dispose();
  }

  private async runGpu(input: GpuInput, out: Tensor | undefined, indices: boolean): Promise<{ output: Tensor; indices: IndexTensor | null }> {
    if (this.disposed) throw disposedPlan();
    if (!this.ctx.gpuUsable()) {
      const plan = this.hostPlan();
      const x = hostInputOf(input);
      return indices ? plan.runWithIndices(x, out) : { output: plan.run(x, out), indices: null };
    }
    const rt = this.ctx.rt!;
    const prep = this.prepare(input);
    const g = prep.g;
    const host = input instanceof DeviceTensor ? null : hostInputOf(input);
    const target =
      out === undefined
        ? { data: new Float32Array(prep.outputs), shape: [...g.outputShape] }
        : checkOut(out, g, host ?? { data: new Float32Array(0), shape: [] });
    const output = rt.buffer('output', prep.outputs * 4);
    const ind = rt.buffer('indices', indices ? prep.outputs * 4 : 4);
    try {
      const encoder = rt.device.createCommandEncoder();
      this.encode(encoder, prep, inputBufferOf(this.ctx.rt!, prep, input), output, ind, indices);
      const staging = rt.encodeRead(encoder, output, prep.outputs);
      const indexStaging = indices ? rt.encodeRead(encoder, ind, prep.outputs) : null;
      rt.device.queue.submit([encoder.finish()]);
      const positions = indices ? new Int32Array(prep.outputs) : null;
      try {
        await rt.finishRead(staging, target.data);
        if (indexStaging) await rt.finishRead(indexStaging, new Float32Array(positions!.buffer));
      } catch (e) {
        return this.ctx.onGpuFailure(e);
      }
      return { output: out ?? target, indices: positions && { data: positions, shape: [...g.outputShape] } };
    } finally {
      output.destroy();
      ind.destroy();
    }
  }

  private encode(encoder: GPUCommandEncoder, prep: Prepared, input: GPUBuffer, output: GPUBuffer, indices: GPUBuffer, withIndices: boolean): void {
    const rt = this.ctx.rt!;
    const p = this.params;
    const isMax = p.kind === 'max' || p.kind === 'adaptive-max';
    const mode = isMax ? (withIndices ? MODES.maxIndices : MODES.max) : prep.g.sequentialDivide ? MODES.avgSequential : MODES.avg;
    rt.device.queue.writeBuffer(prep.uniform, 2 * 16 + 8, new Int32Array([mode]));
    const pipeline = rt.pipeline(poolShaderKey(p.layout === 'channels-last'), () => poolShader(p.layout === 'channels-last'));
    encodeTablePass(rt, encoder, pipeline, prep.grid, [prep.uniform, input, prep.tables, output, indices]);
  }

  private prepare(input: GpuInput): Prepared {
    const shape = input.shape;
    const key = shape.join(',');
    if (this.prepared?.shape === key) return this.prepared;
    const rt = this.ctx.rt!;
    const g = resolvePoolGeometry(this.params, shape);
    const outputs = shapeSize(g.outputShape);
    rt.checkSize('input', shapeSize(shape) * 4);
    rt.checkSize('output', outputs * 4);
    const ones = { start: Int32Array.of(0), count: Int32Array.of(1), factor: Int32Array.of(1) };
    const windows = [...new Array(3 - g.windows.length).fill(ones), ...g.windows] as typeof g.windows;
    const columns = windows.flatMap((w) => [w.start, w.count, w.factor]);
    const table = new Int32Array(columns.reduce((n, c) => n + c.length, 0));
    const tab: number[] = [];
    let at = 0;
    columns.forEach((c, i) => {
      if (i % 3 === 0) tab.push(at);
      table.set(c, at);
      at += c.length;
    });
    const [D, H, W] = to3d(g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const u = new ArrayBuffer(UNIFORM_BYTES);
    const ints = new Int32Array(u);
    ints.set([D, H, W, D * H * W, OD, OH, OW, OD * OH * OW, outputs, g.channels, 0, 0xff800000 | 0]);
    ints.set(this.params.kind === 'max' ? to3d(this.params.dilation, 1) : [1, 1, 1], 12);
    ints.set(tab, 16);
    new Float32Array(u)[20] = this.params.divisorOverride ?? 0;
    if (this.prepared) releasePass(this.prepared);
    this.prepared = {
      shape: key,
      g,
      uniform: rt.uniform('pool params', u),
      tables: rt.bufferFrom('pool windows', table),
      grid: rt.grid(Math.ceil(outputs / ELEMENTWISE_WORKGROUP)),
      outputs,
      input: null,
    };
    return this.prepared;
  }

  private hostPlan(): PoolPlan {
    this.host ??= this.ctx.hostPlan(this.params);
    return this.host;
  }
}
