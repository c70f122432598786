/**
 * The WebGPU context: ops and plans on one device, and the fallback to the host backend (src/context.ts's
 * createContext: wasm, or js without wasm SIMD) when there is no device or it is lost. The host context is
 * created in the background at init, so a later loss finds it ready (runResident is synchronous).
 */
/// <reference types="@webgpu/types" />
import { type Context, createContext } from '../../context.js';
import { wasmAnyPlan } from '../wasm/select.js';
import { nonFiniteChannels } from '../../reference.js';
import { SimdconvError, describe } from '../../errors.js';
import type { ConvPlan, PlanInfo } from '../../plan.js';
import {
  type ConvOp,
  type ConvParams,
  type ConvTransposeOp,
  readTensor,
  checkNoOut,
  resolveConvGeometry,
  resolveConvParams,
  resolveConvTransposeParams,
} from '../../shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../../types.js';
import type { AdapterInfo, GpuBackendName, GpuContext, GpuConvPlan, GpuOps, GpuLayerOps, GpuPoolOps, GpuTensor, InitWebGPUOptions } from './api.js';
import { GPU_OPS, type GpuOpName } from '../../ops/registry.js';
import { acquireDevice, checkDeviceLimits, describeAdapter } from './device.js';
import { AutoPadGpuPlan, GpuKernelPlan, type GpuPlanLike } from './gpu-plan.js';
import { WebGpuPoolPlan } from './pool-plan.js';
import { ReshapedGpuPlan } from './reshaped-plan.js';
import { WebGpuInterpolatePlan } from './interpolate-plan.js';
import { interpolatePlanOf } from '../../ops/interpolate.js';
import type { InterpolatePlan } from '../../interpolate-plan.js';
import { type InterpolateOptions, type InterpolateParams, resolveInterpolateParams } from '../../interpolate-shape.js';
import { linearOut, lowerLinear } from '../../ops/linear.js';
import { type BatchNormOptions, lowerBatchNorm } from '../../ops/batch-norm.js';
import { poolPlanMakers } from '../../ops/pool.js';
import type { PoolPlan } from '../../pool-plan.js';
import { type AdaptiveSize, type PoolParams, resolveAdaptiveParams, resolvePoolParams } from '../../pool-shape.js';
import { GpuRuntime } from './runtime.js';
import { DeviceTensor, HostTensor } from './tensor.js';

const OPTION_KEYS = new Set(['device', 'requireAdapter', 'powerPreference', 'fallback']);

function unavailable(argument: string, reason: string): SimdconvError {
  return new SimdconvError('BACKEND_UNAVAILABLE', argument, 'a usable WebGPU device', reason);
}

export async function initWebGPU(options: InitWebGPUOptions = {}): Promise<GpuContext> {
  if (typeof options !== 'object' || options === null)
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an initWebGPU options object', describe(options));
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, `one of ${[...OPTION_KEYS].join(', ')}`, 'an unknown option');
  }
  const fallback = options.fallback ?? 'wasm';
  if (fallback !== 'wasm' && fallback !== 'none') throw new SimdconvError('INVALID_ARGUMENT', 'options.fallback', "'wasm' or 'none'", describe(fallback));

  let acquired: { device: GPUDevice; info: AdapterInfo; owned: boolean } | { reason: string };
  if (options.device !== undefined) {
    const device = options.device;
    const problem = typeof device?.createComputePipeline !== 'function' ? 'options.device is not a GPUDevice' : checkDeviceLimits(device);
    const info = problem ? null : (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    acquired = problem
      ? { reason: problem }
      : {
          device,
          owned: false,
          info: info ? describeAdapter({ info } as unknown as GPUAdapter) : { name: '', vendor: '', architecture: '', isFallbackAdapter: false },
        };
  } else {
    const a = await acquireDevice(options.powerPreference);
    acquired = a.ok ? a : { reason: a.reason };
  }

  if ('reason' in acquired) {
    if (fallback === 'none' || options.requireAdapter) throw unavailable('initWebGPU', acquired.reason);
    console.warn(`simdconv: WebGPU unavailable (${acquired.reason}); running on the wasm backend instead.`);
    const host = await createContext();
    return withOps(new WebGpuContext(null, null, false, fallback, host, acquired.reason));
  }
  const ctx = new WebGpuContext(acquired.device, acquired.info, acquired.owned, fallback, null, null);
  if (fallback === 'wasm') ctx.prepareFallback();
  return withOps(ctx);
}

