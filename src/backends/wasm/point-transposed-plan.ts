/**
 * A transposed convolution of a one-pixel input (a generator's first layer: DCGAN's 100 -> 512 k4 on 1x1),
 * no padding, dilation or output padding, one group: output (co, k) = bias(co) + sum over ci of x(ci) w(ci, co, k),
 * one GEMM of Cout x taps rows. Run as a 1x1 convolution with Cout x taps output channels on the same pixel
 * (WasmGemmConvPlan), whose output is the transposed one's in memory: channels-first [Cout][taps] when its
 * rows are (co, k), channels-last [taps][Cout] when they are (k, co). The phase path (transposed-conv-plan.ts)
 * would pad the pixel to a (2k - 1)-wide image and multiply k^2 - 1 zeros per output.
 */
import type { PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, readTensor, resolveConvGeometry, resolveConvParams, shapeSize } from '../../shape.js';
import type { Tensor } from '../../types.js';
import { reshapedOut } from '../../ops/reshaped.js';
import { WasmGemmConvPlan } from './gemm-conv-plan.js';
import type { ResidentPlan } from './resident.js';
import type { WasmRuntime } from './runtime.js';

/**
 * Whether the parameters allow it: one group, stride 1 (a generator's first layer; other transposed layers keep
 * their single plan), no padding, dilation or output padding.
 */
export function pointTransposedMayApply(p: ConvParams): boolean {
  return (
    p.transposed &&
    p.groups === 1 &&
    p.stride.every((s) => s === 1) &&
    p.padBefore.every((v) => v === 0) &&
    p.padAfter.every((v) => v === 0) &&
    p.dilation.every((d) => d === 1) &&
    p.outputPadding.every((v) => v === 0) &&
    p.outputSize === null
  );
}

/** Whether a shape is one pixel in (then its output is the kernel's size). */
export function isPointInput(g: ConvGeometry): boolean {
  return g.inSize.every((n) => n === 1);
}

export class WasmPointTransposedPlan implements ResidentPlan {
  private readonly inner: WasmGemmConvPlan;

  constructor(
    rt: WasmRuntime,
    readonly params: ConvParams,
  ) {
    const { inChannels: cin, outChannels: cout, kernel, rank, layout } = params;
    const taps = shapeSize(kernel);
    const w = params.weight.data; // PyTorch's (Cin, Cout, *kernel)
    const channelsLast = layout === 'channels-last';
    // Row r of the 1x1 convolution's weight [rows][Cin]: (co, k) channels-first, (k, co) channels-last.
    const data = new Float32Array(cout * taps * cin);
    for (let ci = 0; ci < cin; ci++)
      for (let co = 0; co < cout; co++)
        for (let k = 0; k < taps; k++) data[(channelsLast ? k * cout + co : co * taps + k) * cin + ci] = w[(ci * cout + co) * taps + k]!;
    const bias = params.bias && new Float32Array(cout * taps);
    if (bias) for (let r = 0; r < cout * taps; r++) bias[r] = params.bias![channelsLast ? r % cout : Math.floor(r / taps)]!;
    const op = (['conv1d', 'conv2d', 'conv3d'] as const)[rank - 1]!;
    const ones = kernel.map(() => 1);
    const inner = resolveConvParams(op, { data, shape: [cout * taps, cin, ...ones] }, bias && { data: bias, shape: [cout * taps] }, { layout });
    this.inner = new WasmGemmConvPlan(rt, { ...inner, clamp: params.clamp });
  }

  /** The 1x1 convolution's output shape: the input's, with Cout x taps channels. */
  private innerShape(g: ConvGeometry): number[] {
    const rows = this.params.outChannels * shapeSize(this.params.kernel);
    const channelAxis = this.params.layout === 'channels-last' ? g.inputShape.length - 1 : g.batched ? 1 : 0;
    return g.inputShape.map((d, a) => (a === channelAxis ? rows : d));
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...resolveConvGeometry(this.params, inputShape).outputShape];
  }

  run(input: Tensor, out?: Tensor): Tensor {
    // The shape read here gives the output's; the 1x1 plan checks the tensor itself (its input shape is the
    // transposed one's: the same pixel).
    const g = resolveConvGeometry(this.params, readTensor('input', input).shape);
    const y = this.inner.run(input, out === undefined ? undefined : reshapedOut(out, g.outputShape, this.innerShape(g)));
    return out ?? { data: y.data, shape: [...g.outputShape] };
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    const g = resolveConvGeometry(this.params, inputShape);
    this.inner.runResident(inputShape, src, dst);
    return g;
  }

  get info(): PlanInfo {
    return this.inner.info;
  }

  dispose(): void {
    this.inner.dispose();
  }
}
