/**
 * The opt-in Winograd F(2x2, 3x3) path (`algorithm: 'winograd'`; assembly/winograd.ts has the math). Once per
 * plan: the transformed weights U = G g G^T, computed in float64, rounded once to float32 and packed for the
 * GEMM microkernels as 16 matrices [Cout][Cin]. Per input shape: the zero-padded image, rounded up to whole
 * tiles, and per thread the two L2-sized scratch blocks (transformed inputs V, products M).
 */
import type { PlanInfo } from '../../plan.js';
import { type ConvGeometry, type ConvParams, shapeSize } from '../../shape.js';
import { type KernelCall, runCalls, splitRange, threadsFor } from './dispatch.js';
import { rowsPerTile } from './gemm-conv-plan.js';
import { LazyStagedWasmPlan } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';

/** Bytes of transformed input (V) per block of tile rows: the block's V and M stay in L2 while 16 GEMMs sweep them. */
const BLOCK_BYTES = 256 * 1024;

/** Whether the Winograd path computes these parameters (else the plan takes the default path). */
export function winogradApplies(p: ConvParams): boolean {
  return (
    p.algorithm === 'winograd' &&
    !p.transposed &&
    p.rank === 2 &&
    p.kernel.every((k) => k === 3) &&
    p.stride.every((s) => s === 1) &&
    p.dilation.every((d) => d === 1) &&
    p.groups === 1 &&
    p.layout === 'channels-first' &&
    p.paddingMode === 'zeros'
  );
}

// G of F(2, 3) for cross-correlation (assembly/winograd.ts).
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];

interface Prepared {
  x: number;
  y: number;
  padded: number;
  scratches: number[];
  calls: KernelCall[];
  Hq: number;
  Wq: number;
}

/** Argument position of the output, patched per image. */
const ARG_Y = 5;

