/**
 * F.interpolate: nearest, nearest-exact, linear, bilinear, bicubic, trilinear (separable tap tables over the
 * wasm kernels of assembly/interpolate.ts, or the js backend) and area (adaptive average pooling to the output
 * size), PyTorch 1.13's rules (src/interpolate-shape.ts). `interpolate(x, { scaleFactor: 2 })` or `{ size }`.
 */
import { type Context, type OpPlanMakers, getContext } from '../context.js';
import { WasmInterpolatePlan } from '../backends/wasm/interpolate-plan.js';
import { SimdconvError, describe } from '../errors.js';
import { type InterpolatePlan, InterpolatePlanBase, type InterpolatePlanInfo, interpolateForward } from '../interpolate-plan.js';
import {
  type InterpolateGeometry,
  type InterpolateOptions,
  type InterpolateParams,
  resolveInterpolateGeometry,
  resolveInterpolateParams,
} from '../interpolate-shape.js';
import type { PoolPlan } from '../pool-plan.js';
import { resolveAdaptiveParams } from '../pool-shape.js';
import { checkShapeArg, readTensor } from '../shape.js';
import type { Tensor } from '../types.js';
import { poolPlanMakers } from './pool.js';

export type { InterpolateMode, InterpolateOptions } from '../interpolate-shape.js';
export type { InterpolatePlan, InterpolatePlanInfo } from '../interpolate-plan.js';

/** The js backend's interpolation: interpolate-plan.ts's loops. */
class JsInterpolatePlan extends InterpolatePlanBase<null> {
  readonly info: InterpolatePlanInfo = { backend: 'js', kernel: 'interpolate-reference', workspaceBytes: 0, threads: 1 };
  protected prepare(): null {
    return null;
  }
  protected releasePrepared(): void {}
  protected releaseHeld(): void {}
  protected execute(g: InterpolateGeometry, _p: null, input: Float32Array, out: Float32Array): void {
    interpolateForward(g, input, out);
  }
}

/** 'area': adaptive average pooling to each input's output size (a pooling plan per size, the last few kept). */
class AreaPlan implements InterpolatePlan {
  private readonly pools = new Map<string, PoolPlan>();
  private last: PoolPlan | null = null;

  constructor(
    readonly params: InterpolateParams,
    private readonly context: Context,
  ) {}

  get info(): InterpolatePlanInfo {
    const i = this.last?.info;
    return {
      backend: i?.backend ?? (this.context.backend === 'js' ? 'js' : 'wasm'),
      kernel: `area: ${i?.kernel ?? 'adaptive average pooling'}`,
      workspaceBytes: i?.workspaceBytes ?? 0,
      threads: i?.threads ?? 1,
    };
  }

  outputShape(inputShape: readonly number[]): number[] {
    checkShapeArg('inputShape', inputShape);
    return [...resolveInterpolateGeometry(this.params, inputShape).outputShape];
  }

  run(input: Tensor, out?: Tensor): Tensor {
    const x = readTensor('input', input);
    const g = resolveInterpolateGeometry(this.params, x.shape);
    const key = g.outSize.join(',');
    let plan = this.pools.get(key);
    if (!plan) {
      plan = this.context.createOpPlan(resolveAdaptiveParams('adaptive-avg', g.rank, g.outSize, { layout: this.params.layout }), poolPlanMakers);
      this.pools.set(key, plan);
      if (this.pools.size > 4) {
        const [oldKey, old] = this.pools.entries().next().value as [string, PoolPlan];
        this.pools.delete(oldKey);
        old.dispose();
      }
    }
    this.last = plan;
    return plan.run(x, out);
  }

  dispose(): void {
    for (const p of this.pools.values()) p.dispose();
    this.pools.clear();
  }
}

const makers: OpPlanMakers<InterpolateParams, InterpolatePlan> = { wasm: (rt, p) => new WasmInterpolatePlan(rt, p), js: (p) => new JsInterpolatePlan(p) };

/** An interpolation plan: options checked once; `run(input, out?)` for any input the mode takes. */
export function createInterpolate(options: InterpolateOptions, context?: Context): InterpolatePlan {
  if (typeof options === 'object' && options !== null && (options as { out?: unknown }).out !== undefined) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.out', "no 'out' for a plan (pass it to plan.run(input, out))", 'an out tensor');
  }
  return interpolatePlanOf(resolveInterpolateParams(options), context ?? getContext());
}

/** The plan of resolved parameters on a context (the WebGPU context's host fallback too). */
export function interpolatePlanOf(params: InterpolateParams, context: Context): InterpolatePlan {
  return params.mode === 'area' ? new AreaPlan(params, context) : context.createOpPlan(params, makers);
}

/** F.interpolate(input, size | scale_factor, mode, align_corners), input (N, C, *spatial) with 1 to 3 spatial axes. */
export function interpolate(input: Tensor, options: InterpolateOptions & { out?: Tensor }): Tensor {
  if (typeof options !== 'object' || options === null)
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object with size or scaleFactor', describe(options));
  const { out, ...rest } = options;
  const plan = createInterpolate(rest);
  try {
    return plan.run(input, out);
  } finally {
    plan.dispose();
  }
}

// Single-op entry points carry init too, so one import is enough.
export { init } from '../context.js';
