/**
 * Transposed convolution (convTranspose1d/2d/3d) on the wasm kernels of assembly/transposed.ts: one
 * stride-phase sub-convolution per output phase, as an implicit GEMM over a zero-padded copy of the image
 * (see the comment at the top of the kernel file for why, rather than GEMM + col2im).
 *
 * Here, once per plan: the per-axis phase decomposition (which kernel taps reach each output phase and at
 * which input offset) and the weights packed per (group, phase) into the microkernel's panels. Once per input
 * shape: the window of the input the phases read (padding or crop), and the phase table the kernel walks.
 */
import { convTransposeForward } from '../../reference.js';
import { SimdconvError } from '../../errors.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { type AxisPhase, axisPhases } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { TconvCfArgs, TconvClArgs } from './gen/kernels.js';
import { PANEL_BYTES, rowsPerTile } from './tile-policy.js';
import { STAGING_SPARE } from './staging.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';


/** The 6 x 8 output tile buffer at the head of a channels-first panel (assembly/transposed.ts TILE_BYTES). */
const TILE_BYTES = 192;


/** One input shape's buffers and calls. */
interface Shape {
  /** Padded image (0: the phases read the input itself). */
  padded: number;
  table: number;
  /** One panel (channels-first) or offset-table scratch (channels-last) per thread; 0 where none is needed. */
  scratches: number[];
  /** One kernel call per thread, each over all the work units, claiming chunks from `queue`. */
  calls: Array<TconvCfArgs | TconvClArgs>;
  /** The calls' work queue (dispatch.ts workQueueFor; 0 for one thread). */
  queue: number;
  /** Channels-first with threads and a padded window: the kernel's threads copy the image into it together. */
  padTogether: boolean;
  nphases: number;
  /** The input's size per axis (d, h, w), and the window of it the phases read: first index and size. */
  inSize: [number, number, number];
  start: [number, number, number];
  size: [number, number, number];
  block: number;
  workspaceBytes: number;
}

/** What the runner and WasmPlan need (wasm-plan.ts), with the shape's own state. */
type Prepared = Shape & WasmPrepared;

