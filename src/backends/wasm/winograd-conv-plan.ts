/**
 * The opt-in Winograd path (`algorithm: 'winograd'`; assembly/winograd.ts has the math): F(2x2, 3x3) for conv2d
 * (dilated too, phase by phase), F(2x2x2, 3x3x3) for undilated conv3d; and F(4x4, 3x3) for undilated conv2d,
 * which only `algorithm: 'fast'` takes (assembly/winograd-f43.ts). Once per plan: the transformed weights
 * (G g G^T, and G along depth too), computed in float64, rounded once to float32 and packed for the GEMM
 * microkernels as 16 (64) matrices [Cout][Cin]. Per input shape: the zero-padded image (split into width
 * phases when dilated), rounded up to whole tiles, and per thread the two L2-sized scratch blocks (transformed
 * inputs V, products M). */
import { convForward } from '../../reference.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize } from '../../shape.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { WinoF222CfArgs, WinoF23CfArgs, WinoF43CfArgs } from './gen/kernels.js';
import { type PaddedCopy, copyIntoPadded } from './pad-copy.js';
import { PANEL_BYTES, rowsPerTile } from './tile-policy.js';
import { STAGING_SPARE } from './staging.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';


/** Whether the Winograd path computes these parameters (else the plan takes the default path). */
export function winogradApplies(p: ConvParams): boolean {
  return p.algorithm === 'winograd' && winogradFits(p);
}

/** Whether Winograd can compute these parameters, whatever the algorithm asked for. */
export function winogradFits(p: ConvParams): boolean {
  return (
    !p.transposed &&
    (p.rank === 2 || p.rank === 3) &&
    p.kernel.every((k) => k === 3) &&
    p.stride.every((s) => s === 1) &&
    (p.rank === 2 || p.dilation.every((d) => d === 1)) &&
    p.groups === 1 &&
    !padsByCopy(p)
  );
}

/**
 * The tiles one image computes: tile rows (D x H, phase 0's count) and tile columns (whole vectors of 4); with
 * dilation each of the DH x DW phases counts as many as phase 0 (assembly/winograd.ts).
 */
function tilesOf(rank: 2 | 3, outSize: readonly number[], dilation: readonly number[]): { tilesD: number; tilesH: number; tilesW: number; tiles: number } {
  const [OD, OH, OW] = (rank === 2 ? [1, ...outSize] : outSize) as [number, number, number];
  const [DH, DW] = dilation.slice(-2) as [number, number];
  const tilesD = rank === 2 ? 1 : Math.ceil(OD / 2);
  const tilesH = Math.ceil(Math.ceil(OH / DH) / 2);
  const tilesW = Math.ceil(Math.ceil(Math.ceil(OW / DW) / 2) / 4) * 4;
  return { tilesD, tilesH, tilesW, tiles: tilesD * tilesH * tilesW * DH * DW };
}

/** F(4x4, 3x3)'s tiles of one image: tile rows, and tile columns in whole vectors of 4. */
function tilesOf43(outSize: readonly number[]): { tilesH: number; tilesW: number; tiles: number } {
  const tilesH = Math.ceil(outSize[0]! / 4);
  const tilesW = Math.ceil(Math.ceil(outSize[1]! / 4) / 4) * 4;
  return { tilesH, tilesW, tiles: tilesH * tilesW };
}

/** Whether F(4x4, 3x3) can compute these parameters: Winograd's, in 2-D, undilated. */
export function winograd43Fits(p: ConvParams): boolean {
  return winogradFits(p) && p.rank === 2 && p.dilation.every((d) => d === 1);
}

/**
 * Tiles from which F(4x4, 3x3) is considered for a shape: with fewer, its 36 GEMMs are a few tiles wide and
 * F(2x2, 3x3) ran as fast or faster (docs/ARCHITECTURE.md, Paths chosen per input shape).
 */
const F43_MIN_TILES = 48;

