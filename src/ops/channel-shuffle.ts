/**
 * Channel shuffle (ShuffleNet, Zhang et al. 2017) and the grouped convolution followed by it.
 *
 * channelShuffle has torch.nn.functional.channel_shuffle's semantics: (N, g*c, *) is viewed as
 * (N, g, c, *), the two group axes are transposed and the result flattened back, so output channel
 * j = ci*g + gi holds input channel gi*c + ci. With layout 'channels-last' the channel axis is the last one.
 */
import type { KernelInfo } from '../plan.js';
import { wasmConvPlan } from '../backends/wasm/select.js';
import { type Context, getContext } from '../context.js';
import { SimdconvError, describe } from '../errors.js';
import type { ConvPlan } from '../plan.js';
import { allIndices, checkWritable, overlaps, readTensor, resolveConvGeometry, resolveConvParams, shapeSize } from '../shape.js';
import type { ConvOptions, Layout, Tensor } from '../types.js';
import { type CompositePlan, type CompositePlanInfo, checkOptionKeys, checkPlanOptions, runComposite } from './composite.js';

export interface ChannelShuffleOptions {
  /** Where the channel axis is: 1 ('channels-first', default, as torch) or last ('channels-last'). */
  layout?: Layout;
  /** Preallocated output of the input's shape, not overlapping it. */
  out?: Tensor;
}

/**
 * Permutes channels: out[.., ci*g + gi, ..] = in[.., gi*c + ci, ..] for `outer` blocks of `channels`
 * channels of `inner` contiguous values each. Shared by channelShuffle and shuffledGroupConv2d.
 */
export function shuffleChannels(src: Float32Array, dst: Float32Array, outer: number, channels: number, inner: number, groups: number): void {
  const c = channels / groups;
  if (inner >= 16) {
    for (let n = 0; n < outer; n++) {
      const base = n * channels * inner;
      for (let j = 0; j < channels; j++) {
        const from = base + ((j % groups) * c + Math.floor(j / groups)) * inner;
        dst.set(src.subarray(from, from + inner), base + j * inner);
      }
    }
    return;
  }
  const source = new Int32Array(channels);
  for (let j = 0; j < channels; j++) source[j] = (j % groups) * c + Math.floor(j / groups);
  for (let n = 0; n < outer; n++) {
    const base = n * channels * inner;
    for (let j = 0; j < channels; j++) {
      const to = base + j * inner;
      const from = base + source[j]! * inner;
      for (let t = 0; t < inner; t++) dst[to + t] = src[from + t]!;
    }
  }
}

function checkGroups(groups: unknown, channels: number, argument: string, axis: number): number {
  if (!Number.isInteger(groups) || (groups as number) < 1) throw new SimdconvError('INVALID_GROUPS', argument, 'a positive integer', describe(groups));
  const g = groups as number;
  if (channels % g !== 0) throw new SimdconvError('INVALID_GROUPS', argument, `a divisor of the channels (shape[${axis}] = ${channels})`, String(g));
  return g;
}

function checkShuffleOut(rawOut: unknown, shape: readonly number[], input: Tensor): Tensor {
  const out = readTensor('options.out', rawOut);
  if (out.shape.length !== shape.length || !allIndices(out.shape, (d, i) => d === shape[i])) {
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out.shape', `[${shape.join(', ')}]`, `[${out.shape.join(', ')}]`);
  }
  checkWritable('options.out.data', out.data);
  if (overlaps(out.data, input.data))
    throw new SimdconvError('OUTPUT_MISMATCH', 'options.out', 'a buffer that does not overlap the input', 'a view overlapping input.data');
  return out;
}

/** torch.nn.functional.channel_shuffle: input (N, C, *) (or (N, *, C) channels-last), at least 3 dimensions. */
export function channelShuffle(input: Tensor, groups: number, options?: ChannelShuffleOptions): Tensor {
  input = readTensor('input', input);
  checkOptionKeys(options, ['layout', 'out'], 'channelShuffle');
  const layout = options?.layout ?? 'channels-first';
  if (layout !== 'channels-first' && layout !== 'channels-last') {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.layout', "'channels-first' or 'channels-last'", describe(layout));
  }
  const shape = input.shape;
  if (shape.length < 3) {
    const form = layout === 'channels-first' ? '(N, C, *)' : '(N, *, C)';
    throw new SimdconvError('INVALID_RANK', 'input', `at least 3 dimensions ${form} (as torch.nn.functional.channel_shuffle)`, `shape [${shape.join(', ')}]`);
  }
  const axis = layout === 'channels-first' ? 1 : shape.length - 1;
  const channels = shape[axis]!;
  const g = checkGroups(groups, channels, 'groups', axis);
  const out = options?.out;
  const target = out === undefined ? { data: new Float32Array(input.data.length), shape: [...shape] } : checkShuffleOut(out, shape, input);
  if (input.data.length > 0) shuffleChannels(input.data, target.data, shapeSize(shape.slice(0, axis)), channels, shapeSize(shape.slice(axis + 1)), g);
  return out ?? target;
}