export class WasmTransposedConvPlan extends WasmPlan<Prepared> {
  private readonly axes: [AxisPhase[], AxisPhase[], AxisPhase[]];
  private readonly channelsLast: boolean;
  /** Output channels per weight panel: 8 channels-last, rowsPerTile (6 or 4) channels-first. */
  private readonly tile: number;
  private readonly weights: number;
  private readonly bias: number;
  /** Byte offset of each 3-D phase's panels inside one group's block of packed weights. */
  private readonly phaseOffsets: number[];
  private readonly groupBytes: number;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params, convTransposeForward);
    if (!params.transposed) throw new Error('WasmTransposedConvPlan: transposed parameters expected');
    const { heap } = rt;
    const { groups, inChannels: cin, outChannels: cout } = params;
    const cinG = cin / groups;
    const coutG = cout / groups;
    this.channelsLast = params.layout === 'channels-last';
    const k = to3d(params.kernel, 1);
    const s = to3d(params.stride, 1);
    const d = to3d(params.dilation, 1);
    const p = to3d(params.padBefore, 0);
    this.axes = [0, 1, 2].map((a) => axisPhases(k[a]!, s[a]!, d[a]!, p[a]!)) as [AxisPhase[], AxisPhase[], AxisPhase[]];

    // Bias padded by a full tile so the channels-last epilogue's vector loads stay in bounds.
    this.bias = this.stageBias(params.bias, cout);

    // Packed weights: [group][phase][channel tile][tap][ci][tile], the tile being 6 or 4 output channels
    // (channels-first, the GEMM's A) or 8 (channels-last, the GEMM's B), zero-filled past Cout/groups.
    const tile = this.channelsLast ? 8 : rowsPerTile(coutG, rt.build);
    this.tile = tile;
    const tiles = Math.ceil(coutG / tile);
    const phaseTaps = this.phaseTapLists(k);
    this.phaseOffsets = [];
    let groupFloats = 0;
    for (const taps of phaseTaps) {
      this.phaseOffsets.push(groupFloats * 4);
      groupFloats += tiles * taps.length * cinG * tile;
    }
    this.groupBytes = groupFloats * 4;
    const packed = new Float32Array(groups * groupFloats);
    const src = params.weight.data;
    const taps = k[0] * k[1] * k[2];
    for (let g = 0; g < groups; g++) {
      phaseTaps.forEach((list, f) => {
        let o = g * groupFloats + this.phaseOffsets[f]! / 4;
        for (let tl = 0; tl < tiles; tl++) {
          for (const t of list) {
            for (let ci = 0; ci < cinG; ci++) {
              const row = ((g * cinG + ci) * coutG) * taps + t;
              for (let lane = 0; lane < tile; lane++) {
                const co = tl * tile + lane;
                packed[o++] = co < coutG ? src[row + co * taps]! : 0;
              }
            }
          }
        }
      });
    }
    this.weights = this.allocWeights(Math.max(packed.length, 1) * 4);
    heap.f32(this.weights, packed.length).set(packed);
  }

  /** Flat kernel taps (row-major over kD, kH, kW) of every 3-D phase, phases in (rd, rh, rw) order. */
  private phaseTapLists(k: [number, number, number]): number[][] {
    const lists: number[][] = [];
    const [ad, ah, aw] = this.axes;
    for (const pd of ad)
      for (const ph of ah)
        for (const pw of aw) {
          const list: number[] = [];
          for (const td of pd.taps) for (const th of ph.taps) for (const tw of pw.taps) list.push((td * k[1] + th) * k[2] + tw);
          lists.push(list);
        }
    return lists;
  }

  get info(): PlanInfo {
    const layout = this.channelsLast ? 'cl' : 'cf';
    const tile = `${this.channelsLast ? 4 : this.tile}x8`;
    const phases = this.params.stride.reduce((a, b) => a * b, 1);
    const kernel: KernelInfo = {
      path: 'transposed',
      name: `igemm-${tile}-transposed-${layout}`,
      tile,
      layout: this.channelsLast ? 'channels-last' : 'channels-first',
      flags: { phases },
    };
    return this.infoOf(kernel);
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const inS = to3d(g.inSize, 1);
    const outS = to3d(g.outSize, 1);
    const st = to3d(p.stride, 1);
    const cinG = p.inChannels / p.groups;

    // Phase output counts per axis, and the input window the used taps read: [lo, hi] per axis.
    const count = (a: number, r: number) => (r < outS[a]! ? Math.ceil((outS[a]! - r) / st[a]!) : 0);
    const counts = this.axes.map((phases, a) => phases.map((ph) => count(a, ph.residue)));
    const start: [number, number, number] = [0, 0, 0];
    const size: [number, number, number] = [1, 1, 1];
    for (let a = 0; a < 3; a++) {
      let lo = Infinity;
      let hi = -Infinity;
      this.axes[a]!.forEach((phase, r) => {
        const J = counts[a]![r]!;
        if (J === 0) return;
        for (const off of phase.offsets) {
          lo = Math.min(lo, off);
          hi = Math.max(hi, J - 1 + off);
        }
      });
      if (lo <= hi) {
        start[a] = lo;
        size[a] = hi - lo + 1;
      }
    }
    const [Dp, Hp, Wp] = size;
    const plane = Dp * Hp * Wp;
    if (plane * p.inChannels > 2 ** 29) {
      throw new SimdconvError('OUT_OF_MEMORY', 'input', 'a padded input window of at most 2^29 values', `${plane * p.inChannels} values`);
    }
    const needsCopy = start.some((v) => v !== 0) || size.some((v, a) => v !== inS[a]);

    // The phase table (format in assembly/transposed.ts): every phase with at least one output (residues
    // below min(stride, output size): bounded by the output), tap offsets in bytes for this layout; a phase
    // without taps writes the bias.
    const unit = this.channelsLast ? p.inChannels * 4 : 4;
    const words: number[] = [];
    let nphases = 0;
    let maxK = 1;
    let pixelTiles = 0; // channels-first work units: 8-pixel tiles of phase rows, all phases
    const [ad, ah, aw] = this.axes;
    const index = this.axes.map((phases) => new Map(phases.map((ph, i) => [ph.residue, i])));
    const reach = [0, 1, 2].map((a) => Math.min(st[a]!, outS[a]!));
    for (let rd = 0; rd < reach[0]!; rd++)
      for (let rh = 0; rh < reach[1]!; rh++)
        for (let rw = 0; rw < reach[2]!; rw++) {
          const J = [count(0, rd), count(1, rh), count(2, rw)];
          const [id, ih, iw] = [index[0]!.get(rd), index[1]!.get(rh), index[2]!.get(rw)];
          const offs: number[] = [];
          let weights = 0;
          if (id !== undefined && ih !== undefined && iw !== undefined) {
            for (const od of ad[id]!.offsets)
              for (const oh of ah[ih]!.offsets)
                for (const ow of aw[iw]!.offsets) offs.push((((od - start[0]) * Hp + (oh - start[1])) * Wp + (ow - start[2])) * unit);
            weights = this.phaseOffsets[(id * ah.length + ih) * aw.length + iw]!;
          }
          words.push(J[0]!, J[1]!, J[2]!, (rd * outS[1] + rh) * outS[2] + rw, offs.length, weights, 0, 0, ...offs);
          nphases++;
          maxK = Math.max(maxK, offs.length * cinG);
          pixelTiles += J[0]! * J[1]! * Math.ceil(J[2]! / 8);
        }

    let block: number;
    let scratchBytes = 0;
    if (this.channelsLast) {
      // Pixels per block (a multiple of the 4-row tile) and their two offset tables.
      // The largest phase (residue 0 has the most outputs).
      const pixels = count(0, 0) * count(1, 0) * count(2, 0);
      block = Math.max(4, Math.floor(PANEL_BYTES / (maxK * 4) / 4) * 4);
      block = Math.min(block, 4096, Math.ceil(pixels / 4) * 4);
      scratchBytes = 2 * block * 4;
    } else {
      // 8-pixel tiles per block, packed into a [K][8] panel each unless one 4-channel panel reads B in place.
      const tiles = count(0, 0) * count(1, 0) * Math.ceil(count(2, 0) / 8);
      block = Math.max(1, Math.floor(PANEL_BYTES / (maxK * 4 * 8)));
      block = Math.min(block, tiles);
      if (p.outChannels / p.groups > 4) scratchBytes = TILE_BYTES + block * maxK * 32;
    }
    // Work units: channels-last, 8-channel tiles of output channels; channels-first, the phases' pixel tiles
    // (assembly/transposed.ts tconv_cf: balanced for any channel count, and B is packed once, not once per
    // thread). Every thread's call covers them all and claims chunks from the queue.
    const units = this.channelsLast ? Math.ceil(p.outChannels / p.groups / this.tile) : pixelTiles;
    const threads = Math.min(units, threadsFor(this.rt, g.macs / g.batch));
    const queueBytes = queueBytesFor(threads);
    const inLen = shapeSize(g.inputShape);
    const outLen = shapeSize(g.outputShape);
    // 32 bytes past the window: a channels-first tile of 8 may read up to 7 values beyond its row.
    const paddedBytes = needsCopy ? plane * p.inChannels * 4 + 32 : 0;
    heap.ensureFits([
      [inLen * 4 + STAGING_SPARE, 'input'],
      [outLen * 4 + STAGING_SPARE, 'output'],
      [paddedBytes, 'workspace'],
      [words.length * 4, 'workspace'],
      ...Array.from({ length: threads }, () => [scratchBytes, 'workspace'] as const),
      [queueBytes, 'workspace'],
    ]);
    const padded = paddedBytes ? heap.alloc(paddedBytes, 'workspace') : 0;
    const table = heap.alloc(words.length * 4, 'workspace');
    new Int32Array(heap.memory.buffer, table, words.length).set(words);
    const scratches = Array.from({ length: threads }, () => (scratchBytes ? heap.alloc(scratchBytes, 'workspace') : 0));
    const queue = workQueueFor(this.rt, threads);
    this.workspaceBytes = paddedBytes + words.length * 4 + scratchBytes * scratches.length + queueBytes;
    this.threads = threads;

    const [OD, OH, OW] = outS;
    const [SD, SH, SW] = st;
    const { min: lo, max: hi } = p.clamp;
    const common = { x: 0, w: this.weights, wGroupBytes: this.groupBytes, bias: this.bias, y: 0, table, nphases, cin: p.inChannels, cout: p.outChannels, groups: p.groups };
    const geometry = { ...common, Hp, Wp, OH, OW, SD, SH, SW, lo, hi, queue };
    const calls = scratches.map((scratch) =>
      this.channelsLast
        ? TconvClArgs.create(heap, { ...geometry, scratch, mc: block, tBegin: 0, tEnd: units })
        : TconvCfArgs.create(heap, { ...geometry, plane, OD, panel: scratch, blockTiles: block, rows: this.tile, uBegin: 0, uEnd: units, src: 0 }),
    );
    // With threads, channels-first, they copy the image into the padded window together (assembly/transposed.ts
    // padTogether); the copy's geometry goes after the queue block's queues.
    const padTogether = !this.channelsLast && queue !== 0 && padded !== 0;
    if (padTogether) heap.i32.set([...inS, ...start], (queue >> 2) + 8);
    const shape: Shape = { padded, table, scratches, calls, queue, padTogether, nphases, inSize: inS, start, size, block, workspaceBytes: this.workspaceBytes };
    return { ...shape, job: this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst)), blocks: [padded, table, queue, ...scratches] };
  }

  /** Runs every image from wasm address `src` to `dst`. */
  private compute(g: ConvGeometry, prep: Shape, src: number, dst: number): void {
    const k = this.rt.kernels;
    const p = g.params;
    const [D, H, W] = prep.inSize;
    const [Dp, Hp, Wp] = prep.size;
    const [d0, h0, w0] = prep.start;
    const cin = p.inChannels;
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    for (let n = 0; n < g.batch; n++) {
      let xs = src + n * inImage;
      let shared = 0; // the image the threads pad together (else 0)
      if (prep.padTogether) {
        shared = xs;
        xs = prep.padded;
      } else if (prep.padded) {
        if (this.channelsLast) k.tconv_pad(xs, prep.padded, 1, cin, D, H, W, d0, h0, w0, Dp, Hp, Wp);
        else k.tconv_pad(xs, prep.padded, cin, 1, D, H, W, d0, h0, w0, Dp, Hp, Wp);
        xs = prep.padded;
      }
      for (const call of prep.calls) {
        call.x = xs;
        call.y = dst + n * outImage;
        if (call.driver === 'tconv_cf') call.src = shared;
      }
      runCalls(this.rt, prep.calls, prep.queue);
    }
  }

}
