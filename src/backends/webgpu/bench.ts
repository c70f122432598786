/**
 * Benchmark hook for bench/run.mjs (`--backend webgpu`): times one layer on a GpuContext, separating
 * upload (host -> GPU buffer), compute (dispatches on a resident input until queue.onSubmittedWorkDone)
 * and readback (copy, mapAsync, copy out), plus the end-to-end `plan.run(hostInput)`. Medians over
 * `iterations` after `warmup` runs (the first run compiles the pipeline).
 */
import { type AnyConvOp, resolveConvGeometry } from '../../shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../../types.js';
import type { AdapterInfo, GpuBackendName, GpuContext, GpuConvPlan } from './api.js';

export interface GpuBenchOptions {
  /** Untimed runs first (pipeline compilation, allocation). Default 2. */
  warmup?: number;
  /** Timed runs; each figure is the median. Default 10. */
  iterations?: number;
}

export interface GpuBenchResult {
  readonly backend: GpuBackendName;
  readonly adapter: AdapterInfo | null;
  readonly kernel: string;
  readonly macs: number;
  /** Host input to a GPU buffer, until the queue is idle. 0 when the context runs on its fallback. */
  readonly uploadMs: number;
  /** The convolution's dispatches on a GPU-resident input, until queue.onSubmittedWorkDone. */
  readonly computeMs: number;
  /** Output buffer back to host memory (copy, mapAsync, copy out). 0 on the fallback. */
  readonly readbackMs: number;
  /** `await plan.run(hostInput)`: upload + compute + readback as a user sees it. */
  readonly endToEndMs: number;
  readonly computeGflops: number;
  readonly endToEndGflops: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function createPlan(ctx: GpuContext, op: AnyConvOp, weight: Tensor, bias: Tensor | null, options: ConvOptions | ConvTransposeOptions): GpuConvPlan {
  const { out: _out, ...planOptions } = options as ConvOptions;
  switch (op) {
    case 'conv1d':
      return ctx.createConv1d(weight, bias, planOptions);
    case 'conv2d':
      return ctx.createConv2d(weight, bias, planOptions);
    case 'conv3d':
      return ctx.createConv3d(weight, bias, planOptions);
    case 'convTranspose1d':
      return ctx.createConvTranspose1d(weight, bias, planOptions as ConvTransposeOptions);
    case 'convTranspose2d':
      return ctx.createConvTranspose2d(weight, bias, planOptions as ConvTransposeOptions);
    case 'convTranspose3d':
      return ctx.createConvTranspose3d(weight, bias, planOptions as ConvTransposeOptions);
  }
}

export async function benchGpuConv(
  ctx: GpuContext,
  op: AnyConvOp,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: ConvOptions | ConvTransposeOptions = {},
  { warmup = 2, iterations = 10 }: GpuBenchOptions = {},
): Promise<GpuBenchResult> {
  const plan = createPlan(ctx, op, weight, bias, options);
  try {
    const macs = resolveConvGeometry(plan.params, input.shape).macs;
    const upload: number[] = [];
    const compute: number[] = [];
    const readback: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const timed = i >= warmup;
      let t = performance.now();
      await plan.run(input);
      if (timed) endToEnd.push(performance.now() - t);
      if (ctx.backend !== 'webgpu') continue;
      t = performance.now();
      const x = ctx.upload(input);
      await ctx.synchronize();
      if (timed) upload.push(performance.now() - t);
      t = performance.now();
      const y = plan.runResident(x);
      await ctx.synchronize();
      if (timed) compute.push(performance.now() - t);
      t = performance.now();
      await y.read();
      if (timed) readback.push(performance.now() - t);
      x.dispose();
      y.dispose();
    }
    const e2e = median(endToEnd);
    const computeMs = compute.length ? median(compute) : e2e;
    return {
      backend: ctx.backend,
      adapter: ctx.adapterInfo,
      kernel: plan.info.kernel,
      macs,
      uploadMs: upload.length ? median(upload) : 0,
      computeMs,
      readbackMs: readback.length ? median(readback) : 0,
      endToEndMs: e2e,
      computeGflops: (2 * macs) / (computeMs * 1e6),
      endToEndGflops: (2 * macs) / (e2e * 1e6),
    };
  } finally {
    plan.dispose();
  }
}
