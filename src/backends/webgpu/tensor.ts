/** The two GpuTensor kinds: data in a GPUBuffer, or (after a fallback) in host memory. */
/// <reference types="@webgpu/types" />
import type { BackendName } from '../../context.js';
import { SimdconvError } from '../../errors.js';
import { shapeSize } from '../../shape.js';
import type { Tensor } from '../../types.js';
import type { GpuTensor } from './api.js';
import type { GpuRuntime } from './runtime.js';

function disposedError(): SimdconvError {
  return new SimdconvError('DISPOSED', 'tensor', 'a GpuTensor that has not been disposed', 'a disposed GpuTensor');
}

export class DeviceTensor implements GpuTensor {
  readonly backend = 'webgpu' as const;
  private live: GPUBuffer | null;

  constructor(
    readonly rt: GpuRuntime,
    buffer: GPUBuffer,
    readonly shape: readonly number[],
    /** Called when a read fails, to turn a lost device into a clear error. */
    private readonly onFailure: (e: unknown) => Promise<never>,
  ) {
    this.live = buffer;
  }

  get buffer(): GPUBuffer | null {
    return this.live;
  }

  /** The buffer, or DISPOSED. */
  get checkedBuffer(): GPUBuffer {
    if (this.live === null) throw disposedError();
    return this.live;
  }

  async read(): Promise<Tensor> {
    const buffer = this.checkedBuffer;
    const data = new Float32Array(shapeSize(this.shape));
    const encoder = this.rt.device.createCommandEncoder();
    const staging = this.rt.encodeRead(encoder, buffer, data.length);
    this.rt.device.queue.submit([encoder.finish()]);
    try {
      await this.rt.finishRead(staging, data);
    } catch (e) {
      return this.onFailure(e);
    }
    return { data, shape: [...this.shape] };
  }

  dispose(): void {
    this.live?.destroy();
    this.live = null;
  }

  /** The same buffer as another shape of as many elements (linear, batchNorm run as reshaped convolutions). */
  reshaped(shape: readonly number[]): DeviceTensor {
    return new DeviceTensor(this.rt, this.checkedBuffer, shape, this.onFailure);
  }
}

/** A GpuTensor of a context that runs on its fallback backend: a private host copy. */
export class HostTensor implements GpuTensor {
  readonly buffer = null;
  private data: Float32Array | null;

  constructor(
    readonly backend: BackendName,
    data: Float32Array,
    readonly shape: readonly number[],
  ) {
    this.data = data;
  }

  /** The data as a tensor (no copy; for the fallback plans, which never mutate inputs). */
  get tensor(): Tensor {
    if (this.data === null) throw disposedError();
    return { data: this.data, shape: this.shape };
  }

  async read(): Promise<Tensor> {
    return { data: this.tensor.data.slice(), shape: [...this.shape] };
  }

  reshaped(shape: readonly number[]): HostTensor {
    return new HostTensor(this.backend, this.tensor.data, shape);
  }

  dispose(): void {
    this.data = null;
  }
}
