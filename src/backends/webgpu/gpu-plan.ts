/**
 * A convolution plan on one WebGPU device: weights packed (lower.ts) and uploaded once, the kernel path chosen
 * once (depthwise or implicit GEMM, plus a pad pass for non-zero padding modes), pipelines taken from the
 * device-wide cache; per input shape, the uniforms, the padded workspace and the plan's own input/output
 * buffers are made once and reused. GPU work is ordered by the queue, so reusing them across calls is safe.
 */
/// <reference types="@webgpu/types" />
import { SimdconvError } from '../../errors.js';
import { isDepthwise } from '../../lowering.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, checkOut, resolveConvGeometry, shapeSize } from '../../shape.js';
import type { Tensor } from '../../types.js';
import {
  type DepthwiseWeights,
  type GemmWeights,
  depthwiseUniforms,
  gemmUniforms,
  lowerDepthwiseWeights,
  lowerGemmShape,
  lowerGemmWeights,
  needsPadPass,
  padUniforms,
  paddedInSize,
} from './lower.js';
import type { GpuRuntime } from './runtime.js';
import { ELEMENTWISE_WORKGROUP } from './shaders/common.js';
import { depthwiseShader, depthwiseShaderKey } from './shaders/depthwise.js';
import { gemmShader, gemmShaderKey } from './shaders/gemm.js';
import { padShader, padShaderKey } from './shaders/pad.js';
import { DeviceTensor } from './tensor.js';

interface Pass {
  readonly pipeline: GPUComputePipeline;
  readonly uniform: GPUBuffer;
  readonly grid: [number, number];
}

interface Prepared {
  readonly geometry: ConvGeometry;
  readonly pad: Pass | null;
  readonly padded: GPUBuffer | null;
  readonly passes: readonly Pass[];
  /** The plan's own buffers for host inputs and for `run`'s output, made on first use. */
  input: GPUBuffer | null;
  output: GPUBuffer | null;
  readonly inputElements: number;
  readonly outputElements: number;
}

/** Input shapes whose workspaces a plan keeps (a chain alternating between a few shapes stays allocation-free). */
const SHAPES_KEPT = 4;

export class GpuKernelPlan {
  readonly info: PlanInfo;
  private readonly gemm: GemmWeights | null;
  private readonly depthwise: DepthwiseWeights | null;
  private readonly weightBuffers: GPUBuffer[];
  private readonly pipeline: GPUComputePipeline;
  private readonly padPipeline: GPUComputePipeline | null;
  private readonly prepared = new Map<string, Prepared>();
  private workspaceBytes = 0;

  constructor(
    private readonly rt: GpuRuntime,
    readonly params: ConvParams,
    private readonly onFailure: (e: unknown) => Promise<never>,
  ) {
    const p = params;
    const channelsLast = p.layout === 'channels-last';
    const bias = new Float32Array(p.outChannels);
    if (p.bias) bias.set(p.bias);
    let kernel: KernelInfo;
    if (isDepthwise(p)) {
      this.gemm = null;
      const dw = lowerDepthwiseWeights(p);
      this.depthwise = dw;
      const variant = { channelsLast, vec4: dw.vec4 };
      const key = depthwiseShaderKey(variant);
      kernel = { path: 'webgpu-depthwise', name: key, flags: {} };
      this.pipeline = rt.pipeline(key, () => depthwiseShader(variant));
      this.weightBuffers = [rt.bufferFrom('weight', dw.weights), rt.bufferFrom('bias', bias)];
    } else {
      this.depthwise = null;
      const gw = lowerGemmWeights(p);
      this.gemm = gw;
      const variant = { tileN: gw.tileN, channelsLast, vec4A: gw.vec4A };
      const key = gemmShaderKey(variant);
      this.pipeline = rt.pipeline(key, () => gemmShader(variant));
      kernel = { path: 'webgpu-gemm', name: key, flags: p.transposed ? { phases: gw.phases.length } : {} };
      this.weightBuffers = [rt.bufferFrom('weight', gw.packedB), rt.bufferFrom('kinfo', gw.kinfo), rt.bufferFrom('bias', bias)];
    }
    this.padPipeline = needsPadPass(p) ? rt.pipeline(padShaderKey(channelsLast), () => padShader(channelsLast)) : null;
    if (this.padPipeline) kernel = { ...kernel, flags: { ...kernel.flags, padPass: padShaderKey(channelsLast) } };
    const weightBytes = this.weightBuffers.reduce((s, b) => s + b.size, 0);
    const workspace = () => this.workspaceBytes;
    this.info = {
      backend: 'webgpu',
      ...kernel,
      layout: p.layout,
      kernel: describeGpuKernel(kernel),
      weightBytes,
      get workspaceBytes() {
        return workspace();
      },
    };
  }

