/**
 * A plan that picks its kernel path per input shape, among plans it makes when a shape first picks them (their
 * packed weights then stay until dispose, so a plan run on one shape holds one set). Used where the best path
 * depends on the image size, not only on the parameters: the default path's tap split (taps-conv-plan.ts) and
 * `algorithm: 'fast'` (Winograd or the default path, winograd-conv-plan.ts winogradCostRatio). The choice
 * depends on the shape alone: the same shape always runs the same kernels. The weights and bias are copied
 * when the plan is made (until every path has its plan), so that a path made later packs the weights as they
 * were then, as every plan does.
 */
import type { PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, readTensor, resolveConvGeometry } from '../../shape.js';
import { SimdconvError } from '../../errors.js';
import type { Tensor } from '../../types.js';
import type { ResidentPlan } from './resident.js';
import type { WasmRuntime } from './runtime.js';

/** The paths a choice plan can take: a maker for each, by name. */
export type PathMakers<K extends string> = Record<K, (rt: WasmRuntime, params: ConvParams) => ResidentPlan>;

export class WasmChoicePlan<K extends string> implements ResidentPlan {
  private readonly plans = new Map<K, ResidentPlan>();
  /** The parameters with the weights and bias as given, until every path has its plan. */
  private snapshot: ConvParams | null;
  /** The last input shape and the plan it chose (compared element by element: a seen shape allocates nothing). */
  private last: { shape: readonly number[]; plan: ResidentPlan } | null = null;
  private disposed = false;

  /**
   * `choose` names the path for a shape's geometry; `first` is the path whose info a plan shows before any run.
   * `ownsWeights`: the parameters' weights are already this plan's own (another choice plan's copy), not copied.
   */
  constructor(
    private readonly rt: WasmRuntime,
    readonly params: ConvParams,
    private readonly makers: PathMakers<K>,
    private readonly choose: (g: ConvGeometry) => K,
    private readonly first: K,
    ownsWeights = false,
  ) {
    const { weight, bias } = params;
    this.snapshot = ownsWeights ? params : { ...params, weight: { data: weight.data.slice(), shape: [...weight.shape] }, bias: bias?.slice() ?? null };
  }

  private planOf(path: K): ResidentPlan {
    let plan = this.plans.get(path);
    if (!plan) {
      this.plans.set(path, (plan = this.makers[path](this.rt, this.snapshot!)));
      if (this.plans.size === Object.keys(this.makers).length) this.snapshot = null;
    }
    return plan;
  }

  private planFor(shape: readonly number[]): ResidentPlan {
    if (this.disposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
    const last = this.last;
    if (last && last.shape.length === shape.length && last.shape.every((d, i) => d === shape[i])) return last.plan;
    // Throws the shape's own SimdconvError, as the inner plans would.
    const plan = this.planOf(this.choose(resolveConvGeometry(this.params, shape)));
    this.last = { shape: [...shape], plan };
    return plan;
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolveConvGeometry(this.params, inputShape).outputShape];
  }

  run(input: Tensor, out?: Tensor): Tensor {
    // The shape read here picks the plan; the plan checks the tensor itself (a tensor whose shape changed
    // between the two reads would run on a plan chosen for another shape: still correct).
    return this.planFor(readTensor('input', input).shape).run(input, out);
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    return this.planFor(inputShape).runResident(inputShape, src, dst);
  }

  /** The last shape's plan's info (before any run: the first path's), with the weights of every plan held. */
  get info(): PlanInfo {
    let plan = this.last?.plan ?? this.plans.values().next().value;
    if (!plan) {
      if (this.disposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
      plan = this.planOf(this.first);
    }
    let weightBytes = 0;
    for (const p of this.plans.values()) weightBytes += p.info.weightBytes;
    return { ...plan.info, weightBytes };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The inner plans stay referenced (disposed) for `info`; a run throws DISPOSED (planFor).
    for (const plan of this.plans.values()) plan.dispose();
    this.snapshot = null;
  }
}
