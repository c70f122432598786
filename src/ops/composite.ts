/**
 * What the composite convolutions share: the plan interface and info, option checking, and the split of
 * 2-D stride / padding / dilation into a vertical (k, 1) stage and a horizontal (1, k) stage.
 */
import type { ChainStageInfo, ConvChain } from '../chain.js';
import { SimdconvError, describe } from '../errors.js';
import type { PlanInfo } from '../plan.js';
import { type ConvShapeParams, readTensor, resolveConvShape } from '../shape.js';
import type { Activation, ConvOptions, Layout, PaddingMode, SpatialArg, Tensor } from '../types.js';

export interface CompositePlanInfo extends PlanInfo {
  /** Which composite, e.g. 'depthwise-separable-conv2d'. */
  readonly composite: string;
  /** Each stage's own plan info, in order, with its name and whether it ran resident in wasm memory. */
  readonly stages: readonly ChainStageInfo[];
  /** Bytes of the buffers between stages for the last input shape (included in workspaceBytes). */
  readonly intermediateBytes: number;
}

/** A composite convolution plan: create once, `run` many times, `dispose`. */
export interface CompositePlan {
  /** Output shape for an input shape, by the same checks `run` makes. */
  outputShape(inputShape: readonly number[]): number[];
  /** Multiply-accumulates of one run on this input shape, all stages together. */
  macs(inputShape: readonly number[]): number;
  /** Runs every stage. Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  readonly info: CompositePlanInfo;
  /** Frees every stage's memory; the plan throws DISPOSED afterwards. Idempotent. */
  dispose(): void;
}

/** Rejects option keys a composite does not take (a `groups` given to a depthwise-separable conv, say). */
export function checkOptionKeys(options: unknown, allowed: readonly string[], what: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object or undefined', describe(options));
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, `an option of ${what} (${allowed.join(', ')})`, 'an unknown option');
    }
  }
}

/** The options of the 2-D composites that split a kernel into a vertical (kH, 1) and a horizontal (1, kW) stage. */
export interface SplitConv2dOptions {
  /** Per axis as for conv2d: the vertical stage takes axis 0 (H), the horizontal stage axis 1 (W). */
  stride?: SpatialArg;
  padding?: ConvOptions['padding'];
  dilation?: SpatialArg;
  paddingMode?: PaddingMode;
  /** After the last stage. Default 'none'. */
  outActivation?: Activation;
  layout?: Layout;
  /** Preallocated output (one-shot function only). */
  out?: Tensor;
}

/** The option keys of SplitConv2dOptions. */
export const SPLIT_CONV2D_KEYS: readonly string[] = ['stride', 'padding', 'dilation', 'paddingMode', 'outActivation', 'layout', 'out'];

/** A composite op's name and option keys, for its one-shot function and its plan. */
export interface CompositeOp {
  readonly name: string;
  readonly keys: readonly string[];
}

/** The one-shot form of a composite: checks the options, makes a plan of the rest, runs it once into `out`. */
export function runComposite<O extends { out?: Tensor }>(
  op: CompositeOp,
  input: Tensor,
  options: O | undefined,
  make: (planOptions: Omit<O, 'out'>) => CompositePlan,
): Tensor {
  checkOptionKeys(options, op.keys, op.name);
  const { out, ...planOptions } = options ?? ({} as O);
  return runOnce(make(planOptions), input, out);
}

/** Checks a composite plan's options: the op's keys but `out`. */
export function checkPlanOptions(op: CompositeOp, options: unknown): void {
  const keys = op.keys.filter((k) => k !== 'out');
  checkOptionKeys(options, keys, `a ${op.name} plan`);
}

/** A weight tensor of the right rank and no empty dimension; the argument named as the caller's. */
export function checkWeight(op: 'conv1d' | 'conv2d', argument: string, weight: unknown): Tensor {
  const w = readTensor(argument, weight);
  resolveConvShape(op, w.shape, undefined, argument);
  return w;
}

export function checkPositiveInt(argument: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new SimdconvError('INVALID_ARGUMENT', argument, 'a positive integer', describe(value));
  return value as number;
}