  /** Runs and reads back into `out` (validated) or a new tensor. */
  async run(input: Tensor | DeviceTensor, out?: Tensor): Promise<Tensor> {
    const prep = this.prepare(input.shape);
    const g = prep.geometry;
    const target =
      out === undefined
        ? { data: new Float32Array(prep.outputElements), shape: [...g.outputShape] }
        : // A GpuTensor input cannot alias host memory: only the shape is checked then.
          checkOut(out, g, input instanceof DeviceTensor ? { data: new Float32Array(0), shape: [] } : input);
    prep.output ??= this.rt.buffer('output', prep.outputElements * 4);
    const encoder = this.rt.device.createCommandEncoder();
    this.encode(encoder, prep, this.inputBuffer(prep, input), prep.output);
    const staging = this.rt.encodeRead(encoder, prep.output, prep.outputElements);
    this.rt.device.queue.submit([encoder.finish()]);
    try {
      await this.rt.finishRead(staging, target.data);
    } catch (e) {
      return this.onFailure(e);
    }
    return out ?? target;
  }

  /** Runs into a new GPU buffer, returned as a GpuTensor (no readback). */
  runResident(input: Tensor | DeviceTensor): DeviceTensor {
    const prep = this.prepare(input.shape);
    const output = this.rt.buffer('output', prep.outputElements * 4);
    const encoder = this.rt.device.createCommandEncoder();
    this.encode(encoder, prep, this.inputBuffer(prep, input), output);
    this.rt.device.queue.submit([encoder.finish()]);
    return new DeviceTensor(this.rt, output, [...prep.geometry.outputShape], this.onFailure);
  }

  dispose(): void {
    for (const prep of this.prepared.values()) this.release(prep);
    this.prepared.clear();
    for (const b of this.weightBuffers) b.destroy();
  }

  private inputBuffer(prep: Prepared, input: Tensor | DeviceTensor): GPUBuffer {
    if (input instanceof DeviceTensor) {
      if (input.rt !== this.rt) {
        throw new SimdconvError('INVALID_TENSOR', 'input', "a GpuTensor of this plan's context", 'a GpuTensor of another context or device');
      }
      return input.checkedBuffer;
    }
    prep.input ??= this.rt.buffer('input', prep.inputElements * 4);
    // writeBuffer takes no SharedArrayBuffer (a threaded wasm context's tensors, a worker's data): copied first.
    const d = typeof SharedArrayBuffer === 'function' && input.data.buffer instanceof SharedArrayBuffer ? input.data.slice() : input.data;
    this.rt.device.queue.writeBuffer(prep.input, 0, d.buffer, d.byteOffset, d.byteLength);
    return prep.input;
  }

  private encode(encoder: GPUCommandEncoder, prep: Prepared, input: GPUBuffer, output: GPUBuffer): void {
    const device = this.rt.device;
    const pass = encoder.beginComputePass();
    const dispatch = (pipeline: GPUComputePipeline, grid: [number, number], buffers: GPUBuffer[]): void => {
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(grid[0], grid[1]);
    };
    let source = input;
    if (prep.pad && prep.padded) {
      dispatch(prep.pad.pipeline, prep.pad.grid, [prep.pad.uniform, input, prep.padded]);
      source = prep.padded;
    }
    const w = this.weightBuffers;
    for (const p of prep.passes) {
      // gemm: uniform, X, B, kinfo, bias, Y; depthwise: uniform, X, W, bias, Y.
      dispatch(p.pipeline, p.grid, [p.uniform, source, ...w, output]);
    }
    pass.end();
  }

