/**
 * F.linear: y = x W^T + b over the last axis, on the GEMM microkernels. An input (*, in) is, in the same
 * memory, one channels-last row of M = prod(*) pixels with `in` channels, and the weight (out, in) is a 1-wide
 * conv1d kernel (out, in, 1): the conv plan's 1x1 channels-last path reads the rows in place as the GEMM's A
 * operand (M x in times in x out). Nothing is copied.
 */
import { type Context, getContext } from '../context.js';
import { wasmConvPlan } from '../backends/wasm/select.js';
import { SimdconvError, describe } from '../errors.js';
import { reshapedOut } from './reshaped.js';
import type { ConvPlan } from '../plan.js';
import { checkShapeArg, readTensor, resolveConvParams, shapeSize } from '../shape.js';
import type { Tensor } from '../types.js';

export interface LinearPlan {
  /** in_features and out_features (weight (out, in)). */
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** (*, in) -> (*, out). */
  outputShape(inputShape: readonly number[]): number[];
  /** Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  /** The GEMM plan's info (the 1x1 channels-last path). */
  readonly info: ConvPlan['info'];
  dispose(): void;
}

/** What linear runs, for any backend: a 1-wide channels-last conv1d over a (1, M, in) view of the input. */
export interface LinearLowering {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The weight as a conv1d kernel (out, in, 1), same memory. */
  readonly kernel: Tensor;
  /** (*, in) -> (1, M, in), checked. */
  view(shape: readonly number[]): number[];
  /** (*, in) -> (*, out). */
  output(shape: readonly number[]): number[];
}

export function lowerLinear(weight: Tensor): LinearLowering {
  const w = readTensor('weight', weight);
  if (w.shape.length !== 2) {
    throw new SimdconvError('INVALID_RANK', 'weight', '2 dimensions (out_features, in_features)', `shape [${w.shape.join(', ')}]`);
  }
  const [outFeatures, inFeatures] = w.shape as [number, number];
  return {
    inFeatures,
    outFeatures,
    kernel: { data: w.data, shape: [outFeatures, inFeatures, 1] },
    view(shape) {
      if (shape.length < 1) throw new SimdconvError('INVALID_RANK', 'input', '1 or more dimensions (*, in_features)', 'shape []');
      const last = shape[shape.length - 1];
      if (last !== inFeatures) {
        throw new SimdconvError('CHANNEL_MISMATCH', `input.shape[${shape.length - 1}]`, `${inFeatures} (weight.shape[1], in_features)`, String(last));
      }
      const rows = shapeSize(shape.slice(0, -1));
      if (rows === 0 || last === 0) throw new SimdconvError('EMPTY_OUTPUT', 'input.shape', 'no zero-sized dimension', `[${shape.join(', ')}]`);
      return [1, rows, inFeatures];
    },
    output: (shape) => [...shape.slice(0, -1), outFeatures],
  };
}

class Linear implements LinearPlan {
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly lowering: LinearLowering;
  private readonly plan: ConvPlan;

  constructor(weight: Tensor, bias: Tensor | null | undefined, context: Context | undefined) {
    this.lowering = lowerLinear(weight);
    ({ inFeatures: this.inFeatures, outFeatures: this.outFeatures } = this.lowering);
    this.plan = (context ?? getContext()).createPlan(resolveConvParams('conv1d', this.lowering.kernel, bias, { layout: 'channels-last' }), wasmConvPlan);
  }

  get info(): ConvPlan['info'] {
    return this.plan.info;
  }

  outputShape(inputShape: readonly number[]): number[] {
    checkShapeArg('inputShape', inputShape);
    this.lowering.view(inputShape);
    return this.lowering.output(inputShape);
  }

  run(input: Tensor, out?: Tensor): Tensor {
    const x = readTensor('input', input);
    const view = this.lowering.view(x.shape);
    const shape = this.lowering.output(x.shape);
    const target = out === undefined ? undefined : reshapedOut(out, shape, [1, view[1]!, this.outFeatures]);
    const y = this.plan.run({ data: x.data, shape: view }, target);
    return out ?? { data: y.data, shape };
  }

  dispose(): void {
    this.plan.dispose();
  }
}

/** F.linear(input, weight, bias): input (*, in), weight (out, in), bias (out) or null; output (*, out). */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: { out?: Tensor }): Tensor {
  const out = options === undefined ? undefined : linearOut(options);
  const plan = new Linear(weight, bias, undefined);
  try {
    return plan.run(input, out);
  } finally {
    plan.dispose();
  }
}

/** linear's one-shot options ({ out? }), checked. */
export function linearOut(options: unknown): Tensor | undefined {
  if (typeof options !== 'object' || options === null) throw new SimdconvError('INVALID_ARGUMENT', 'options', 'an options object { out? }', describe(options));
  for (const key of Object.keys(options)) {
    if (key !== 'out') throw new SimdconvError('INVALID_ARGUMENT', `options.${key}`, "the option 'out'", 'an unknown option');
  }
  return (options as { out?: Tensor }).out;
}

/** A linear layer's plan: the weight packed once, then `run(input, out?)` for any leading shape. */
export function createLinear(weight: Tensor, bias?: Tensor | null, context?: Context): LinearPlan {
  return new Linear(weight, bias, context);
}

// Single-op entry points carry init too, so one import is enough.
export { init } from '../context.js';