/** Whether 'fast' weighs F(4x4, 3x3) for this shape (winograd43Fits, and enough tiles). */
export function winograd43Considered(g: ConvGeometry): boolean {
  return winograd43Fits(g.params) && tilesOf43(g.outSize).tiles >= F43_MIN_TILES;
}

/**
 * Transform work per tile and channel, in multiply-adds of the GEMM's rate: fitted to the two paths' times on
 * every 3x3 stride-1 layer of the network benchmark (bench/networks.mjs), both builds (docs/ARCHITECTURE.md,
 * Algorithms).
 */
const TRANSFORM_COST = { 2: 120, 3: 1100 };

/**
 * Predicted time of the Winograd path over the default path's for one input shape (`algorithm: 'fast'` takes
 * Winograd below FAST_WINOGRAD_BELOW): the transformed GEMMs' multiply-adds (4^rank per tile and channel
 * pair, over every tile computed, the round-up and the dilation phases included) plus the transforms (per tile
 * and input or output channel), against the direct sum's 3^rank per output and channel pair. Computed from
 * the shape alone, so that a plan's choice is deterministic.
 */
export function winogradCostRatio(g: ConvGeometry): number {
  const p = g.params;
  const rank = p.rank as 2 | 3;
  const { tiles } = tilesOf(rank, g.outSize, p.dilation);
  const cin = p.inChannels;
  const cout = p.outChannels;
  const winograd = tiles * (4 ** rank * cin * cout + TRANSFORM_COST[rank] * (cin + cout));
  const direct = shapeSize(g.outSize) * 3 ** rank * cin * cout;
  return winograd / direct;
}

/**
 * Transform work of F(4x4, 3x3) per 4x4 tile and channel, in the same units (TRANSFORM_COST): its transforms take
 * about 3.3x the vector operations of F(2x2, 3x3)'s per tile.
 */
const TRANSFORM_COST_43 = 400;

/** winogradCostRatio for F(4x4, 3x3): 36 products per 4x4 tile and channel pair, against the direct 9 x 16. */
export function winograd43CostRatio(g: ConvGeometry): number {
  const cin = g.params.inChannels;
  const cout = g.params.outChannels;
  const { tiles } = tilesOf43(g.outSize);
  return (tiles * (36 * cin * cout + TRANSFORM_COST_43 * (cin + cout))) / (shapeSize(g.outSize) * 9 * cin * cout);
}

/** 'fast' runs Winograd where its predicted time is below this share of the default path's. */
export const FAST_WINOGRAD_BELOW = 0.8;

// G of F(2, 3) for cross-correlation (assembly/winograd.ts).
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];
// G of F(4, 3) (assembly/winograd-f43.ts, points 0, 1, -1, 2, -1/2, infinity), in float64: its thirds and
// fifteenths are rounded once, in U.
const G43 = [
  [1, 0, 0],
  [-1 / 3, -1 / 3, -1 / 3],
  [1 / 3, -1 / 3, 1 / 3],
  [1 / 15, 2 / 15, 4 / 15],
  [-16 / 15, 8 / 15, -4 / 15],
  [0, 0, 1],
];

/** One input shape's buffers and calls. */
interface Shape {
  /** The zero-padded image [C][Dq][Hq][Wq] (Dq = 1 in 2-D), rounded up to whole tiles. */
  padded: number;
  /** Per thread: its V block, then its M block. */
  scratches: number[];
  /** One kernel call per thread, each over all the work units, claiming chunks from `queue`. */
  calls: Array<WinoF23CfArgs | WinoF222CfArgs | WinoF43CfArgs>;
  /** The calls' work queue (dispatch.ts workQueueFor; 0 for one thread). */
  queue: number;
  Dq: number;
  Hq: number;
  Wq: number;
  /** Width of each of the DW phase segments of a padded row (Wq = DW * segW). */
  segW: number;
  /** copy_into_padded's arguments after its two pointers (C, D, H, W, PD, PH, PW, Dq, Hq, phases, segW): made once, not per run. */
  copy: PaddedCopy;
  /** Channels-last: the channels-first output of one image, transposed into place after the kernels (else 0). */
  yCf: number;
}

