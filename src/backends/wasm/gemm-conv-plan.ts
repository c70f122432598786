/**
 * Convolution as a GEMM per group on the wasm kernels, for 1-D, 2-D and 3-D alike. Weights are packed once
 * here into the 6x8 (or 4x8, see rowsPerTile) microkernels' panels. Per input shape the plan picks one of two strategies that share
 * those panels:
 * - 'direct' (channels-first: 3 taps or more, or fewer with stride 1 and, for one tap, no padding;
 *   assembly/direct.ts): the microkernel reads a padded image (split into width phases when the width stride
 *   is above 1), or the input itself, through a tap table, gathering a tile's receptive field first when
 *   enough channel panels share it;
 * - 'im2col' (everything else; assembly/conv.ts): receptive fields are lowered into an L2-sized panel first.
 * Workspaces depend on the input shape and are re-sized only when it changes, so repeated runs on one shape
 * allocate nothing.
 */
import { convForward } from '../../reference.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { hasPadding, padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';
import { type PaddedCopy, copyIntoPadded, needsPadCopy, padImage } from './pad-copy.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { ConvDirectCfArgs, ConvGemmCfArgs, ConvGemmClArgs } from './gen/kernels.js';
import { setArgs } from './kernel-args.js';
import { OutputBands } from './output-bands.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { BandedOutput } from './runner.js';
import { STAGING_SPARE } from './staging.js';
import { PANEL_BYTES, bandRowsFor, gemmStrategy, gemmThreadingMacs, recutRowLength, rowsPerTile, tileBlockFor, viaChannelsFirst } from './tile-policy.js';
import type { WasmRuntime } from './runtime.js';


type Strategy = 'direct' | 'im2col';

/** One input shape's buffers and calls. */
interface Shape {
  strategy: Strategy;
  /** im2col: one panel per thread (six rows when a channels-last 1x1 input is read in place); direct: a gather/tile buffer per thread. */
  panels: number[];
  /** The padded image the kernels read (0 when they read the input itself). */
  padded: number;
  /** Its width phases (the direct path's width stride, else 1) and their length: a row holds phases x segment values. */
  phases: number;
  segment: number;
  /** copy_into_padded's arguments after its two pointers: made once, not per run. */
  copy: PaddedCopy;
  /** direct: the byte offset of each reduction step (channel, tap) in the padded image. */
  offsets: number;
  /** One kernel call per thread, each over all output pixels (im2col) or (channel tile, row) units (direct), claiming chunks from `queue`. */
  calls: Array<ConvDirectCfArgs | ConvGemmCfArgs | ConvGemmClArgs>;
  /** The calls' work queue (dispatch.ts workQueueFor; 0 for one thread). */
  queue: number;
  /** direct, threads, zero padding: the kernel's threads copy the input into `padded` together. */
  padTogether: boolean;
  /** Channels-last on the channels-first direct path: one image's channels-first output, transposed after (else 0). */
  yCf: number;
  /** The output rows the kernels see and their length (re-cut for some 1x1 convolutions: recutRowLength). */
  rows: number;
  rowLength: number;
}

/** What the runner and WasmPlan need (wasm-plan.ts), with the shape's own state. */
type Prepared = Shape & WasmPrepared;