/** The context with each op of GPU_OPS (src/ops/registry.ts) as a one-shot method and a `create` plan method. */
function withOps(ctx: WebGpuContext): WebGpuContext & GpuOps & GpuPoolOps & GpuLayerOps {
  type Options = ConvOptions | ConvTransposeOptions | undefined;
  const ops: Record<string, unknown> = {};
  for (const op of Object.keys(GPU_OPS) as GpuOpName[]) {
    ops[op] = async (input: Tensor | GpuTensor, weight: Tensor, bias?: Tensor | null, options?: Options) =>
      ctx.once(() => ctx.plan(op, weight, bias, options), input, options?.out);
    ops[`create${op[0]!.toUpperCase()}${op.slice(1)}`] = (weight: Tensor, bias?: Tensor | null, options?: Options) => {
      checkNoOut(options);
      return ctx.plan(op, weight, bias, options);
    };
  }
  for (const rank of [1, 2, 3] as const) {
    for (const [name, kind] of [
      ['maxPool', 'max'],
      ['avgPool', 'avg'],
      ['adaptiveAvgPool', 'adaptive-avg'],
      ['adaptiveMaxPool', 'adaptive-max'],
    ] as const) {
      const adaptive = kind === 'adaptive-max' || kind === 'adaptive-avg';
      type PoolArgs = [unknown, unknown?];
      // (options) or (outputSize, options): the params, `out` apart (plans take none), and whether to return indices.
      const resolve = (args: PoolArgs, plan: boolean) => {
        const options = (adaptive ? args[1] : args[0]) as Record<string, unknown> | undefined;
        const { out, ...rest } = typeof options === 'object' && options !== null ? options : { out: undefined };
        if (plan && out !== undefined) checkNoOut({ out });
        const o = typeof options === 'object' && options !== null ? rest : options;
        const params = adaptive ? resolveAdaptiveParams(kind, rank, args[0] as AdaptiveSize, o as never) : resolvePoolParams(kind, rank, o as never);
        return { params, out: out as Tensor | undefined };
      };
      ops[`${name}${rank}d`] = async (input: Tensor | GpuTensor, ...args: PoolArgs) => {
        const { params, out } = resolve(args, false);
        const plan = new WebGpuPoolPlan(ctx, params);
        try {
          return params.returnIndices ? await plan.runWithIndices(input, out) : await plan.run(input, out);
        } finally {
          plan.dispose();
        }
      };
      ops[`create${name[0]!.toUpperCase()}${name.slice(1)}${rank}d`] = (...args: PoolArgs) => new WebGpuPoolPlan(ctx, resolve(args, true).params);
    }
  }
  const linearPlan = (weight: Tensor, bias?: Tensor | null) => {
    const l = lowerLinear(weight);
    const conv = ctx.plan('conv1d', l.kernel, bias, { layout: 'channels-last' });
    return new ReshapedGpuPlan({ view: l.view, output: l.output, planFor: () => conv });
  };
  const batchNormPlan = (mean: Tensor, variance: Tensor, weight?: Tensor | null, bias?: Tensor | null, options?: BatchNormOptions) => {
    const bn = lowerBatchNorm(mean, variance, weight, bias, options);
    return new ReshapedGpuPlan({
      view: (shape) => bn.viewOf(shape),
      output: (shape) => [...shape],
      planFor: (view) => {
        const c = bn.convOf(view.length);
        return ctx.plan(c.op as GpuOpName, c.weight, c.bias, c.options);
      },
    });
  };
  const once = async (plan: ReshapedGpuPlan, input: Tensor | GpuTensor, out: Tensor | undefined) => {
    try {
      return await plan.run(input, out);
    } finally {
      plan.dispose();
    }
  };
  ops.createInterpolate = (options: InterpolateOptions) => {
    checkNoOut(options);
    return new WebGpuInterpolatePlan(ctx, resolveInterpolateParams(options));
  };
  ops.interpolate = async (input: Tensor | GpuTensor, options: InterpolateOptions & { out?: Tensor }) => {
    const { out, ...rest } = typeof options === 'object' && options !== null ? options : ({} as { out?: Tensor });
    const plan = new WebGpuInterpolatePlan(ctx, resolveInterpolateParams(typeof options === 'object' && options !== null ? rest : options));
    try {
      return await plan.run(input, out);
    } finally {
      plan.dispose();
    }
  };
  ops.createLinear = linearPlan;
  ops.linear = async (input: Tensor | GpuTensor, weight: Tensor, bias?: Tensor | null, options?: { out?: Tensor }) =>
    once(linearPlan(weight, bias), input, options === undefined ? undefined : linearOut(options));
  ops.createBatchNorm = (mean: Tensor, variance: Tensor, weight?: Tensor | null, bias?: Tensor | null, options?: BatchNormOptions) => {
    checkNoOut(options);
    return batchNormPlan(mean, variance, weight, bias, options);
  };
  ops.batchNorm = async (
    input: Tensor | GpuTensor,
    mean: Tensor,
    variance: Tensor,
    weight?: Tensor | null,
    bias?: Tensor | null,
    options?: BatchNormOptions & { out?: Tensor },
  ) => {
    const isObject = typeof options === 'object' && options !== null;
    const { out, ...rest } = isObject ? options : { out: undefined };
    return once(batchNormPlan(mean, variance, weight, bias, isObject ? rest : options), input, out);
  };
  return Object.assign(ctx, ops) as unknown as WebGpuContext & GpuOps & GpuPoolOps & GpuLayerOps;
}