/** What the runner and WasmPlan need (wasm-plan.ts), with the shape's own state. */
type Prepared = Shape & WasmPrepared;

/** The transformed kernel (n x n, or 4 x 4 x 4) of one 3x3 (x3) kernel g, `g2` (n x 3) along every axis, in float64. */
function transformKernel(g: ArrayLike<number>, rank: 2 | 3, g2: number[][] = G): Float64Array {
  if (rank === 2) {
    const n = g2.length;
    const u = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += g2[i]![a]! * g2[j]![b]! * g[a * 3 + b]!;
        u[i * n + j] = s;
      }
    return u;
  }
  const u = new Float64Array(4 ** rank);
  for (let l = 0; l < 4; l++)
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) s += G[l]![a]! * G[i]![b]! * G[j]![c]! * g[(a * 3 + b) * 3 + c]!;
        u[(l * 4 + i) * 4 + j] = s;
      }
  return u;
}

export class WasmWinogradConvPlan extends WasmPlan<Prepared> {
  private readonly u: number;
  /** 2 (F(2x2, 3x3) or F(4x4, 3x3)) or 3 (F(2x2x2, 3x3x3)). */
  private readonly rank: 2 | 3;
  /** Transformed matrices: 4^rank, or 36 for F(4x4, 3x3). */
  private readonly count: number;
  /** Bytes of one packed U_k (all its panels). */
  private readonly uStride: number;
  private readonly rows: 4 | 6;
  private readonly bias: number;
  private readonly zeros: number;

  /** `tile`: outputs per tile and axis, 2 (F(2x2, 3x3), F(2x2x2, 3x3x3)) or 4 (F(4x4, 3x3): 2-D, undilated). */
  constructor(
    rt: WasmRuntime,
    params: ConvParams,
    private readonly tile: 2 | 4 = 2,
  ) {
    super(rt, params, convForward);
    const { heap, kernels } = rt;
    const { inChannels: cin, outChannels: cout } = params;
    this.rank = params.rank as 2 | 3;
    this.count = tile === 4 ? 36 : 4 ** this.rank;
    const count = this.count;
    this.rows = rowsPerTile(cout, rt.build);
    this.uStride = Math.ceil(cout / this.rows) * this.rows * cin * 4;
    heap.ensureFits([
      [count * this.uStride, 'weight'],
      [count * cout * cin * 4, 'weight'],
      [2 * (cout + 8) * 4, 'bias'],
    ]);
    // U_k[co][ci]: the transformed kernel's element k, in float64, then rounded once.
    const raw = new Float32Array(count * cout * cin);
    const w = params.weight.data;
    const taps = 3 ** this.rank;
    for (let co = 0; co < cout; co++) {
      for (let ci = 0; ci < cin; ci++) {
        const g = (co * cin + ci) * taps;
        const u = transformKernel(w.subarray(g, g + taps), this.rank, tile === 4 ? G43 : G);
        for (let k = 0; k < count; k++) raw[(k * cout + co) * cin + ci] = u[k]!;
      }
    }
    const staged = heap.alloc(raw.length * 4, 'weight');
    heap.f32(staged, raw.length).set(raw);
    this.u = this.allocWeights(count * this.uStride);
    for (let k = 0; k < count; k++) kernels.pack_a(staged + k * cout * cin * 4, cin, cout, cin, this.rows, this.u + k * this.uStride);
    heap.release(staged);
    this.bias = this.stageBias(params.bias, cout);
    this.zeros = this.stageBias(null, cout);
  }

  get info(): PlanInfo {
    const kernel: KernelInfo = {
      path: 'winograd',
      name: `winograd-${this.tile === 4 ? 'f4x4-3x3' : this.rank === 2 ? 'f2x2-3x3' : 'f2x2x2-3x3x3'}-gemm-${this.rows}x8-cf`,
      tile: `${this.rows}x8`,
      layout: 'channels-first',
      flags: { transform: this.tile === 4 ? 'F(4x4, 3x3)' : this.rank === 2 ? 'F(2x2, 3x3)' : 'F(2x2x2, 3x3x3)' },
    };
    return this.infoOf(kernel);
  }

