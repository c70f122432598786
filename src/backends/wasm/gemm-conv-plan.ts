/**
 * Convolution as a GEMM per group on the wasm kernels (assembly/conv.ts), for 1-D, 2-D and 3-D alike.
 * Weights are packed once here into the microkernel's panels; `run` copies the input in, calls one kernel
 * per image and copies the output out. Workspaces depend on the input shape and are re-sized only when it
 * changes, so repeated runs on one shape allocate nothing.
 */
import { SimdconvError } from '../../errors.js';
import { PlanBase, type PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, shapeSize } from '../../shape.js';
import { type KernelCall, runCalls, splitRange, threadsFor } from './dispatch.js';
import type { ResidentPlan } from './resident.js';
import type { WasmRuntime } from './runtime.js';

/** Target size of the im2col panel: small enough to stay in L2 while the microkernel sweeps it. */
export const PANEL_BYTES = 256 * 1024;

const MODE_CODE = { zeros: 0, reflect: 1, replicate: 2, circular: 3 } as const;

interface Prepared {
  /** Input / output staging for `run`, allocated on first use: resident runs (chains) never hold them. */
  x: number;
  y: number;
  /** One im2col panel per thread (0 when the input is read in place). */
  panels: number[];
  padded: number;
  direct: boolean;
  /** One kernel call per thread, each over its own pixel range; pointers are patched per image. */
  calls: KernelCall[];
}

/** Argument positions the plan patches per image. */
const ARG_X = 0;
const ARG_Y = 3;

function to3d(values: readonly number[], fill: number): [number, number, number] {
  const v = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [v[0]!, v[1]!, v[2]!];
}

export class WasmGemmConvPlan extends PlanBase<Prepared> implements ResidentPlan {
  private readonly weights: number;
  private readonly bias: number;
  private readonly channelsLast: boolean;
  private readonly reduction: number;
  private readonly weightBytes: number;
  private workspaceBytes = 0;
  private cachedCalls = 1;

  constructor(
    private readonly rt: WasmRuntime,
    params: ConvParams,
  ) {
    super(params);
    const { heap, kernels } = rt;
    const { groups, outChannels: cout, inChannels: cin } = params;
    const coutG = cout / groups;
    const cinG = cin / groups;
    const taps = shapeSize(params.kernel);
    const K = cinG * taps;
    this.reduction = K;
    this.channelsLast = params.layout === 'channels-last';

    const tile = this.channelsLast ? 8 : 4;
    const tiles = Math.ceil(coutG / tile);
    const panelBytes = K * tile * 4;
    heap.ensureFits([
      [groups * tiles * panelBytes, 'weight'],
      [params.weight.data.length * 4, 'weight'],
      [(cout + 8) * 4, 'bias'],
    ]);
    // Bias padded by a full tile so the microkernel's vector bias loads stay in bounds.
    this.bias = heap.alloc((cout + 8) * 4, 'bias');
    const biasView = heap.f32(this.bias, cout + 8);
    biasView.fill(0);
    if (params.bias) biasView.set(params.bias);

    const src = params.weight.data;
    let rows = src;
    if (this.channelsLast) {
      // Reduction order (taps, channel) so one kernel tap reads Cin/groups contiguous input values.
      rows = new Float32Array(src.length);
      for (let co = 0; co < cout; co++)
        for (let c = 0; c < cinG; c++)
          for (let t = 0; t < taps; t++) rows[co * K + t * cinG + c] = src[(co * cinG + c) * taps + t]!;
    }
    const raw = heap.alloc(rows.length * 4, 'weight');
    heap.f32(raw, rows.length).set(rows);
    this.weightBytes = groups * tiles * panelBytes;
    this.weights = heap.alloc(this.weightBytes, 'weight');
    for (let g = 0; g < groups; g++) {
      const from = raw + g * coutG * K * 4;
      const to = this.weights + g * tiles * panelBytes;
      if (this.channelsLast) kernels.pack_b_8(from, K, coutG, K, to);
      else kernels.pack_a_4(from, K, coutG, K, to);
    }
    heap.release(raw);
    this.weightBytes += (cout + 8) * 4;
  }

  get info(): PlanInfo {
    const g = this.lastGeometry;
    const direct = g !== null && this.channelsLast && this.isDirect(g);
    const layout = this.channelsLast ? 'cl' : 'cf';
    const kernel = this.channelsLast ? `gemm-4x8-packed-b-${layout}` : `gemm-4x8-packed-a-${layout}`;
    return {
      backend: 'wasm',
      kernel: `${kernel} (${direct ? 'direct 1x1' : 'packed im2col'}${this.params.paddingMode === 'zeros' ? '' : `, ${this.params.paddingMode} pad copy`})`,
      weightBytes: this.weightBytes,
      workspaceBytes: this.workspaceBytes,
      threads: this.cachedCalls,
    };
  }