/** What plans need from their context. */
interface PlanHost {
  readonly rt: GpuRuntime | null;
  readonly onGpuFailure: (e: unknown) => Promise<never>;
  /** True while ops should run on the device. Throws DISPOSED after destroy(). */
  gpuUsable(): boolean;
  /** After a failed GPU call: whether the device turned out to be lost (then the call is retried on the host). */
  confirmLost(e: unknown): Promise<boolean>;
  /** The host (fallback) context, or BACKEND_UNAVAILABLE. */
  hostContext(): Context;
  readonly fallback: 'wasm' | 'none';
  /** Settles once the host context is made (or failed), when one is being made. */
  hostReady(): Promise<void>;
}

export class WebGpuContext implements Omit<GpuContext, keyof GpuOps | keyof GpuPoolOps | keyof GpuLayerOps> {
  readonly rt: GpuRuntime | null;
  private lostReason: string | null;
  private destroyed = false;
  private host: Context | null;
  private hostPending: Promise<void> | null = null;
  private hostFailure: string | null = null;
  private lostSeen: Promise<void> | null = null;
  readonly onGpuFailure = (e: unknown): Promise<never> => this.failGpu(e);

  constructor(
    readonly device: GPUDevice | null,
    readonly adapterInfo: AdapterInfo | null,
    private readonly ownsDevice: boolean,
    readonly fallback: 'wasm' | 'none',
    host: Context | null,
    initialReason: string | null,
  ) {
    this.host = host;
    this.lostReason = initialReason;
    this.rt = device ? new GpuRuntime(device) : null;
    if (device) {
      this.lostSeen = device.lost.then((info) => {
        if (this.destroyed) return;
        this.markLost(`the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`);
      });
      const report = (event: Event): void => console.error(`simdconv (webgpu): ${(event as GPUUncapturedErrorEvent).error.message}`);
      if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', report);
    }
  }

