/**
 * The tap-split path of the default algorithm: a convolution as one GEMM per kernel tap, each over only the
 * box of outputs whose input for that tap lies inside the image. Where the dilation is large against the
 * image (DeepLab's ASPP: 3x3 at dilation 12-36 on 28x28), most taps of most outputs read only zero padding;
 * the GEMM paths multiply those zeros, this one skips them. Exact as the other paths: a skipped term is 0 * w (non-finite weights go through the
 * float64 reference, wasm-plan.ts), and each output sums its remaining terms tap by tap, within the same
 * float32 bound. Measurements: docs/PERFORMANCE.md (2026-12-07).
 *
 * Once per plan: the weights packed per tap ([tap][panels of Cout][Cin][rows]). Per input shape: each tap's
 * output box and the conv_gemm_cf calls that compute it as a 1x1 convolution read from the shifted input in
 * place (strided like the conv), into a scratch block; per image the output is filled with the bias, every
 * tap's block is added into its box (assembly/box.ts), then the activation is applied.
 */
import { convForward } from '../../reference.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { ConvGemmCfArgs } from './gen/kernels.js';
import { STAGING_SPARE } from './staging.js';
import { PANEL_BYTES, rowsPerTile } from './tile-policy.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';

/** Per axis, the outputs [lo, hi) whose input i = o * s - p + k * d is inside [0, n) for kernel index k. */
function validOutputs(n: number, out: number, k: number, s: number, d: number, p: number): [number, number] {
  const off = k * d - p;
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(out, Math.floor((n - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Whether the parameters allow the tap split: channels-first, one group, zero padding, and a dilated axis whose
 * padding whole taps can fall into (an undilated 3x3 loses taps only on maps of 1-2 pixels).
 */
export function tapSplitMayApply(p: ConvParams): boolean {
  return (
    !p.transposed &&
    p.groups === 1 &&
    p.layout === 'channels-first' &&
    !padsByCopy(p) &&
    p.inChannels >= TAP_SPLIT_MIN_CHANNELS &&
    p.kernel.some((k, a) => k > 1 && p.dilation[a]! > 1 && (p.autoPad !== null || Math.max(p.padBefore[a]!, p.padAfter[a]!) >= p.dilation[a]!))
  );
}

/** Input channels from which a tap's GEMM (reduction Cin) outweighs adding its block into the output. */
const TAP_SPLIT_MIN_CHANNELS = 32;

/** The share of (output, tap) products that read the input (the rest read padding only), for one shape. */
export function tapShare(g: ConvGeometry): number {
  const p = g.params;
  let share = 1;
  p.kernel.forEach((k, a) => {
    let valid = 0;
    for (let t = 0; t < k; t++) {
      const [lo, hi] = validOutputs(g.inSize[a]!, g.outSize[a]!, t, p.stride[a]!, p.dilation[a]!, p.padBefore[a]!);
      valid += hi - lo;
    }
    share *= valid / (k * g.outSize[a]!);
  });
  return share;
}

/** The default path takes the tap split for a shape where at most this share of the products reads the input. */
export const TAP_SPLIT_BELOW = 0.7;

/** One tap with outputs: where its box starts in the input and the output, its size, and its calls. */
interface Tap {
  /** Byte offset of the box's first input (channel 0) in one input image. */
  inOffset: number;
  /** Byte offset of the box's first output (channel 0) in one output image. */
  outOffset: number;
  box: [number, number, number];
  calls: ConvGemmCfArgs[];
}

interface Shape {
  taps: Tap[];
  scratch: number;
  panels: number[];
  queue: number;
}

type Prepared = Shape & WasmPrepared;

export class WasmTapsConvPlan extends WasmPlan<Prepared> {
  private readonly weights: number;
  private readonly bias: number;
  private readonly zeros: number;
  private readonly rows: 4 | 6;
  /** Bytes of one tap's packed panels. */
  private readonly tapBytes: number;
  private lastTaps = 0;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params, convForward);
    const { heap, kernels } = rt;
    const { inChannels: cin, outChannels: cout } = params;
    const taps = shapeSize(params.kernel);
    this.rows = rowsPerTile(cout, rt.build);
    this.tapBytes = Math.ceil(cout / this.rows) * this.rows * cin * 4;
    heap.ensureFits([
      [taps * this.tapBytes, 'weight'],
      [cout * cin * 4, 'weight'],
      [2 * (cout + 8) * 4, 'bias'],
    ]);
    this.bias = this.stageBias(params.bias, cout);
    this.zeros = this.stageBias(null, cout);
    this.weights = this.allocWeights(taps * this.tapBytes);
    // Tap t's weights W[co][c][t] as a [Cout][Cin] matrix, packed into the GEMM's A panels.
    const w = params.weight.data;
    const staged = heap.alloc(cout * cin * 4, 'weight');
    for (let t = 0; t < taps; t++) {
      const view = heap.f32(staged, cout * cin);
      for (let i = 0; i < cout * cin; i++) view[i] = w[i * taps + t]!;
      kernels.pack_a(staged, cin, cout, cin, this.rows, this.weights + t * this.tapBytes);
    }
    heap.release(staged);
  }

  get info(): PlanInfo {
    const kernel: KernelInfo = {
      path: 'gemm-taps',
      name: `gemm-${this.rows}x8-packed-a-cf`,
      tile: `${this.rows}x8`,
      layout: 'channels-first',
      flags: { taps: this.lastTaps },
    };
    return this.infoOf(kernel);
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const cin = p.inChannels;
    const cout = p.outChannels;
    const [D, H, W] = to3d(g.inSize, 1);
    const out = to3d(g.outSize, 1);
    const [KD, KH, KW] = to3d(p.kernel, 1);
    const stride = to3d(p.stride, 1);
    const dilation = to3d(p.dilation, 1);
    const pad = to3d(p.padBefore, 0);
    const inDims = [D, H, W];
    // Every tap with a non-empty box, and the largest box (the scratch block's size).
    const boxes: Array<{ t: number; start: number[]; box: [number, number, number] }> = [];
    for (let a = 0; a < KD; a++)
      for (let b = 0; b < KH; b++)
        for (let e = 0; e < KW; e++) {
          const k = [a, b, e];
          const ranges = k.map((kk, axis) => validOutputs(inDims[axis]!, out[axis]!, kk, stride[axis]!, dilation[axis]!, pad[axis]!));
          const box = ranges.map(([lo, hi]) => hi - lo) as [number, number, number];
          if (box.some((n) => n === 0)) continue;
          boxes.push({ t: (a * KH + b) * KW + e, start: ranges.map(([lo]) => lo), box });
        }
    const largest = Math.max(0, ...boxes.map((b) => shapeSize(b.box)));
    const threads = threadsFor(this.rt, g.macs / g.batch);
    const block = Math.min(Math.max(8, Math.floor(PANEL_BYTES / (cin * 4) / 8) * 8), Math.ceil(largest / 8) * 8);
    const panelBytes = block * cin * 4;
    const queueBytes = queueBytesFor(threads);
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4 + STAGING_SPARE, 'input'],
      [shapeSize(g.outputShape) * 4 + STAGING_SPARE, 'output'],
      [largest * cout * 4, 'workspace'],
      ...Array.from({ length: threads }, () => [panelBytes, 'workspace'] as const),
      [queueBytes, 'workspace'],
    ]);
    const scratch = largest ? heap.alloc(largest * cout * 4, 'workspace') : 0;
    const panels = largest ? Array.from({ length: threads }, () => heap.alloc(panelBytes, 'workspace')) : [];
    const queue = workQueueFor(this.rt, threads);
    this.workspaceBytes = largest * cout * 4 + threads * panelBytes + queueBytes;
    this.threads = threads;
    this.lastTaps = boxes.length;
    const [, OH, OW] = out;
    const taps = boxes.map(({ t, start, box }): Tap => {
      // The box's first output reads input start * stride - padding + k * dilation on each axis (inside).
      const k = [Math.floor(t / (KH * KW)), Math.floor(t / KW) % KH, t % KW];
      const i0 = start.map((o, axis) => o * stride[axis]! - pad[axis]! + k[axis]! * dilation[axis]!);
      const calls = panels.map((panel) =>
        ConvGemmCfArgs.create(heap, {
          x: 0, w: this.weights + t * this.tapBytes, bias: this.zeros, y: scratch, cin, D, H, W, cout,
          OD: box[0], OH: box[1], OW: box[2], KD: 1, KH: 1, KW: 1, SD: stride[0]!, SH: stride[1]!, SW: stride[2]!,
          DD: 1, DH: 1, DW: 1, PD: 0, PH: 0, PW: 0, groups: 1, rows: this.rows, panel, nc: block,
          lo: -Infinity, hi: Infinity, pBegin: 0, pEnd: shapeSize(box), queue,
        }),
      );
      return {
        inOffset: ((i0[0]! * H + i0[1]!) * W + i0[2]!) * 4,
        outOffset: ((start[0]! * OH + start[1]!) * OW + start[2]!) * 4,
        box,
        calls,
      };
    });
    const shape: Shape = { taps, scratch, panels, queue };
    const calls = taps.flatMap((tap) => tap.calls);
    return { ...shape, calls, job: this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst)), blocks: [scratch, queue, ...panels] };
  }

  private compute(g: ConvGeometry, prep: Shape, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const cout = p.outChannels;
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const pixels = OD * OH * OW;
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = pixels * cout * 4;
    const { min: lo, max: hi } = p.clamp;
    for (let n = 0; n < g.batch; n++) {
      const xn = x + n * inImage;
      const yn = y + n * outImage;
      kernels.fill_channels(yn, this.bias, cout, pixels);
      for (const tap of prep.taps) {
        for (const call of tap.calls) call.x = xn + tap.inOffset;
        runCalls(this.rt, tap.calls, prep.queue);
        kernels.add_box(prep.scratch, yn + tap.outOffset, cout, tap.box[0], tap.box[1], tap.box[2], pixels, OH, OW);
      }
      if (lo !== -Infinity || hi !== Infinity) kernels.clamp_floats(yn, pixels * cout, lo, hi);
    }
  }
}
