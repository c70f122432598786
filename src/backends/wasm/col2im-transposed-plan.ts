/**
 * A transposed convolution of a small image (a generator's early layers: DCGAN's 512 -> 256 k4 s2 on 4x4) as
 * one GEMM and a scatter: cols = W^T x, [Cout x taps][pixels], on the 1x1 GEMM path (WasmGemmConvPlan, all of
 * the image's pixels in its columns), then each column added into the outputs its taps reach
 * (assembly/box.ts col2im_add_cf), over an output filled with the bias, then clamped. On a small image the
 * phase path (transposed-conv-plan.ts) runs one sub-convolution per stride phase over a few rows of a few
 * pixels each, mostly tile remainders; here the GEMM's columns are every pixel of the image at once.
 * Channels-first, one group. Exact: each output sums its terms (cols are the exact products summed over Cin,
 * then one add per tap), within the transposed convolution's float32 bound.
 */
import { convTransposeForward } from '../../reference.js';
import type { PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, resolveConvParams, shapeSize, to3d } from '../../shape.js';
import { STAGING_SPARE } from './staging.js';
import { WasmGemmConvPlan } from './gemm-conv-plan.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';

/** Whether the parameters allow it: channels-first, one group. */
export function col2imMayApply(p: ConvParams): boolean {
  return p.transposed && p.groups === 1 && p.layout === 'channels-first';
}

/** Input pixels up to which a shape takes it: beyond, the phase path was as fast or faster (docs/ARCHITECTURE.md). */
const COL2IM_MAX_PIXELS = 16;

/**
 * Whether a shape takes it: a small image, and columns (Cout x taps per pixel) at most four times the output, so
 * that the scratch stays bounded by the output.
 */
export function col2imPays(g: ConvGeometry): boolean {
  const p = g.params;
  return shapeSize(g.inSize) <= COL2IM_MAX_PIXELS && shapeSize(p.kernel) * shapeSize(g.inSize) <= 4 * shapeSize(g.outSize);
}

interface Shape {
  /** One image's columns [Cout x taps][pixels]. */
  cols: number;
}

type Prepared = Shape & WasmPrepared;

export class WasmCol2imTransposedPlan extends WasmPlan<Prepared> {
  private readonly gemm: WasmGemmConvPlan;
  private readonly bias: number;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params, convTransposeForward);
    const { inChannels: cin, outChannels: cout, kernel, rank } = params;
    const taps = shapeSize(kernel);
    const w = params.weight.data; // (Cin, Cout, *kernel): row (co, k) of W^T is w[ci][co][k] over ci
    const data = new Float32Array(cout * taps * cin);
    for (let ci = 0; ci < cin; ci++) for (let r = 0; r < cout * taps; r++) data[r * cin + ci] = w[ci * cout * taps + r]!;
    const op = (['conv1d', 'conv2d', 'conv3d'] as const)[rank - 1]!;
    const inner = resolveConvParams(op, { data, shape: [cout * taps, cin, ...kernel.map(() => 1)] }, null, {});
    this.gemm = new WasmGemmConvPlan(rt, inner);
    this.bias = this.stageBias(params.bias, cout);
  }

  get info(): PlanInfo {
    const inner = this.gemm.info;
    return this.infoOf({ path: 'transposed-col2im', name: inner.name, tile: inner.tile, layout: 'channels-first', flags: {} });
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const colsBytes = p.outChannels * shapeSize(p.kernel) * shapeSize(g.inSize) * 4;
    this.gemm.prepareShape([p.inChannels, ...g.inSize]);
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4 + STAGING_SPARE, 'input'],
      [shapeSize(g.outputShape) * 4 + STAGING_SPARE, 'output'],
      [colsBytes, 'workspace'],
    ]);
    const cols = heap.alloc(colsBytes, 'workspace');
    this.workspaceBytes = colsBytes;
    const shape: Shape = { cols };
    return { ...shape, calls: [], job: this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst)), blocks: [cols] };
  }

  private compute(g: ConvGeometry, prep: Shape, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const cout = p.outChannels;
    const [D, H, W] = to3d(g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const [KD, KH, KW] = to3d(p.kernel, 1);
    const [SD, SH, SW] = to3d(p.stride, 1);
    const [PD, PH, PW] = to3d(p.padBefore, 0);
    const [DD, DH, DW] = to3d(p.dilation, 1);
    const image = [p.inChannels, ...g.inSize]; // prepared with this plan's shape (prepare)
    const inImage = shapeSize(image) * 4;
    const outPixels = OD * OH * OW;
    const { min: lo, max: hi } = p.clamp;
    for (let n = 0; n < g.batch; n++) {
      const yn = y + n * outPixels * cout * 4;
      this.gemm.runResident(image, x + n * inImage, prep.cols);
      kernels.fill_channels(yn, this.bias, cout, outPixels);
      kernels.col2im_add_cf(prep.cols, yn, cout, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, PD, PH, PW, DD, DH, DW);
      if (lo !== -Infinity || hi !== Infinity) kernels.clamp_floats(yn, outPixels * cout, lo, hi);
    }
  }

  protected override releaseHeld(): void {
    super.releaseHeld();
    this.gemm.dispose();
  }
}