export class WasmGemmConvPlan extends WasmPlan<Prepared> {
  private readonly weights: number;
  private readonly bias: number;
  private readonly channelsLast: boolean;
  /** Channels-last tensors on the channels-first direct path (tile-policy.ts viaChannelsFirst). */
  private readonly viaChannelsFirst: boolean;
  private readonly reduction: number;
  /** Channels-first panel height (rowsPerTile); channels-last panels are 8 columns wide. */
  private readonly rows: 4 | 6;
  /** Weight panels over all groups: the direct path's unit of work per thread. */
  private readonly channelTiles: number;
  private lastStrategy: Strategy | 'inPlace' = 'im2col';
  /** Rows per output band of the last shape prepared (0: not banded). */
  private lastBandRows = 0;
  /** Channel tiles per block of the last shape prepared (0: all in one). */
  private lastTileBlock = 0;
  /** The row length the last shape's pixels were re-cut to (0: its own rows). */
  private lastRecut = 0;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params, convForward);
    const { heap, kernels } = rt;
    const { groups, outChannels: cout, inChannels: cin } = params;
    const coutG = cout / groups;
    const cinG = cin / groups;
    const taps = shapeSize(params.kernel);
    const K = cinG * taps;
    this.reduction = K;
    this.channelsLast = params.layout === 'channels-last';
    this.viaChannelsFirst = viaChannelsFirst(params);
    const packedB = this.packsB;

    this.rows = rowsPerTile(coutG, rt.build);
    const tile = packedB ? 8 : this.rows;
    const tiles = Math.ceil(coutG / tile);
    this.channelTiles = groups * tiles;
    const panelBytes = K * tile * 4;
    heap.ensureFits([
      [groups * tiles * panelBytes, 'weight'],
      [params.weight.data.length * 4, 'weight'],
      [(cout + 8) * 4, 'bias'],
    ]);
    this.bias = this.stageBias(params.bias, cout);

    const src = params.weight.data;
    let rows = src;
    if (packedB) {
      // Reduction order (taps, channel) so one kernel tap reads Cin/groups contiguous input values.
      rows = new Float32Array(src.length);
      for (let co = 0; co < cout; co++)
        for (let c = 0; c < cinG; c++)
          for (let t = 0; t < taps; t++) rows[co * K + t * cinG + c] = src[(co * cinG + c) * taps + t]!;
    }
    const raw = heap.alloc(rows.length * 4, 'weight');
    heap.f32(raw, rows.length).set(rows);
    this.weights = this.allocWeights(groups * tiles * panelBytes);
    for (let g = 0; g < groups; g++) {
      const from = raw + g * coutG * K * 4;
      const to = this.weights + g * tiles * panelBytes;
      if (packedB) kernels.pack_b_8(from, K, coutG, K, to);
      else kernels.pack_a(from, K, coutG, K, this.rows, to);
    }
    heap.release(raw);
  }

  /** Weights packed for the channels-last GEMM (8-column panels), else for the channels-first kernels. */
  private get packsB(): boolean {
    return this.channelsLast && !this.viaChannelsFirst;
  }

  get info(): PlanInfo {
    // The last shape's parameters: 'same-upper' padding is resolved per input shape.
    const p = this.lastGeometry?.params ?? this.params;
    const path = ({ direct: 'gemm-direct', im2col: 'gemm-im2col', inPlace: 'gemm-1x1' } as const)[this.lastStrategy];
    const kernel: KernelInfo = {
      path,
      name: this.packsB ? 'gemm-6x8-packed-b-cl' : `gemm-${this.rows}x8-packed-a-cf`,
      tile: this.packsB ? '6x8' : `${this.rows}x8`,
      layout: this.packsB ? 'channels-last' : 'channels-first',
      flags: {
        ...(path === 'gemm-direct' && { strided: p.stride.some((v) => v > 1), viaChannelsFirst: this.viaChannelsFirst }),
        ...(padsByCopy(p) && { padCopy: p.paddingMode as 'reflect' | 'replicate' | 'circular' }),
        ...(this.lastRecut && { rowLength: this.lastRecut }),
        ...(this.lastBandRows && { bandRows: this.lastBandRows }),
        ...(this.lastTileBlock && { tileBlock: this.lastTileBlock }),
      },
    };
    return this.infoOf(kernel);
  }

  /** Channels-last 1x1, stride 1, unpadded: the input rows are the GEMM's A operand as they stand. */
  private readsInputInPlace(g: ConvGeometry): boolean {
    const p = g.params;
    return this.channelsLast && p.kernel.every((k) => k === 1) && p.stride.every((s) => s === 1) && !hasPadding(p);
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap, kernels } = this.rt;
    const p = g.params;
    const strategy = gemmStrategy(p, this.viaChannelsFirst);
    const inPlace = this.readsInputInPlace(g);
    const paddedSize = g.inSize.map((n, i) => n + p.padBefore[i]! + p.padAfter[i]!);
    const [SD, SH, SW] = to3d(p.stride, 1);
    // The direct path reads a width-strided input split into SW phases of `segment` values per row.
    const phases = strategy === 'direct' ? SW : 1;
    // A padded image: always for the non-zero modes; for zeros only where the direct path needs one.
    const needsPadded = padsByCopy(p) || (strategy === 'direct' && (hasPadding(p) || phases > 1 || this.viaChannelsFirst));
    // The direct path reads an unpadded 1x1 stride-1 input in rows of its own length (recutRowLength).
    const pixels = shapeSize(g.outSize);
    const recut = strategy === 'direct' && !needsPadded && p.kernel.every((k) => k === 1) && p.stride.every((v) => v === 1) ? recutRowLength(pixels, g.outSize[g.outSize.length - 1]!) : 0;
    const segment = recut || Math.ceil(paddedSize[paddedSize.length - 1]! / phases);
    const paddedLen = needsPadded ? (p.inChannels * shapeSize(paddedSize) / paddedSize[paddedSize.length - 1]!) * phases * segment : 0;
    const [OD, OH, OW] = recut ? [1, pixels / recut, recut] : to3d(g.outSize, 1);
    const K = this.reduction;
    const taps = shapeSize(p.kernel);
    // Work units: (channel tile, output row) pairs on the direct path (row-major with one group, else
    // tile-major: assembly/direct.ts says why), output pixels on im2col. Every thread's call covers them all
    // and claims chunks from the queue.
    const units = strategy === 'direct' ? this.channelTiles * OD * OH : OD * OH * OW;
    const threads = threadsFor(this.rt, gemmThreadingMacs(g.macs / g.batch, pixels));
    // Direct: a buffer per thread for a gathered 8-pixel receptive field (K x 8 values) or a 6x8 tail tile
    // (assembly/direct.ts gather_tile, direct_tile_6x4x2).
    let panelBytes = strategy === 'direct' ? Math.max(6 * 8, K * 8) * 4 : 0;
    let block = 0;
    if (strategy !== 'direct') {
      const align = this.channelsLast ? 6 : 8;
      block = Math.max(align, Math.floor(PANEL_BYTES / (K * 4) / align) * align);
      block = Math.min(block, Math.ceil(units / align) * align);
      // In place, the panel only holds a short last tile (six rows; see conv_gemm_cl).
      panelBytes = inPlace ? 6 * K * 4 : Math.ceil(block / 8) * 8 * K * 4;
    }
    const queueBytes = queueBytesFor(threads);
    const offsetBytes = strategy === 'direct' ? K * 4 : 0;
    const yCfBytes = this.viaChannelsFirst ? (shapeSize(g.outputShape) / g.batch) * 4 : 0;
    // Weights past the cache go in blocks of channel tiles (tileBlockFor), their units tile-major so that a
    // thread's chunks hold whole blocks' weights rather than bands of rows each re-reading all of them.
    const tileBlock = strategy === 'direct' ? tileBlockFor(this.rows, K, this.channelTiles / p.groups, (paddedLen || shapeSize(g.inputShape) / g.batch) * 4) : 0;
    // Bands need the row-major units of one group; channels-last runs transpose a whole image after. With
    // threads, two buffers, so that copying one band out overlaps computing the next (output-bands.ts).
    const bandRows = strategy === 'direct' && p.groups === 1 && !yCfBytes && !tileBlock ? bandRowsFor(p.outChannels, OD * OH, OW, threads) : 0;
    const bandBuffers = threads > 1 ? 2 : 1;
    const bandBytes = bandRows ? OutputBands.bytesFor(bandBuffers, p.outChannels, bandRows, OD * OH, OW) : 0;
    // Staging for `run` (allocated on its first call) counts too, so a refused shape allocates nothing.
    heap.ensureFits([
      [shapeSize(g.inputShape) * 4 + STAGING_SPARE, 'input'],
      [shapeSize(g.outputShape) * 4 + STAGING_SPARE, 'output'],
      ...Array.from({ length: threads }, () => [panelBytes, 'workspace'] as const),
      [paddedLen * 4, 'workspace'],
      [offsetBytes, 'workspace'],
      [yCfBytes, 'workspace'],
      [queueBytes, 'workspace'],
      [bandBytes, 'workspace'],
    ]);
    const panels = Array.from({ length: threads }, () => (panelBytes ? heap.alloc(panelBytes, 'workspace') : 0));
    const padded = paddedLen ? heap.alloc(paddedLen * 4, 'workspace') : 0;
    // Zero borders are written once here; per image only the interior is copied (copy_into_padded).
    if (padded) heap.f32(padded, paddedLen).fill(0);
    const offsets = offsetBytes ? heap.alloc(offsetBytes, 'workspace') : 0;
    const yCf = yCfBytes ? heap.alloc(yCfBytes, 'workspace') : 0;
    const queue = workQueueFor(this.rt, threads);
    this.workspaceBytes = panelBytes * panels.length + paddedLen * 4 + offsetBytes + yCfBytes + queueBytes + bandBytes;
    const padTogether = strategy === 'direct' && queue !== 0 && padded !== 0 && !this.viaChannelsFirst && !padsByCopy(p);

    const [D, H, W] = recut ? [1, pixels / recut, recut] : to3d(needsPadded ? paddedSize : g.inSize, 1);
    const [KD, KH, KW] = to3d(p.kernel, 1);
    const [DD, DH, DW] = to3d(p.dilation, 1);
    const { min: lo, max: hi } = p.clamp;
    const [ID, IH, IW] = to3d(g.inSize, 1);
    const padBefore = to3d(p.padBefore, 0);
    const padAfter = to3d(p.padAfter, 0);
    const copy: PaddedCopy = { C: p.inChannels, D: ID, H: IH, W: IW, PD: padBefore[0], PH: padBefore[1], PW: padBefore[2], Dp: ID + padBefore[0] + padAfter[0], Hp: IH + padBefore[1] + padAfter[1], SW: phases, segW: segment };
    let calls: Array<ConvDirectCfArgs | ConvGemmCfArgs | ConvGemmClArgs>;
    const common = { x: 0, w: this.weights, bias: this.bias, y: 0, cout: p.outChannels, OD, OH, OW, groups: p.groups, lo, hi, queue };
    if (strategy === 'direct') {
      kernels.direct_tap_offsets(p.inChannels / p.groups, KD, KH, KW, DD, DH, DW, D, H, phases, segment, offsets);
      calls = panels.map((tile) =>
        ConvDirectCfArgs.create(heap, {
          ...common,
          ...{ cin: p.inChannels, Dp: D, Hp: H, Wq: phases * segment, SD, SH, offsets, taps, rows: this.rows, tile },
          // Units in row-major order with one group (assembly/direct.ts has the measurements), else tile-major;
          // tile-major in blocks too.
          ...{ uBegin: 0, uEnd: units, src: 0, rowMajor: p.groups === 1 && !tileBlock ? 1 : 0, row0: 0, bandStride: 0, tileBlock },
        }),
      );
      // With threads, they copy a zero-padded input into the padded image together (assembly/direct.ts
      // padTogether); the copy's geometry goes after the queue block's queues.
      if (padTogether) heap.i32.set([ID, IH, IW, ...padBefore, phases, segment], (queue >> 2) + 8);
    } else {
      // On a padded copy the kernels see no padding.
      const [PD, PH, PW] = needsPadded ? [0, 0, 0] : to3d(p.padBefore, 0);
      const geometry = { ...common, cin: p.inChannels, D, H, W, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, pBegin: 0, pEnd: units };
      calls = panels.map((panel) =>
        this.channelsLast
          ? ConvGemmClArgs.create(heap, { ...geometry, panel, mc: block, direct: inPlace ? 1 : 0 })
          : ConvGemmCfArgs.create(heap, { ...geometry, rows: this.rows, panel, nc: block }),
      );
    }
    this.threads = calls.length;
    this.lastStrategy = inPlace ? 'inPlace' : strategy;
    this.lastBandRows = bandRows;
    this.lastTileBlock = tileBlock;
    this.lastRecut = recut;
    const shape: Shape = { strategy, panels, padded, phases, segment, copy, offsets, calls, yCf, queue, padTogether, rows: OD * OH, rowLength: OW };
    const bands = bandRows ? this.bandsFor(g, shape, bandRows) : undefined;
    const job = this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst), { bands });
    return { ...shape, job, blocks: [padded, offsets, yCf, queue, ...panels] };
  }

  /** The kernel calls, from the input at byte offset `x` to the output at `y` (both in wasm memory). */
  private compute(g: ConvGeometry, prep: Shape, x: number, y: number): void {
    const { kernels } = this.rt;
    const p = g.params;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    for (let n = 0; n < g.batch; n++) {
      const dst = y + n * outImage;
      this.setImage(g, prep, x, n, prep.yCf || dst);
      runCalls(this.rt, prep.calls, prep.queue);
      if (prep.yCf) kernels.transpose_block(prep.yCf, outImage / 4 / p.outChannels, dst, p.outChannels, p.outChannels, outImage / 4 / p.outChannels);
    }
  }

  /**
   * A large output not in wasm memory goes out band by band (BAND_BYTES says why): each band of output rows
   * is computed into a band buffer and copied from there into `out` (runner.ts), instead of the whole output
   * into the staging buffer and then out. Bands need the direct path's row-major units.
   */
  private bandsFor(g: ConvGeometry, shape: Shape, bandRows: number): BandedOutput {
    const tiles = this.channelTiles;
    const calls = shape.calls as ConvDirectCfArgs[];
    return {
      channels: g.params.outChannels,
      rows: shape.rows,
      rowLength: shape.rowLength,
      bandRows,
      calls,
      queue: shape.queue,
      band: (x, n, r0, r1, y, stride) => {
        // The input is padded (together) once per image, by its first band's calls.
        if (r0 === 0) this.setImage(g, shape, x, n, y);
        for (const call of calls) {
          call.y = y;
          if (r0 > 0) call.src = 0;
          call.uBegin = r0 * tiles;
          call.uEnd = r1 * tiles;
          call.row0 = r0;
          call.bandStride = stride;
        }
      },
      unband: () => {
        for (const call of calls) setArgs(call, { uBegin: 0, uEnd: shape.rows * tiles, row0: 0, bandStride: 0 });
      },
    };
  }

  /** Points the calls at image n of the input at `x` (padding it first where the kernels read a padded copy) and at output `y`. */
  private setImage(g: ConvGeometry, prep: Shape, x: number, n: number, y: number): void {
    const { kernels } = this.rt;
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    let src = x + n * inImage;
    let shared = 0; // the image the direct kernel's threads pad together (else 0)
    if (needsPadCopy(g)) {
      padImage(this.rt, g, src, prep.padded);
      src = prep.padded;
    } else if (prep.padTogether) {
      shared = src;
      src = prep.padded;
    } else if (prep.padded) {
      copyIntoPadded(kernels, this.viaChannelsFirst, src, prep.padded, prep.copy);
      src = prep.padded;
    }
    for (const call of prep.calls) {
      call.x = src;
      call.y = y;
      if (call.driver === 'conv_direct_cf') call.src = shared;
    }
  }
}