export type ShuffledGroupConvOptions = ConvOptions & { groups: number };
export type ShuffledGroupConvPlanOptions = Omit<ShuffledGroupConvOptions, 'out'>;

const NAME = 'shuffled-group-conv2d';
const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups', 'paddingMode', 'activation', 'layout', 'out'];

/** Grouped conv2d then channel shuffle over the same groups; the shuffle is a copy on the host. */
class ShuffledGroupConvPlan implements CompositePlan {
  private scratch = new Float32Array(0);

  constructor(private readonly plan: ConvPlan) {}

  outputShape(inputShape: readonly number[]): number[] {
    return this.plan.outputShape(inputShape);
  }

  macs(inputShape: readonly number[]): number {
    return resolveConvGeometry(this.plan.params, inputShape).macs;
  }

  run(input: Tensor, out?: Tensor): Tensor {
    input = readTensor('input', input);
    const shape = this.plan.outputShape(input.shape);
    const target = out === undefined ? { data: new Float32Array(shapeSize(shape)), shape } : checkShuffleOut(out, shape, input);
    if (this.scratch.length !== target.data.length) this.scratch = new Float32Array(target.data.length);
    this.plan.run(input, { data: this.scratch, shape });
    const p = this.plan.params;
    const batched = shape.length === p.rank + 2;
    const axis = p.layout === 'channels-first' ? (batched ? 1 : 0) : shape.length - 1;
    shuffleChannels(this.scratch, target.data, shapeSize(shape.slice(0, axis)), p.outChannels, shapeSize(shape.slice(axis + 1)), p.groups);
    return out ?? target;
  }

  get info(): CompositePlanInfo {
    const conv = this.plan.info;
    const bytes = this.scratch.length * 4;
    const kernel: KernelInfo = { path: 'channel-shuffle', name: 'channel-shuffle', flags: { groups: this.plan.params.groups } };
    const shuffle = {
      backend: conv.backend,
      ...kernel,
      kernel: `channel-shuffle (${kernel.flags.groups} groups, host copy)`,
      weightBytes: 0,
      workspaceBytes: bytes,
    };
    return {
      backend: conv.backend,
      path: 'composite',
      name: NAME,
      flags: {},
      kernel: `${NAME}: grouped-conv [${conv.kernel}] -> ${shuffle.kernel}`,
      weightBytes: conv.weightBytes,
      workspaceBytes: conv.workspaceBytes + bytes,
      composite: NAME,
      stages: [
        { ...conv, name: 'grouped-conv', resident: false },
        { ...shuffle, name: 'channel-shuffle', resident: false },
      ],
      intermediateBytes: bytes,
    };
  }

  dispose(): void {
    this.plan.dispose();
    this.scratch = new Float32Array(0);
  }
}

function create(weight: Tensor, bias: Tensor | null | undefined, options: ShuffledGroupConvPlanOptions, context: Context | undefined): CompositePlan {
  const ctx = context ?? getContext();
  checkOptionKeys(options, CONV_KEYS, NAME);
  if (options?.groups === undefined) {
    throw new SimdconvError('INVALID_GROUPS', 'options.groups', 'the number of groups (required: the convolution and the shuffle both use it)', 'undefined');
  }
  return new ShuffledGroupConvPlan(ctx.createPlan(resolveConvParams('conv2d', weight, bias, options), wasmConvPlan));
}

/**
 * ShuffleNet's grouped convolution followed by a channel shuffle: conv2d(input, weight, bias, options)
 * with options.groups = g, then channelShuffle(·, g) on the output's channel axis (either layout, batched
 * or not).
 */
export function shuffledGroupConv2d(input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ShuffledGroupConvOptions): Tensor {
  return runComposite({ name: NAME, keys: CONV_KEYS }, input, options, (o) => create(weight, bias, o, undefined));
}

/** A plan for shuffledGroupConv2d. */
export function createShuffledGroupConv2d(
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ShuffledGroupConvPlanOptions,
  context?: Context,
): CompositePlan {
  checkPlanOptions({ name: NAME, keys: CONV_KEYS }, options);
  return create(weight, bias, options, context);
}

// Single-op entry points (`simdconv/channel-shuffle`) carry init too, so one import is enough.
export { init } from '../context.js';