  private isDirect(g: ConvGeometry): boolean {
    const p = g.params;
    return p.kernel.every((k) => k === 1) && p.stride.every((s) => s === 1) && p.padBefore.every((x) => x === 0) && p.padAfter.every((x) => x === 0);
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const direct = this.channelsLast && this.isDirect(g);
    const pixels = shapeSize(g.outSize);
    const K = this.reduction;
    const align = this.channelsLast ? 4 : 8;
    let block = Math.max(align, Math.floor(PANEL_BYTES / (K * 4) / align) * align);
    block = Math.min(block, Math.ceil(pixels / align) * align);
    const panelBytes = direct ? 0 : Math.ceil(block / 8) * 8 * K * 4;
    const paddedSize = g.inSize.map((n, i) => n + p.padBefore[i]! + p.padAfter[i]!);
    const paddedLen = p.paddingMode === 'zeros' ? 0 : p.inChannels * shapeSize(paddedSize);
    const ranges = splitRange(pixels, threadsFor(this.rt, g.macs / g.batch), align);

    // Staging for `run` (allocated on its first call) counts too, so a refused shape allocates nothing.
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4, 'input'],
      [shapeSize(g.outputShape) * 4, 'output'],
      ...ranges.map(() => [panelBytes, 'workspace'] as const),
      [paddedLen * 4, 'workspace'],
    ]);
    const panels = ranges.map(() => (panelBytes ? heap.alloc(panelBytes, 'workspace') : 0));
    const padded = paddedLen ? heap.alloc(paddedLen * 4, 'workspace') : 0;
    this.workspaceBytes = panelBytes * panels.length + paddedLen * 4;

    // Non-zero padding modes run on a padded copy with zero padding.
    const [D, H, W] = to3d(paddedLen ? paddedSize : g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const [KD, KH, KW] = to3d(p.kernel, 1);
    const [SD, SH, SW] = to3d(p.stride, 1);
    const [DD, DH, DW] = to3d(p.dilation, 1);
    const [PD, PH, PW] = paddedLen ? [0, 0, 0] : to3d(p.padBefore, 0);
    const geometry = [p.inChannels, D, H, W, p.outChannels, OD, OH, OW, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, p.groups];
    const calls = ranges.map(([begin, end], t): KernelCall => {
      const tail = this.channelsLast ? [panels[t]!, block, direct ? 1 : 0] : [panels[t]!, block];
      return {
        fn: this.channelsLast ? 'conv_gemm_cl' : 'conv_gemm_cf',
        args: [0, this.weights, this.bias, 0, ...geometry, ...tail, p.clamp.min, p.clamp.max, begin, end],
      };
    });
    this.cachedCalls = calls.length;
    return { x: 0, y: 0, panels, padded, direct, calls };
  }

  protected releasePrepared(prep: Prepared): void {
    const { heap } = this.rt;
    for (const ptr of [prep.x, prep.y, prep.padded, ...prep.panels]) if (ptr) heap.release(ptr);
  }

  protected releaseWeights(): void {
    this.rt.heap.release(this.weights);
    this.rt.heap.release(this.bias);
  }

  protected execute(g: ConvGeometry, prep: Prepared, input: Float32Array, out: Float32Array): void {
    const { heap } = this.rt;
    if (!prep.x) {
      const x = heap.alloc(input.length * 4, 'input');
      try {
        prep.y = heap.alloc(out.length * 4, 'output');
      } catch (e) {
        heap.release(x);
        throw e;
      }
      prep.x = x;
    }
    heap.f32(prep.x, input.length).set(input);
    this.compute(g, prep, prep.x, prep.y);
    out.set(heap.f32(prep.y, out.length));
  }

  runResident(inputShape: readonly number[], src: number, dst: number): ConvGeometry {
    if (this.isDisposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
    const { geometry, prepared } = this.geometryFor(inputShape);
    this.compute(geometry, prepared, src, dst);
    return geometry;
  }

  /** The kernel calls, from the input at byte offset `x` to the output at `y` (both in wasm memory). */
  private compute(g: ConvGeometry, prep: Prepared, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    const mode = MODE_CODE[p.paddingMode];
    for (let n = 0; n < g.batch; n++) {
      let src = x + n * inImage;
      if (mode !== 0) {
        const [D, H, W] = to3d(g.inSize, 1);
        const [PD, PH, PW] = to3d(p.padBefore, 0);
        const [QD, QH, QW] = to3d(p.padAfter, 0);
        const [outer, inner] = this.channelsLast ? [1, p.inChannels] : [p.inChannels, 1];
        kernels.pad_image(src, prep.padded, outer, inner, D, H, W, PD, QD, PH, QH, PW, QW, mode);
        src = prep.padded;
      }
      for (const call of prep.calls) {
        call.args[ARG_X] = src;
        call.args[ARG_Y] = y + n * outImage;
      }
      runCalls(this.rt, prep.calls);
    }
  }
}
