/**
 * Chains: convolutions run back to back, each stage reading the previous stage's output. The composites
 * (src/ops/depthwise-separable.ts, spatially-separable.ts, flattened.ts) are chains. A context makes them
 * (`Context.createChain`) so that each backend keeps the intermediates where its kernels can read them: the
 * wasm backend in wasm memory (src/backends/wasm/chain.ts: only the chain's input and final output cross
 * to JS), the js backend in plain Float32Arrays (`HostChain`).
 *
 * Like a plan, a chain checks every stage's geometry for an input shape once (before running anything),
 * sizes its buffers for it, and re-sizes only when the shape changes.
 */
import { SimdconvError } from './errors.js';
import { type ConvPlan, type PlanInfo, ShapeCached } from './plan.js';
import { type ConvGeometry, type ConvParams, resolveConvGeometry, shapeSize } from './shape.js';
import type { Tensor } from './types.js';

export interface ChainStage {
  /** Shown in `info.stages` and used for nothing else, e.g. 'depthwise'. */
  readonly name: string;
  readonly params: ConvParams;
  /**
   * Renames error arguments raised by this stage's shape checks, by prefix: `{ weight: 'rowWeight' }` turns
   * 'weight.shape' into 'rowWeight.shape'. The composites use it so an error names the caller's argument.
   */
  readonly rename?: Readonly<Record<string, string>>;
}

export interface ChainStageInfo extends PlanInfo {
  readonly name: string;
  /** True where the stage ran from/to buffers in the backend's memory (no copy through JS). */
  readonly resident: boolean;
}

export interface ChainInfo {
  readonly backend: PlanInfo['backend'];
  readonly stages: readonly ChainStageInfo[];
  /** Bytes of the buffers between stages (and, on wasm, the staging of the input and output) for the last input shape. */
  readonly intermediateBytes: number;
}

export interface ConvChain {
  readonly stages: readonly ChainStage[];
  /** Every stage's geometry for an input shape (throws, with renamed arguments, before anything runs). */
  geometries(inputShape: readonly number[]): ConvGeometry[];
  outputShape(inputShape: readonly number[]): number[];
  /** Runs every stage. Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  readonly info: ChainInfo;
  /** Frees every stage's plan and the intermediates; the chain throws DISPOSED afterwards. Idempotent. */
  dispose(): void;
}

/** A copy of a SimdconvError with its argument renamed by the first matching prefix of `rename`. */
export function renameArgument(error: unknown, rename: Readonly<Record<string, string>> | undefined): unknown {
  if (!(error instanceof SimdconvError) || rename === undefined) return error;
  for (const [from, to] of Object.entries(rename)) {
    const a = error.argument;
    if (a === from || a.startsWith(`${from}.`) || a.startsWith(`${from}[`)) {
      return new SimdconvError(error.code, to + a.slice(from.length), error.expected, error.received);
    }
  }
  return error;
}

/** Runs `f`, rethrowing a SimdconvError with its argument renamed. */
export function withRenamed<T>(rename: Readonly<Record<string, string>> | undefined, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw renameArgument(e, rename);
  }
}

/** Checks that consecutive stages fit together (the composites check this first, with better names). */
export function checkStages(stages: readonly ChainStage[]): void {
  if (stages.length === 0) throw new SimdconvError('INVALID_ARGUMENT', 'stages', 'at least one stage', 'none');
  for (let i = 1; i < stages.length; i++) {
    const a = stages[i - 1]!.params;
    const b = stages[i]!.params;
    if (a.rank !== b.rank || a.layout !== b.layout || b.inChannels !== a.outChannels) {
      throw new SimdconvError(
        'CHANNEL_MISMATCH',
        `stages[${i}]`,
        `a stage of the same rank and layout reading ${a.outChannels} channels (stage ${i - 1}'s output)`,
        `rank ${b.rank}, ${b.layout}, ${b.inChannels} input channels`,
      );
    }
  }
}

/** Shape checks and per-input-shape caching shared by the backends' chains (plan.ts ShapeCached). */
export abstract class ChainBase<Prepared> extends ShapeCached<ConvGeometry[], Prepared> implements ConvChain {
  constructor(
    readonly stages: readonly ChainStage[],
    protected readonly plans: readonly ConvPlan[],
  ) {
    super();
  }

  abstract readonly info: ChainInfo;

  geometries(inputShape: readonly number[]): ConvGeometry[] {
    const result: ConvGeometry[] = [];
    let shape = inputShape;
    for (const stage of this.stages) {
      const g = withRenamed(stage.rename, () => resolveConvGeometry(stage.params, shape));
      result.push(g);
      shape = g.outputShape;
    }
    return result;
  }

  protected resolve(shape: readonly number[]): ConvGeometry[] {
    return this.geometries(shape);
  }

  protected outputOf(geometries: ConvGeometry[]): ConvGeometry {
    return geometries.at(-1)!;
  }

  protected releaseHeld(): void {
    for (const plan of this.plans) plan.dispose();
  }
}

/**
 * The plain chain: each stage's plan runs on JS arrays (the js backend; also correct for any backend, at the
 * cost of copying every intermediate out and back in).
 */
export class HostChain extends ChainBase<Float32Array[]> {
  constructor(stages: readonly ChainStage[], createPlan: (params: ConvParams) => ConvPlan) {
    checkStages(stages);
    const plans: ConvPlan[] = [];
    try {
      for (const s of stages) plans.push(createPlan(s.params));
    } catch (e) {
      for (const p of plans) p.dispose();
      throw e;
    }
    super(stages, plans);
  }

  get info(): ChainInfo {
    const between = this.lastGeometry?.slice(0, -1) ?? [];
    return {
      backend: this.plans[0]!.info.backend,
      stages: this.plans.map((p, i) => ({ ...p.info, name: this.stages[i]!.name, resident: false })),
      intermediateBytes: between.reduce((sum, g) => sum + shapeSize(g.outputShape) * 4, 0),
    };
  }

  protected prepare(geometries: readonly ConvGeometry[]): Float32Array[] {
    return geometries.slice(0, -1).map((g) => new Float32Array(shapeSize(g.outputShape)));
  }

  protected releasePrepared(): void {}

  protected execute(geometries: readonly ConvGeometry[], buffers: Float32Array[], input: Float32Array, out: Float32Array): void {
    let x: Tensor = { data: input, shape: geometries[0]!.inputShape };
    geometries.forEach((g, i) => {
      const y: Tensor = { data: i === geometries.length - 1 ? out : buffers[i]!, shape: g.outputShape };
      this.plans[i]!.run(x, y);
      x = y;
    });
  }
}