  /** Geometry, uniforms and workspaces for an input shape, cached. */
  private prepare(shape: readonly number[]): Prepared {
    const key = shape.join(',');
    const hit = this.prepared.get(key);
    if (hit) {
      this.prepared.delete(key); // most recently used last
      this.prepared.set(key, hit);
      return hit;
    }
    const g = resolveConvGeometry(this.params, shape);
    const inputElements = shapeSize(g.inputShape);
    const outputElements = shapeSize(g.outputShape);
    this.rt.checkSize('input', inputElements * 4);
    this.rt.checkSize('output', outputElements * 4);
    const rt = this.rt;
    let pad: Pass | null = null;
    let padded: GPUBuffer | null = null;
    if (this.padPipeline) {
      const u = padUniforms(g);
      const size = paddedInSize(g);
      padded = rt.buffer('padded input', g.batch * this.params.inChannels * size[0] * size[1] * size[2] * 4);
      pad = { pipeline: this.padPipeline, uniform: rt.uniform('pad params', u.data), grid: rt.grid(Math.ceil(u.invocations / ELEMENTWISE_WORKGROUP)) };
    }
    const passes: Pass[] = [];
    if (this.gemm) {
      const s = lowerGemmShape(this.gemm, g);
      for (const d of s.dispatches) {
        passes.push({
          pipeline: this.pipeline,
          uniform: rt.uniform('gemm params', gemmUniforms(this.gemm, g, s, d)),
          grid: rt.grid(d.mTiles * d.nTiles * this.gemm.groups),
        });
      }
    } else if (this.depthwise) {
      const u = depthwiseUniforms(this.depthwise, g);
      passes.push({
        pipeline: this.pipeline,
        uniform: rt.uniform('depthwise params', u.data),
        grid: rt.grid(Math.ceil(u.invocations / ELEMENTWISE_WORKGROUP)),
      });
    }
    const prep: Prepared = { geometry: g, pad, padded, passes, input: null, output: null, inputElements, outputElements };
    this.prepared.set(key, prep);
    if (this.prepared.size > SHAPES_KEPT) {
      const [oldestKey, oldest] = this.prepared.entries().next().value as [string, Prepared];
      this.prepared.delete(oldestKey);
      this.release(oldest);
    }
    this.workspaceBytes = (padded?.size ?? 0) + 4 * (inputElements + outputElements);
    return prep;
  }

  private release(prep: Prepared): void {
    prep.pad?.uniform.destroy();
    prep.padded?.destroy();
    for (const p of prep.passes) p.uniform.destroy();
    prep.input?.destroy();
    prep.output?.destroy();
  }
}

/** The display string of a WebGPU plan's kernel: its shader, after the padding pass's where there is one. */
function describeGpuKernel(k: KernelInfo): string {
  const phases = k.flags.phases;
  const transposed = phases === undefined ? '' : ` (transposed: ${phases} stride phase${phases === 1 ? '' : 's'})`;
  return `${k.flags.padPass ? `${k.flags.padPass} + ` : ''}${k.name}${transposed}`;
}

/** What the WebGPU context runs: a GpuKernelPlan, or one per padding for 'same-upper' / 'same-lower'. */
export type GpuPlanLike = Pick<GpuKernelPlan, 'info' | 'run' | 'runResident' | 'dispose'>;

/** Paddings (kernel plans) an auto-padded plan keeps. */
const PADDINGS_KEPT = 4;

/**
 * 'same-upper' / 'same-lower' convolutions pad by the input size, and the GEMM's reduction table holds the
 * padding: one kernel plan per padding met, made from the parameters resolved for that input shape (a few at
 * most in practice: the padding depends on the size modulo the stride).
 */
export class AutoPadGpuPlan implements GpuPlanLike {
  private readonly plans = new Map<string, GpuKernelPlan>();
  private last: GpuKernelPlan | null = null;

  constructor(
    private readonly rt: GpuRuntime,
    private readonly params: ConvParams,
    private readonly onFailure: (e: unknown) => Promise<never>,
  ) {}

  /** The last input shape's kernel (before any run: the plan for no padding, as for a size the stride divides by a kernel of 1). */
  get info(): PlanInfo {
    return (this.last ??= this.planFor({ ...this.params, autoPad: null })).info;
  }

  run(input: Tensor | DeviceTensor, out?: Tensor): Promise<Tensor> {
    return this.planFor(resolveConvGeometry(this.params, input.shape).params).run(input, out);
  }

  runResident(input: Tensor | DeviceTensor): DeviceTensor {
    return this.planFor(resolveConvGeometry(this.params, input.shape).params).runResident(input);
  }

  dispose(): void {
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
  }

  private planFor(p: ConvParams): GpuKernelPlan {
    // The stride too: an axis with one output has it trimmed (shape.ts oneWindowAxes).
    const key = `${p.padBefore.join(',')}/${p.padAfter.join(',')}/${p.stride.join(',')}`;
    let plan = this.plans.get(key);
    if (plan)
      this.plans.delete(key); // most recently used last
    else plan = new GpuKernelPlan(this.rt, { ...p, autoPad: null }, this.onFailure);
    this.plans.set(key, plan);
    if (this.plans.size > PADDINGS_KEPT) {
      const [oldestKey, oldest] = this.plans.entries().next().value as [string, GpuKernelPlan];
      this.plans.delete(oldestKey);
      oldest.dispose();
    }
    return (this.last = plan);
  }
}