export class WasmWinogradConvPlan extends LazyStagedWasmPlan<Prepared> {
  private readonly u: number;
  /** Bytes of one packed U_k (all its panels). */
  private readonly uStride: number;
  private readonly rows: 4 | 6;
  private readonly bias: number;
  private readonly zeros: number;
  private readonly weightBytes: number;
  private workspaceBytes = 0;
  private threads = 1;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params);
    const { heap, kernels } = rt;
    const { inChannels: cin, outChannels: cout } = params;
    this.rows = rowsPerTile(cout);
    this.uStride = Math.ceil(cout / this.rows) * this.rows * cin * 4;
    heap.ensureFits([
      [16 * this.uStride, 'weight'],
      [16 * cout * cin * 4, 'weight'],
      [2 * (cout + 8) * 4, 'bias'],
    ]);
    // U_k[co][ci] for k = 4 i + j, (G g G^T)_ij in float64, then rounded once.
    const raw = new Float32Array(16 * cout * cin);
    const w = params.weight.data;
    const t = new Float64Array(12);
    for (let co = 0; co < cout; co++) {
      for (let ci = 0; ci < cin; ci++) {
        const g = (co * cin + ci) * 9;
        for (let i = 0; i < 4; i++)
          for (let b = 0; b < 3; b++) t[i * 3 + b] = G[i]![0]! * w[g + b]! + G[i]![1]! * w[g + 3 + b]! + G[i]![2]! * w[g + 6 + b]!;
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) raw[((i * 4 + j) * cout + co) * cin + ci] = t[i * 3]! * G[j]![0]! + t[i * 3 + 1]! * G[j]![1]! + t[i * 3 + 2]! * G[j]![2]!;
      }
    }
    const staged = heap.alloc(raw.length * 4, 'weight');
    heap.f32(staged, raw.length).set(raw);
    this.u = heap.alloc(16 * this.uStride, 'weight');
    for (let k = 0; k < 16; k++) kernels.pack_a(staged + k * cout * cin * 4, cin, cout, cin, this.rows, this.u + k * this.uStride);
    heap.release(staged);
    this.bias = heap.alloc((cout + 8) * 4, 'bias');
    const biasView = heap.f32(this.bias, cout + 8);
    biasView.fill(0);
    if (params.bias) biasView.set(params.bias);
    this.zeros = heap.alloc((cout + 8) * 4, 'bias');
    heap.f32(this.zeros, cout + 8).fill(0);
    this.weightBytes = 16 * this.uStride + 2 * (cout + 8) * 4;
  }

  get info(): PlanInfo {
    return {
      backend: 'wasm',
      kernel: `winograd-f2x2-3x3-gemm-${this.rows}x8-cf`,
      weightBytes: this.weightBytes,
      workspaceBytes: this.workspaceBytes,
      threads: this.threads,
    };
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const cin = p.inChannels;
    const cout = p.outChannels;
    const [OH, OW] = g.outSize as [number, number];
    // Tiles of 2x2 outputs; tile columns rounded up to whole vectors of 4.
    const tileRows = Math.ceil(OH / 2);
    const tilesW = Math.ceil(Math.ceil(OW / 2) / 4) * 4;
    const Hq = 2 * tileRows + 2;
    const Wq = 2 * tilesW + 2;
    const blockRows = Math.max(1, Math.min(tileRows, Math.floor(BLOCK_BYTES / (16 * cin * tilesW * 4))));
    const ranges = splitRange(tileRows, threadsFor(this.rt, g.macs / g.batch), 1);
    const vBytes = 16 * cin * blockRows * tilesW * 4 + 256;
    const mBytes = 16 * cout * blockRows * tilesW * 4;
    const paddedBytes = cin * Hq * Wq * 4;
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4, 'input'],
      [shapeSize(g.outputShape) * 4, 'output'],
      [paddedBytes, 'workspace'],
      ...ranges.flatMap(() => [[vBytes, 'workspace'], [mBytes, 'workspace']] as const),
    ]);
    const padded = heap.alloc(paddedBytes, 'workspace');
    // Zero borders (and the round-up to whole tiles) are written once; per image only the interior is copied.
    heap.f32(padded, paddedBytes / 4).fill(0);
    const scratches = ranges.flatMap(() => [heap.alloc(vBytes, 'workspace'), heap.alloc(mBytes, 'workspace')]);
    this.workspaceBytes = paddedBytes + ranges.length * (vBytes + mBytes);
    this.threads = ranges.length;
    const { min: lo, max: hi } = p.clamp;
    const calls = ranges.map(([begin, end], t): KernelCall => ({
      fn: 'wino_f23_cf',
      args: [padded, this.u, this.uStride, this.bias, this.zeros, 0, cin, Hq, Wq, cout, OH, OW, tilesW, this.rows,
        scratches[2 * t]!, scratches[2 * t + 1]!, blockRows, lo, hi, begin, end],
    }));
    return { x: 0, y: 0, padded, scratches, calls, Hq, Wq };
  }

  protected releasePrepared(prep: Prepared): void {
    const { heap } = this.rt;
    for (const ptr of [prep.x, prep.y, prep.padded, ...prep.scratches]) if (ptr) heap.release(ptr);
  }

  protected releaseWeights(): void {
    const { heap } = this.rt;
    heap.release(this.u);
    heap.release(this.bias);
    heap.release(this.zeros);
  }

  protected compute(g: ConvGeometry, prep: Prepared, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const [H, W] = g.inSize as [number, number];
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    for (let n = 0; n < g.batch; n++) {
      kernels.copy_into_padded(x + n * inImage, prep.padded, p.inChannels, 1, H, W, 0, p.padBefore[0]!, p.padBefore[1]!, 1, prep.Hq, 1, prep.Wq);
      for (const call of prep.calls) call.args[ARG_Y] = y + n * outImage;
      runCalls(this.rt, prep.calls);
    }
  }
}