  /** Where ops run: the device, else the host fallback's backend; 'none' when the device is gone and there is no fallback. */
  get backend(): GpuBackendName {
    if (this.lostReason === null) return 'webgpu';
    return this.fallback === 'none' ? 'none' : (this.host?.backend ?? 'wasm');
  }

  get fallbackReason(): string | null {
    return this.lostReason;
  }

  /** Starts creating the host context, so a lost device can fall back without waiting. */
  prepareFallback(): void {
    this.hostPending ??= createContext().then(
      (c) => {
        this.host = c;
      },
      (e: Error) => {
        this.hostFailure = e.message;
      },
    );
  }

  private markLost(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    if (this.fallback === 'wasm') {
      console.warn(`simdconv: ${reason}; running on the wasm backend from now on.`);
      this.prepareFallback();
    }
  }

  private checkAlive(): void {
    if (this.destroyed) throw new SimdconvError('DISPOSED', 'context', 'a WebGPU context that has not been destroyed', 'a destroyed context');
  }

  async hostReady(): Promise<void> {
    await this.hostPending;
  }

  gpuUsable(): boolean {
    this.checkAlive();
    return this.lostReason === null && this.rt !== null;
  }

  async confirmLost(e: unknown): Promise<boolean> {
    if (this.lostReason === null && this.lostSeen) await Promise.race([this.lostSeen, new Promise((r) => setTimeout(r, 100))]);
    if (this.lostReason === null) return false;
    if (this.fallback === 'none') throw unavailable('webgpu', `${this.lostReason} (${(e as Error)?.message ?? String(e)})`);
    await this.hostPending;
    return true;
  }

  private async failGpu(e: unknown): Promise<never> {
    this.checkAlive();
    if (await this.confirmLost(e)) {
      throw unavailable('tensor', `${this.lostReason}: a GpuTensor on the lost device cannot be read; recompute it from host data`);
    }
    throw e;
  }

  hostInterpolate(params: InterpolateParams): InterpolatePlan {
    return interpolatePlanOf(params, this.hostContext());
  }

  hostPlan(params: PoolParams): PoolPlan {
    return this.hostContext().createOpPlan(params, poolPlanMakers);
  }

  hostContext(): Context {
    if (this.fallback === 'none') throw unavailable('webgpu', this.lostReason ?? 'no device');
    if (this.host === null) {
      throw unavailable(
        'webgpu',
        `${this.lostReason}; the wasm fallback is ${this.hostFailure ? `unavailable: ${this.hostFailure}` : 'still initialising (retry after an await)'}`,
      );
    }
    return this.host;
  }

  upload(t: Tensor): GpuTensor {
    t = readTensor('tensor', t);
    if (this.gpuUsable()) return new DeviceTensor(this.rt!, this.rt!.bufferFrom('tensor', t.data), [...t.shape], this.onGpuFailure);
    return new HostTensor(this.hostContext().backend, t.data.slice(), [...t.shape]);
  }

  async synchronize(): Promise<void> {
    if (this.gpuUsable()) await this.device!.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.ownsDevice) this.device?.destroy();
  }

  /** A plan of one of the ops in GPU_OPS (src/ops/registry.ts), resolved as its kind says. */
  plan(op: GpuOpName, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions | ConvTransposeOptions | undefined): WebGpuPlan {
    this.checkAlive();
    const params =
      GPU_OPS[op] === 'transposed'
        ? resolveConvTransposeParams(op as ConvTransposeOp, weight, bias, options as ConvTransposeOptions | undefined)
        : resolveConvParams(op as ConvOp, weight, bias, options as ConvOptions | undefined);
    return new WebGpuPlan(this, params);
  }

  /**
   * One-shot op: a plan made, run once and disposed (as the wasm API), so both share every check. The op
   * functions are async, so a validation error rejects the promise rather than throwing.
   */
  async once(makePlan: () => WebGpuPlan, input: Tensor | GpuTensor, out: Tensor | undefined): Promise<Tensor> {
    if (this.lostReason !== null) await this.hostPending; // a loss just seen: let the fallback finish starting
    const plan = makePlan();
    try {
      return await plan.run(input, out);
    } finally {
      plan.dispose();
    }
  }
}

