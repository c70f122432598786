/** Public types of the WebGPU entry point (re-exported by src/webgpu.ts, documented there). */
/// <reference types="@webgpu/types" />
import type { BackendName } from '../../context.js';
import type { PlanInfo } from '../../plan.js';
import type { ConvParams } from '../../shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../../types.js';
import type { GPU_OPS, GpuOpName } from '../../ops/registry.js';
import type { AdapterInfo } from './device.js';
import type { IndexTensor } from '../../pool-plan.js';
import type { AdaptivePoolOptions, AdaptiveSize, AvgPoolOptions, MaxPoolOptions } from '../../pool-shape.js';
import type { GpuPoolPlan } from './pool-plan.js';
import type { GpuReshapedPlan } from './reshaped-plan.js';
import type { BatchNormOptions } from '../../ops/batch-norm.js';
import type { InterpolateOptions } from '../../interpolate-shape.js';
import type { GpuInterpolatePlan } from './interpolate-plan.js';

export type { GpuPoolPlan, GpuReshapedPlan, GpuInterpolatePlan };

export type { AdapterInfo };

export type GpuBackendName = 'webgpu' | BackendName | 'none';

export interface InitWebGPUOptions {
  /** Use this device instead of requesting one (it is then never destroyed by simdconv). */
  device?: GPUDevice;
  /** Fail `initWebGPU` when no adapter/device is available, whatever `fallback` says. Default false. */
  requireAdapter?: boolean;
  powerPreference?: GPUPowerPreference;
  /**
   * What to do without a usable device, at init or after the device is lost: 'wasm' (default) runs every op
   * on the wasm backend (with one console.warn naming why); 'none' throws SimdconvError BACKEND_UNAVAILABLE.
   */
  fallback?: 'wasm' | 'none';
}

/** A tensor resident where the context computes: a GPUBuffer (f32, row-major), or host memory after a fallback. */
export interface GpuTensor {
  readonly shape: readonly number[];
  /** 'webgpu': `buffer` holds the data; otherwise the data is in host memory (the context fell back). */
  readonly backend: GpuBackendName;
  readonly buffer: GPUBuffer | null;
  /** Copies the data back as a new tensor. */
  read(): Promise<Tensor>;
  /** Frees the buffer. Idempotent; the tensor throws DISPOSED afterwards. */
  dispose(): void;
}

export type GpuConvPlanOptions = Omit<ConvOptions, 'out'>;
export type GpuConvTransposePlanOptions = Omit<ConvTransposeOptions, 'out'>;

export interface GpuConvPlan {
  readonly params: ConvParams;
  /** backend 'webgpu' and the kernel path (e.g. 'gemm-64x64x16-cl-vec4'), or the fallback plan's info. */
  readonly info: PlanInfo;
  /** Output shape for an input shape (shape.ts, as every backend). */
  outputShape(inputShape: readonly number[]): number[];
  /** Runs and reads back. Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor>;
  /** Runs without reading back: the result stays on the GPU, to feed the next plan or `read()` later. */
  runResident(input: Tensor | GpuTensor): GpuTensor;
  /** Frees the plan's weights and workspaces. Idempotent; the plan throws DISPOSED afterwards. */
  dispose(): void;
}

type ConvFn<O> = (input: Tensor | GpuTensor, weight: Tensor, bias?: Tensor | null, options?: O) => Promise<Tensor>;
type PlanFn<O> = (weight: Tensor, bias?: Tensor | null, options?: O) => GpuConvPlan;
type OptionsOf<K extends GpuOpName> = (typeof GPU_OPS)[K] extends 'transposed' ? ConvTransposeOptions : ConvOptions;

/** The ops of src/ops/registry.ts GPU_OPS: `conv2d(input, weight, bias?, options?)` and `createConv2d(weight, bias?, options?)`, ... */
export type GpuOps = { [K in GpuOpName]: ConvFn<OptionsOf<K>> } & { [K in GpuOpName as `create${Capitalize<K>}`]: PlanFn<Omit<OptionsOf<K>, 'out'>> };