/** The channels of an input in a layout for a spatial rank, or null when its rank fits neither form. */
export function inputChannels(shape: readonly number[], rank: number, layout: Layout | undefined): number | null {
  if (shape.length !== rank + 1 && shape.length !== rank + 2) return null;
  if (layout === 'channels-last') return shape[shape.length - 1]!;
  return shape[shape.length === rank + 2 ? 1 : 0]!;
}

export type SeparablePadding = ConvOptions['padding'];

/**
 * Splits 2-D stride / padding / dilation between a vertical stage (axis 0, kernel (kH, 1)) and a horizontal
 * one (axis 1, kernel (1, kW)). The options are checked by the shape-only resolver on a (kH, kW) kernel, so
 * they mean what they mean for conv2d; the string forms pass through to both stages (each then pads only its
 * own axis: PyTorch's 'same' pads dilation*(k-1) on an axis, 0 for a size-1 kernel; 'same-upper' pads a size-1
 * kernel by the stride's remainder alone, as the whole kernel would on that axis).
 */
export function splitSpatial(
  kh: number,
  kw: number,
  options: { stride?: SpatialArg; padding?: SeparablePadding; dilation?: SpatialArg; paddingMode?: ConvOptions['paddingMode']; layout?: Layout },
): { vertical: ConvOptions; horizontal: ConvOptions; full: ConvShapeParams } {
  const { stride, padding, dilation, paddingMode, layout } = options;
  const full = resolveConvShape('conv2d', [1, 1, kh, kw], { stride, padding, dilation, paddingMode, layout }, 'weight');
  const common = { paddingMode: full.paddingMode, layout: full.layout };
  const [sh, sw] = full.stride as [number, number];
  const [dh, dw] = full.dilation as [number, number];
  const named = typeof padding === 'string';
  const [[t, l], [b, r]] = [full.padBefore, full.padAfter] as [number[], number[]];
  return {
    vertical: {
      ...common,
      stride: [sh, 1],
      dilation: [dh, 1],
      padding: named
        ? padding
        : [
            [t!, b!],
            [0, 0],
          ],
    },
    horizontal: {
      ...common,
      stride: [1, sw],
      dilation: [1, dw],
      padding: named
        ? padding
        : [
            [0, 0],
            [l!, r!],
          ],
    },
    full,
  };
}

/** A composite plan over a chain of convolutions (src/chain.ts). */
export class ChainCompositePlan implements CompositePlan {
  constructor(
    readonly composite: string,
    private readonly chain: ConvChain,
  ) {}

  outputShape(inputShape: readonly number[]): number[] {
    return this.chain.outputShape(inputShape);
  }

  macs(inputShape: readonly number[]): number {
    return this.chain.geometries(inputShape).reduce((sum, g) => sum + g.macs, 0);
  }

  run(input: Tensor, out?: Tensor): Tensor {
    return this.chain.run(input, out);
  }

  get info(): CompositePlanInfo {
    const c = this.chain.info;
    const resident = c.stages.every((s) => s.resident);
    const where = c.backend === 'wasm' ? (resident ? 'intermediates in wasm memory' : 'some intermediates copied through JS') : 'intermediates in JS arrays';
    return {
      backend: c.backend,
      path: 'composite',
      name: this.composite,
      flags: {},
      kernel: `${this.composite}: ${c.stages.map((s) => `${s.name} [${s.kernel}]`).join(' -> ')} (${where})`,
      weightBytes: c.stages.reduce((sum, s) => sum + s.weightBytes, 0),
      workspaceBytes: c.stages.reduce((sum, s) => sum + s.workspaceBytes, 0) + c.intermediateBytes,
      composite: this.composite,
      stages: c.stages,
      intermediateBytes: c.intermediateBytes,
    };
  }

  dispose(): void {
    this.chain.dispose();
  }
}

/** Runs a plan once on `input` (into `out` when given) and disposes it: the one-shot form of every composite. */
export function runOnce(plan: CompositePlan, input: Tensor, out: Tensor | undefined): Tensor {
  try {
    return plan.run(input, out);
  } finally {
    plan.dispose();
  }
}