/**
 * A plan on the device, falling back to a host plan (made on demand from the same resolved params) when the
 * context has no usable device.
 */
export class WebGpuPlan implements GpuConvPlan {
  private gpu: GpuPlanLike | null = null;
  private host: ConvPlan | null = null;
  private disposed = false;
  /**
   * A non-finite weight with the host fallback on: WGSL lets a GPU assume no Inf or NaN, so the plan runs on
   * the host, whose rule is PyTorch's (README: Numerics). With fallback 'none' it runs on the GPU.
   */
  private readonly onHost: boolean;

  constructor(
    private readonly ctx: PlanHost,
    readonly params: ConvParams,
  ) {
    this.onHost = ctx.fallback === 'wasm' && nonFiniteChannels(params) !== null;
    if (ctx.gpuUsable() && !this.onHost) {
      this.gpu = params.autoPad ? new AutoPadGpuPlan(ctx.rt!, params, ctx.onGpuFailure) : new GpuKernelPlan(ctx.rt!, params, ctx.onGpuFailure);
    } else if (!this.onHost) this.hostPlan();
  }

  get info(): PlanInfo {
    return this.gpu && this.ctx.gpuUsable() ? this.gpu.info : this.hostPlan().info;
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolveConvGeometry(this.params, inputShape).outputShape];
  }

  async run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor> {
    this.checkAlive();
    const checked = checkInput(input);
    if (this.onHost) await this.ctx.hostReady();
    if (this.gpu && this.ctx.gpuUsable()) {
      try {
        return await this.gpu.run(checked instanceof HostTensor ? checked.tensor : checked, out);
      } catch (e) {
        // Destroyed while the op ran (its device's pending work aborts): DISPOSED, not the AbortError.
        this.ctx.gpuUsable();
        // A device lost mid-call: recompute on the host when the input is host data, else report it.
        // Argument errors (SimdconvError other than BACKEND_UNAVAILABLE) are rethrown at once.
        const gpuFailure = !(e instanceof SimdconvError) || e.code === 'BACKEND_UNAVAILABLE';
        if (!gpuFailure || checked instanceof DeviceTensor || !(await this.ctx.confirmLost(e))) throw e;
      }
    }
    return this.hostPlan().run(this.hostInput(checked), out);
  }

  runResident(input: Tensor | GpuTensor): GpuTensor {
    this.checkAlive();
    const checked = checkInput(input);
    if (this.gpu && this.ctx.gpuUsable()) return this.gpu.runResident(checked instanceof HostTensor ? checked.tensor : checked);
    const plan = this.hostPlan();
    const y = plan.run(this.hostInput(checked));
    return new HostTensor(plan.info.backend === 'webgpu' ? 'wasm' : plan.info.backend, y.data, y.shape);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu?.dispose();
    this.host?.dispose();
    this.gpu = null;
    this.host = null;
  }

  private checkAlive(): void {
    if (this.disposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
  }

  private hostInput(input: Tensor | DeviceTensor | HostTensor): Tensor {
    if (input instanceof HostTensor) return input.tensor;
    if (input instanceof DeviceTensor) {
      throw unavailable('input', 'a GpuTensor on a WebGPU device this context no longer uses (lost): pass host data instead');
    }
    return input;
  }

  private hostPlan(): ConvPlan {
    this.host ??= this.ctx.hostContext().createPlan(this.params, wasmAnyPlan);
    return this.host;
  }
}

function checkInput(input: Tensor | GpuTensor): Tensor | DeviceTensor | HostTensor {
  if (input instanceof DeviceTensor || input instanceof HostTensor) return input;
  return readTensor('input', input);
}