  protected prepare(g: ConvGeometry): Prepared {
    if (this.tile === 4) return this.prepare43(g);
    const { heap } = this.rt;
    const p = g.params;
    const cin = p.inChannels;
    const cout = p.outChannels;
    const count = this.count;
    const [OD, OH, OW] = (this.rank === 2 ? [1, ...g.outSize] : g.outSize) as [number, number, number];
    const [DH, DW] = p.dilation.slice(-2) as [number, number];
    const [H, W] = g.inSize.slice(-2) as [number, number];
    // Tiles of 2x2(x2) outputs of the largest dilation phase (phase 0). A tile row is one (tz, ty).
    const { tilesD, tilesH, tilesW } = tilesOf(this.rank, g.outSize, p.dilation);
    const tileRows = tilesD * tilesH;
    const Dq = this.rank === 2 ? 1 : 2 * tilesD + 2;
    // Every phase's last tile row reads 4 rows DH apart from row py < DH; every padded row fits.
    const Hq = Math.max(DH * (2 * tilesH + 2), p.padBefore.at(-2)! + H + p.padAfter.at(-2)!);
    const segW = Math.max(2 * tilesW + 2, Math.ceil((p.padBefore.at(-1)! + W + p.padAfter.at(-1)!) / DW));
    const Wq = DW * segW;
    const blockRows = Math.max(1, Math.min(tileRows, Math.floor(PANEL_BYTES / (count * cin * tilesW * 4))));
    // Work units: tile rows, phase after phase (assembly/winograd.ts); every thread's call covers them all and
    // claims chunks from the queue.
    const units = tileRows * DH * DW;
    // V's tail: the transforms' scratch (4 x 4 (x 4) vectors).
    const { padded, scratches, yCf, queue } = this.workspaces(g, cin * Dq * Hq * Wq * 4, blockRows * tilesW, count * 16);
    const { min: lo, max: hi } = p.clamp;
    const common = { x: padded, u: this.u, uStride: this.uStride, bias: this.bias, zeros: this.zeros, y: 0, C: cin, Hq, Wq, cout, OH, OW, tilesW, rows: this.rows, blockRows, lo, hi, queue };
    const calls = scratches.map(([v, m]) =>
      this.rank === 2
        ? WinoF23CfArgs.create(heap, { ...common, v, m, uBegin: 0, uEnd: units, DH, DW, segW })
        : WinoF222CfArgs.create(heap, { ...common, v, m, Dq, OD, tilesH, trBegin: 0, trEnd: units }),
    );
    const D = this.rank === 2 ? 1 : g.inSize[0]!;
    const [PD, PH, PW] = (this.rank === 2 ? [0, ...p.padBefore] : p.padBefore) as [number, number, number];
    const copy: PaddedCopy = { C: cin, D, H, W, PD, PH, PW, Dp: Dq, Hp: Hq, SW: DW, segW };
    const shape: Shape = { padded, scratches: scratches.flat(), calls, queue, Dq, Hq, Wq, segW, copy, yCf };
    return { ...shape, job: this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst)), blocks: [padded, yCf, queue, ...shape.scratches] };
  }

  /**
   * One shape's workspaces, checked to fit first: the zero-padded image (`paddedBytes`, zeroed once: per image
   * only its interior is copied), per thread the transformed inputs V and products M of a block of `nt` tiles
   * (the count matrices one cache line apart, assembly/winograd.ts matrixStride; V followed by `tail` bytes of
   * the transforms' scratch), a channels-first output image for channels-last tensors, the threads' work queue.
   */
  private workspaces(g: ConvGeometry, paddedBytes: number, nt: number, tail: number): { padded: number; scratches: Array<readonly [number, number]>; yCf: number; queue: number } {
    const { heap } = this.rt;
    const p = g.params;
    const count = this.count;
    const threads = threadsFor(this.rt, g.macs / g.batch);
    const queueBytes = queueBytesFor(threads);
    const vBytes = count * (p.inChannels * nt * 4 + 64) + tail;
    const mBytes = count * (p.outChannels * nt * 4 + 64);
    const yCfBytes = p.layout === 'channels-last' ? (shapeSize(g.outputShape) / g.batch) * 4 : 0;
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4 + STAGING_SPARE, 'input'],
      [shapeSize(g.outputShape) * 4 + STAGING_SPARE, 'output'],
      [paddedBytes, 'workspace'],
      ...(yCfBytes ? [[yCfBytes, 'workspace'] as const] : []),
      ...Array.from({ length: threads }, () => [[vBytes, 'workspace'], [mBytes, 'workspace']] as const).flat(),
      [queueBytes, 'workspace'],
    ]);
    const padded = heap.alloc(paddedBytes, 'workspace');
    heap.f32(padded, paddedBytes / 4).fill(0);
    const scratches = Array.from({ length: threads }, () => [heap.alloc(vBytes, 'workspace'), heap.alloc(mBytes, 'workspace')] as const);
    const yCf = yCfBytes ? heap.alloc(yCfBytes, 'workspace') : 0;
    const queue = workQueueFor(this.rt, threads);
    this.workspaceBytes = paddedBytes + threads * (vBytes + mBytes) + yCfBytes + queueBytes;
    this.threads = threads;
    return { padded, scratches, yCf, queue };
  }

  /**
   * F(4x4, 3x3) (assembly/winograd-f43.ts): tiles of 4x4 outputs, tile columns rounded up to whole vectors of
   * four; the padded image holds every 6x6 patch and the kernel's 20-column loads of the last vector.
   */
  private prepare43(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const cin = p.inChannels;
    const cout = p.outChannels;
    const [OH, OW] = g.outSize as [number, number];
    const [H, W] = g.inSize as [number, number];
    const { tilesH, tilesW } = tilesOf43(g.outSize);
    const Hq = Math.max(4 * tilesH + 2, p.padBefore[0]! + H + p.padAfter[0]!);
    const Wq = Math.max(4 * tilesW + 4, p.padBefore[1]! + W + p.padAfter[1]!);
    const blockRows = Math.max(1, Math.min(tilesH, Math.floor(PANEL_BYTES / (36 * cin * tilesW * 4))));
    // V's tail: the transforms' scratch (6 x 6 vectors).
    const { padded, scratches, yCf, queue } = this.workspaces(g, cin * Hq * Wq * 4, blockRows * tilesW, 576);
    const { min: lo, max: hi } = p.clamp;
    const calls = scratches.map(([v, m]) =>
      WinoF43CfArgs.create(heap, {
        x: padded, u: this.u, uStride: this.uStride, bias: this.bias, zeros: this.zeros, y: 0, C: cin, Hq, Wq, cout, OH, OW, tilesW,
        rows: this.rows, v, m, blockRows, lo, hi, trBegin: 0, trEnd: tilesH, queue,
      }),
    );
    const copy: PaddedCopy = { C: cin, D: 1, H, W, PD: 0, PH: p.padBefore[0]!, PW: p.padBefore[1]!, Dp: 1, Hp: Hq, SW: 1, segW: Wq };
    const shape: Shape = { padded, scratches: scratches.flat(), calls, queue, Dq: 1, Hq, Wq, segW: Wq, copy, yCf };
    return { ...shape, job: this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst)), blocks: [padded, yCf, queue, ...shape.scratches] };
  }

  private compute(g: ConvGeometry, prep: Shape, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    const cout = p.outChannels;
    const pixels = outImage / 4 / cout;
    for (let n = 0; n < g.batch; n++) {
      const xn = x + n * inImage;
      const yn = y + n * outImage;
      copyIntoPadded(kernels, prep.yCf !== 0, xn, prep.padded, prep.copy);
      for (const call of prep.calls) call.y = prep.yCf || yn;
      runCalls(this.rt, prep.calls, prep.queue);
      if (prep.yCf) kernels.transpose_block(prep.yCf, pixels, yn, cout, cout, pixels);
    }
  }
}
