/**
 * What the WebGPU plans of the table-driven ops share (pooling, interpolation): inputs read once and placed on
 * the device, the per-shape pass (uniforms, tables, grid), one compute pass, and the host fallback's inputs.
 */
/// <reference types="@webgpu/types" />
import { SimdconvError } from '../../errors.js';
import { readTensor } from '../../shape.js';
import type { Tensor } from '../../types.js';
import type { GpuTensor } from './api.js';
import type { GpuRuntime } from './runtime.js';
import { DeviceTensor, HostTensor } from './tensor.js';

export type GpuInput = Tensor | DeviceTensor | HostTensor;

/** One input shape's pass: its uniforms, tables and grid, and the plan's own input buffer for host data. */
export interface TablePass {
  readonly shape: string;
  readonly uniform: GPUBuffer;
  readonly tables: GPUBuffer;
  readonly grid: [number, number];
  readonly outputs: number;
  input: GPUBuffer | null;
}

/** The input read once: a GpuTensor as it is, host data checked (readTensor) into a plain tensor. */
export function checkedInput(input: Tensor | GpuTensor): GpuInput {
  return input instanceof DeviceTensor || input instanceof HostTensor ? input : readTensor('input', input);
}

/** Host data for the fallback plan (a lost device's GpuTensor cannot be read). */
export function hostInputOf(input: GpuInput): Tensor {
  if (input instanceof HostTensor) return input.tensor;
  if (input instanceof DeviceTensor)
    throw new SimdconvError('BACKEND_UNAVAILABLE', 'input', 'host data', 'a GpuTensor on a WebGPU device this context no longer uses');
  return input;
}

/** The input's buffer on the device: a GpuTensor's own, or host data written into the pass's input buffer. */
export function inputBufferOf(rt: GpuRuntime, pass: TablePass, input: GpuInput): GPUBuffer {
  if (input instanceof DeviceTensor) {
    if (input.rt !== rt) throw new SimdconvError('INVALID_TENSOR', 'input', "a GpuTensor of this plan's context", 'a GpuTensor of another context or device');
    return input.checkedBuffer;
  }
  const x = hostInputOf(input);
  pass.input ??= rt.buffer('input', Math.max(4, x.data.byteLength));
  // writeBuffer takes no SharedArrayBuffer (a threaded wasm context's tensors): copied first.
  const d = typeof SharedArrayBuffer === 'function' && x.data.buffer instanceof SharedArrayBuffer ? x.data.slice() : x.data;
  rt.device.queue.writeBuffer(pass.input, 0, d.buffer, d.byteOffset, d.byteLength);
  return pass.input;
}

/** Encodes one compute pass of `pipeline` over `buffers` (bindings 0, 1, ... in order). */
export function encodeTablePass(rt: GpuRuntime, encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, grid: [number, number], buffers: GPUBuffer[]): void {
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    rt.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }),
  );
  pass.dispatchWorkgroups(grid[0], grid[1]);
  pass.end();
}

export function releasePass(pass: TablePass): void {
  pass.uniform.destroy();
  pass.tables.destroy();
  pass.input?.destroy();
}

export function disposedPlan(): SimdconvError {
  return new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
}
