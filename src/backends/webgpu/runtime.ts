/**
 * One device's shared state: the pipeline cache (one compiled pipeline per kernel variant; sizes are uniforms,
 * so a variant serves every shape), buffer helpers that check the device limits before allocating, and the
 * readback path (copy to a MAP_READ staging buffer, map, copy out).
 */
/// <reference types="@webgpu/types" />
import { SimdconvError } from '../../errors.js';

// Numeric flags, so nothing depends on the host defining GPUBufferUsage / GPUMapMode globals.
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_MODE_READ = 0x1;

export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** Buffer sizes are rounded up to 16 bytes, so every buffer can also be bound as array<vec4<f32>>. */
export const bufferBytes = (bytes: number): number => Math.max(16, Math.ceil(bytes / 16) * 16);

export class GpuRuntime {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  /** Workgroups per dispatch dimension; a plain property so that tests can exercise the 2-D folding cheaply. */
  maxWorkgroupsPerDimension: number;

  constructor(readonly device: GPUDevice) {
    this.maxWorkgroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** The compiled pipeline for a kernel variant, compiled on first use. */
  pipeline(key: string, source: () => string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = this.device.createShaderModule({ code: source(), label: key });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Throws OUT_OF_MEMORY (before any allocation) when a buffer would exceed the device's limits. */
  checkSize(argument: string, bytes: number): void {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bufferBytes(bytes) > limit) {
      throw new SimdconvError('OUT_OF_MEMORY', argument, `at most ${limit} bytes per buffer on this WebGPU device`, `${bytes} bytes`);
    }
  }

  buffer(argument: string, bytes: number, usage: number = STORAGE_USAGE): GPUBuffer {
    this.checkSize(argument, bytes);
    return this.device.createBuffer({ size: bufferBytes(bytes), usage, label: argument });
  }

  /** A storage (or uniform) buffer initialised with `data`. */
  bufferFrom(argument: string, data: ArrayBufferView | ArrayBuffer, usage: number = STORAGE_USAGE): GPUBuffer {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.checkSize(argument, bytes.byteLength);
    const buffer = this.device.createBuffer({ size: bufferBytes(bytes.byteLength), usage, label: argument, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    return buffer;
  }

  uniform(argument: string, data: ArrayBuffer): GPUBuffer {
    return this.bufferFrom(argument, data, Usage.UNIFORM | Usage.COPY_DST);
  }

  /** Workgroup counts for a 1-D amount of work, folded into y past the per-dimension limit. */
  grid(workgroups: number): [number, number] {
    const x = Math.max(1, Math.min(workgroups, this.maxWorkgroupsPerDimension));
    const y = Math.ceil(workgroups / x);
    if (y > this.maxWorkgroupsPerDimension) {
      throw new SimdconvError('OUT_OF_MEMORY', 'input', `at most ${x * this.maxWorkgroupsPerDimension} workgroups per dispatch`, `${workgroups}`);
    }
    return [x, Math.max(1, y)];
  }

  /** Appends a copy of `src` into a fresh staging buffer to `encoder`; `finishRead` maps it after submit. */
  encodeRead(encoder: GPUCommandEncoder, src: GPUBuffer, elements: number): GPUBuffer {
    const staging = this.device.createBuffer({ size: bufferBytes(elements * 4), usage: Usage.MAP_READ | Usage.COPY_DST, label: 'readback' });
    encoder.copyBufferToBuffer(src, 0, staging, 0, bufferBytes(elements * 4));
    return staging;
  }

  async finishRead(staging: GPUBuffer, target: Float32Array): Promise<void> {
    try {
      await staging.mapAsync(MAP_MODE_READ);
      target.set(new Float32Array(staging.getMappedRange(), 0, target.length));
      staging.unmap();
    } finally {
      staging.destroy();
    }
  }
}
