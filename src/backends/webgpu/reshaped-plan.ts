/**
 * linear and batchNorm on WebGPU: convolution plans (context.ts WebGpuPlan, with their host fallback) over a
 * reshaped view of the input, as the wasm ops run them (src/ops/linear.ts, src/ops/batch-norm.ts).
 */
import type { PlanInfo } from '../../plan.js';
import { checkShapeArg, readTensor } from '../../shape.js';
import type { Tensor } from '../../types.js';
import { reshapedOut } from '../../ops/reshaped.js';
import type { GpuConvPlan, GpuTensor } from './api.js';
import { DeviceTensor, HostTensor } from './tensor.js';

export interface GpuReshapedPlan {
  readonly info: PlanInfo;
  outputShape(inputShape: readonly number[]): number[];
  run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor>;
  runResident(input: Tensor | GpuTensor): GpuTensor;
  dispose(): void;
}

/** How an op maps onto a convolution: the view of an input shape, its output shape, the plan for a view. */
export interface Reshaping {
  view(shape: readonly number[]): number[];
  output(shape: readonly number[]): number[];
  planFor(view: readonly number[]): GpuConvPlan;
}

export class ReshapedGpuPlan implements GpuReshapedPlan {
  private readonly plans = new Map<number, GpuConvPlan>();
  private last: GpuConvPlan | null = null;

  constructor(private readonly r: Reshaping) {}

  get info(): PlanInfo {
    return (this.last ?? this.planOf([1, 1, 1])).info;
  }

  outputShape(inputShape: readonly number[]): number[] {
    checkShapeArg('inputShape', inputShape);
    this.r.view(inputShape);
    return this.r.output(inputShape);
  }

  async run(input: Tensor | GpuTensor, out?: Tensor): Promise<Tensor> {
    const { x, view, shape } = this.viewed(input);
    const plan = this.planOf(view);
    const target = out === undefined ? undefined : reshapedOut(out, shape, plan.outputShape(view));
    const y = await plan.run(x, target);
    return out ?? { data: y.data, shape };
  }

  runResident(input: Tensor | GpuTensor): GpuTensor {
    const { x, view, shape } = this.viewed(input);
    const y = this.planOf(view).runResident(x);
    return y instanceof DeviceTensor || y instanceof HostTensor ? y.reshaped(shape) : y;
  }

  dispose(): void {
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
  }

  /** The input read once, as a view of the convolution's input shape, and the op's output shape. */
  private viewed(input: Tensor | GpuTensor): { x: Tensor | GpuTensor; view: number[]; shape: number[] } {
    const checked = input instanceof DeviceTensor || input instanceof HostTensor ? input : readTensor('input', input);
    const view = this.r.view(checked.shape);
    const shape = this.r.output(checked.shape);
    const x = checked instanceof DeviceTensor || checked instanceof HostTensor ? checked.reshaped(view) : { data: checked.data, shape: view };
    return { x, view, shape };
  }

  private planOf(view: readonly number[]): GpuConvPlan {
    let plan = this.plans.get(view.length);
    if (!plan) this.plans.set(view.length, (plan = this.r.planFor(view)));
    return (this.last = plan);
  }
}