type PoolInput = Tensor | GpuTensor;
type WithOut<O> = O & { out?: Tensor };
type MaxResult<O> = O extends { returnIndices: true } ? { output: Tensor; indices: IndexTensor } : Tensor;
type AdaptiveMaxOptions = AdaptivePoolOptions & { returnIndices?: boolean };
type MaxPoolFn = <O extends WithOut<MaxPoolOptions>>(input: PoolInput, options: O) => Promise<MaxResult<O>>;
type AvgPoolFn = (input: PoolInput, options: WithOut<AvgPoolOptions>) => Promise<Tensor>;
type AdaptiveAvgFn = (input: PoolInput, outputSize: AdaptiveSize, options?: WithOut<AdaptivePoolOptions>) => Promise<Tensor>;
type AdaptiveMaxFn = <O extends WithOut<AdaptiveMaxOptions>>(input: PoolInput, outputSize: AdaptiveSize, options?: O) => Promise<MaxResult<O>>;
type Ranks = '1d' | '2d' | '3d';

/** The pooling ops, as the main entry's (src/ops/pool.ts), async, and their plans. */
export type GpuPoolOps = { [R in Ranks as `maxPool${R}`]: MaxPoolFn } & { [R in Ranks as `avgPool${R}`]: AvgPoolFn } & {
  [R in Ranks as `adaptiveAvgPool${R}`]: AdaptiveAvgFn;
} & { [R in Ranks as `adaptiveMaxPool${R}`]: AdaptiveMaxFn } & {
  [R in Ranks as `create${'MaxPool' | 'AvgPool'}${R}`]: (options: MaxPoolOptions | AvgPoolOptions) => GpuPoolPlan;
} & { [R in Ranks as `create${'AdaptiveAvgPool' | 'AdaptiveMaxPool'}${R}`]: (outputSize: AdaptiveSize, options?: AdaptiveMaxOptions) => GpuPoolPlan };

/** linear, batchNorm and interpolate, as the main entry's (src/ops/linear.ts, src/ops/batch-norm.ts), async, and their plans. */
export interface GpuLayerOps {
  linear(input: PoolInput, weight: Tensor, bias?: Tensor | null, options?: { out?: Tensor }): Promise<Tensor>;
  createLinear(weight: Tensor, bias?: Tensor | null): GpuReshapedPlan;
  batchNorm(
    input: PoolInput,
    runningMean: Tensor,
    runningVar: Tensor,
    weight?: Tensor | null,
    bias?: Tensor | null,
    options?: WithOut<BatchNormOptions>,
  ): Promise<Tensor>;
  createBatchNorm(runningMean: Tensor, runningVar: Tensor, weight?: Tensor | null, bias?: Tensor | null, options?: BatchNormOptions): GpuReshapedPlan;
  interpolate(input: PoolInput, options: WithOut<InterpolateOptions>): Promise<Tensor>;
  createInterpolate(options: InterpolateOptions): GpuInterpolatePlan;
}

export interface GpuContext extends GpuOps, GpuPoolOps, GpuLayerOps {
  /**
   * Where ops run now: 'webgpu', or the fallback backend ('wasm'; 'js' on engines without wasm SIMD); 'none'
   * once the device is lost with `fallback: 'none'` (ops then throw BACKEND_UNAVAILABLE).
   */
  readonly backend: GpuBackendName;
  /** The adapter in use (null when there never was one). */
  readonly adapterInfo: AdapterInfo | null;
  /** The device (null without one); it may have been lost since, see `fallbackReason`. */
  readonly device: GPUDevice | null;
  /** Why ops run on the fallback backend (no adapter, device lost, ...), or null on WebGPU. */
  readonly fallbackReason: string | null;

  /** Copies a host tensor to the GPU (or, after a fallback, keeps a host copy). */
  upload(t: Tensor): GpuTensor;
  /** Resolves when all GPU work submitted so far has finished (queue.onSubmittedWorkDone). */
  synchronize(): Promise<void>;
  /** Destroys the device if simdconv created it; the context throws DISPOSED afterwards. Idempotent. */
  destroy(): void;
}
