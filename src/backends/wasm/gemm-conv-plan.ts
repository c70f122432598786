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
import { type KernelInfo, type PlanInfo, describeKernel } from '../../plan.js';
import { hasPadding, padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';
import { type PaddedCopy, copyIntoPadded, needsPadCopy, padImage } from './pad-copy.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { ConvDirectCfArgs, ConvGemmCfArgs, ConvGemmClArgs } from './gen/kernels.js';
import { setArgs } from './kernel-args.js';

import { OutputBands } from './output-bands.js';
import { WasmPlan } from './wasm-plan.js';
import type { BandedOutput, RunJob } from './runner.js';
import { STAGING_SPARE, Staging } from './staging.js';
import type { WasmRuntime } from './runtime.js';
import type { WasmBuild } from './module.js';

/** Target size of the im2col panel: small enough to stay in L2 while the microkernel sweeps it. */
export const PANEL_BYTES = 256 * 1024;

/**
 * Output channels per group from which the SIMD128 build's convolution panels have 4 rows: there, with a
 * multiply and an add per product, the 6x8 tile's 24 arithmetic ops, 8 loads and one spilled accumulator per
 * step outrun what the core issues, and on gathered receptive fields (assembly/direct.ts, which gathers from
 * 36 panel rows) the 4x8 tile ran faster. Paired, SIMD128, one thread, 4x8 against 6x8: resnet_3x3 1.13x,
 * dilated 1.15x, resnet_stem 1.11x, sep_spatial 1.08x, pointwise 0.98x (L1-resident probe on gathered panels:
 * 21.8 against 17.9 GFLOP/s); below it (LeNet's 6 channels: 0.83x) the usual choice stands. The relaxed build
 * keeps 6x8, which there ran 1.13x the 4x8 on the same probe. On a later machine of this kind (CPU family 26)
 * the SIMD128 6x8 tile ran 0.64-0.71x the 4x8 on the dense layers; the transposed and Winograd plans, which had
 * kept 6-row panels on SIMD128 too, ran 1.50x (transposed; 1.48x at two threads) and 1.03-1.08x (Winograd) on 4.
 */
const SIMD128_4_ROWS_FROM = 36;

/**
 * Rows (output channels) per channels-first weight panel: 6 (the 6x8 microkernel, ~1.2x the 4x8's throughput)
 * unless 4-row panels waste less than that gain on padding rows, as with 4 or 8 channels per group, where a
 * 6-row tile computes a third or half of its rows for nothing; on the SIMD128 build, 4 from
 * SIMD128_4_ROWS_FROM channels per group. Without a build, the relaxed build's choice.
 */
export function rowsPerTile(coutG: number, build: WasmBuild = 'relaxed'): 4 | 6 {
  if (build === 'simd128' && coutG >= SIMD128_4_ROWS_FROM) return 4;
  const padded = (rows: number) => Math.ceil(coutG / rows) * rows;
  return padded(6) / 1.2 <= padded(4) ? 6 : 4;
}

/** Kernel taps from which the direct path wins whatever the stride and padding (see strategyFor). */
const DIRECT_MIN_TAPS = 3;


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

interface Prepared extends Shape {
  readonly job: RunJob;
}

/**
 * Bytes of output a band holds. A large output written whole to the staging buffer and then copied out ran at
 * 0.75 of the microkernel's L1 speed (sep_spatial, 11.6 MB), against 0.89 for an output the size of a band:
 * written band by band into a buffer that stays in L2 and copied out from there, the kernel's stores and the
 * copy's loads hit the cache instead of memory. 256 KiB against 512 (paired, both orders): two threads,
 * sep_spatial relaxed 1.04-1.07x, SIMD128 1.03-1.04x (the copy of the last band, which nothing overlaps, is
 * half as long), resnet_stem 1.00-1.02x / 0.99-1.00x; one thread 0.99-1.01x on both. 128 KiB: resnet_stem
 * 0.98x at two threads.
 */
const BAND_BYTES = 256 * 1024;
/**
 * Output images from which `run` goes band by band (smaller ones stay in L2 as they are). Batches of smaller
 * images in bands of whole images gained nothing (paired, relaxed, resnet_3x3 batch 8: one thread 0.99-1.00x,
 * two threads 0.99-1.04x).
 */
const BANDED_FROM_BYTES = 2 * 1024 * 1024;

/** Rows per band (even: the direct path's two-row tail tiles stay inside a band), or 0 for no bands. */
function bandRowsFor(outChannels: number, rows: number, rowLength: number): number {
  if (outChannels * rows * rowLength * 4 < BANDED_FROM_BYTES) return 0;
  const band = Math.max(2, Math.floor(BAND_BYTES / (outChannels * rowLength * 4)) & ~1);
  return band < rows ? band : 0;
}

/**
 * Row length for the direct path's view of a 1x1, stride-1 convolution that reads its input as it stands:
 * output pixel i reads input pixel i, so the pixels can be cut into rows of any length. A multiple of 8
 * dividing the pixel count leaves no row a short last tile (28x28: rows of 56 instead of 28, whose last
 * 4 pixels ran an 8-pixel tile on the SIMD128 build's 4-row panels, or the 6x4x2 tail tiles read in place):
 * the smallest such length from the true row length up, else the largest below it; 0 to keep the rows.
 * Paired, both orders (pointwise 256->256 28x28, input in wasm memory): SIMD128 1.14-1.15x on one thread,
 * 1.11-1.12x on two; relaxed 0.97-1.06x on one, 1.04x on two.
 */
export function recutRowLength(pixels: number, rowLength: number): number {
  if (rowLength % 8 === 0) return 0;
  let below = 0;
  for (let w = 8; w <= pixels / 2; w += 8) {
    if (pixels % w !== 0) continue;
    if (w >= rowLength) return w;
    below = w;
  }
  return below;
}

export class WasmGemmConvPlan extends WasmPlan<Prepared> {
  private readonly weights: number;
  private readonly bias: number;
  private readonly channelsLast: boolean;
  /**
   * Channels-last tensors on the channels-first direct path, through a transposing pad copy and a transpose of
   * the output: for few channels per group, where the channels-last GEMM's im2col moves 3-4 values per tap and
   * its 8-column tiles run half empty. Measured against the channels-last GEMM (relaxed, one thread): grouped
   * 128->128 g32 56x56 3x3 3.8x, resnet_stem (3 channels) 1.35x, lenet_c1 (1 channel) 8.4x; with 64 channels
   * per group the channels-first direct path is only ~1.08x ahead before the two transposes.
   */
  private readonly viaChannelsFirst: boolean;
  private readonly reduction: number;
  /** Channels-first panel height (rowsPerTile); channels-last panels are 8 columns wide. */
  private readonly rows: 4 | 6;
  /** Weight panels over all groups: the direct path's unit of work per thread. */
  private readonly channelTiles: number;
  private readonly weightBytes: number;
  private workspaceBytes = 0;
  private cachedCalls = 1;
  private lastStrategy: Strategy | 'inPlace' = 'im2col';
  /** Rows per output band of the last shape prepared (0: not banded). */
  private lastBandRows = 0;
  /** The row length the last shape's pixels were re-cut to (0: its own rows). */
  private lastRecut = 0;

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params);
    const { heap, kernels } = rt;
    const { groups, outChannels: cout, inChannels: cin } = params;
    const coutG = cout / groups;
    const cinG = cin / groups;
    const taps = shapeSize(params.kernel);
    const K = cinG * taps;
    this.reduction = K;
    this.channelsLast = params.layout === 'channels-last';
    this.viaChannelsFirst = this.channelsLast && taps >= DIRECT_MIN_TAPS && !padsByCopy(params) && (groups > 1 || cinG <= 4);
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
    // Bias padded by a full tile so the microkernel's vector bias loads stay in bounds.
    this.bias = heap.alloc((cout + 8) * 4, 'bias');
    const biasView = heap.f32(this.bias, cout + 8);
    biasView.fill(0);
    if (params.bias) biasView.set(params.bias);

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
    this.weightBytes = groups * tiles * panelBytes;
    this.weights = heap.alloc(this.weightBytes, 'weight');
    for (let g = 0; g < groups; g++) {
      const from = raw + g * coutG * K * 4;
      const to = this.weights + g * tiles * panelBytes;
      if (packedB) kernels.pack_b_8(from, K, coutG, K, to);
      else kernels.pack_a(from, K, coutG, K, this.rows, to);
    }
    heap.release(raw);
    this.weightBytes += (cout + 8) * 4;
  }

  /** Weights packed for the channels-last GEMM (8-column panels), else for the channels-first kernels. */
  private get packsB(): boolean {
    return this.channelsLast && !this.viaChannelsFirst;
  }

  get info(): PlanInfo {
    const p = this.params;
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
      },
    };
    return { backend: 'wasm', ...kernel, kernel: describeKernel(kernel), weightBytes: this.weightBytes, workspaceBytes: this.workspaceBytes, threads: this.cachedCalls };
  }

  /** Channels-last 1x1, stride 1, unpadded: the input rows are the GEMM's A operand as they stand. */
  private readsInputInPlace(g: ConvGeometry): boolean {
    const p = g.params;
    return this.channelsLast && p.kernel.every((k) => k === 1) && p.stride.every((s) => s === 1) && !hasPadding(p);
  }

  /**
   * Measured side by side (relaxed build, one thread). With the 4x8 tile and channel tiles outside pixel tiles,
   * direct beat im2col on 3x3 (resnet 64->64: 29 vs 18 GFLOP/s; grouped g32: 13.6 vs 6.7; dilated: 28 vs 24)
   * but lost on pointwise (10 vs 26), (3,1) and conv3d. With the 6x8 tile swept pixel tile by pixel tile (the
   * tile's receptive field stays in L1), direct is ahead from 3 taps, 3-D included: sep_spatial (3,1) 25.5-27.1
   * vs 22.3-25.1, conv3d 3x3x3 20.0-26.0 vs 17.2-25.2 over three runs, never behind.
   * Since the direct path gathers a pixel tile's receptive field for its channel tiles (assembly/direct.ts
   * gather_tile), it is ahead from 1 tap too where it reads the input in place (paired, relaxed, one thread):
   * 1x1 256->256 28x28 1.04-1.05x (two threads 1.03x), 64->256 56x56 1.05x, 96->64 58x56 1.17x, 1x1 groups 3 /
   * 8 / 32 1.06x / 1.14x / 1.26x, and with few output channels, where im2col repacks the whole input for one or
   * two panels, 256->6 3.5x, 256->12 2.2x; 1x2 and 2x1 kernels 1.18x unpadded, 1.04x padded. A 1x1 kernel
   * with padding (0.97x) or a stride (256->512 s2 0.86x, 64->128 s2 0.98x: the phase copy reads the whole
   * input) stays on im2col, and so do strided 2-tap kernels (not measured; the same copy).
   * Strided, on the width-phase copy (assembly/direct.ts), against im2col in one run: resnet_stem 7x7 s2
   * 1.23-1.27x over three runs, 5x5 s2 16->32 1.64x, 3x3 s2 32->64 112x112 1.21x, 3->32 224x224 1.13x,
   * 256->256 28x28 1.06x, 64->128 56x56 0.95x (noise level), 3x3 s3 1.02x.
   */
  private strategyFor(g: ConvGeometry): Strategy {
    if (this.viaChannelsFirst) return 'direct';
    const p = g.params;
    // A width stride needs the phase-split copy, which only the zero padding writes (copy_into_padded).
    const stridedWidth = p.stride[p.stride.length - 1]! > 1;
    const taps = shapeSize(p.kernel);
    const unstrided = p.stride.every((s) => s === 1);
    const direct = !this.channelsLast && (taps >= DIRECT_MIN_TAPS || (unstrided && (taps === 2 || !hasPadding(p)))) && (!stridedWidth || !padsByCopy(p));
    return direct ? 'direct' : 'im2col';
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap, kernels } = this.rt;
    const p = g.params;
    const strategy = this.strategyFor(g);
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
    const threads = threadsFor(this.rt, g.macs / g.batch);
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
    // Bands need the row-major units of one group; channels-last runs transpose a whole image after. With
    // threads, two buffers, so that copying one band out overlaps computing the next (output-bands.ts).
    const bandRows = strategy === 'direct' && p.groups === 1 && !yCfBytes ? bandRowsFor(p.outChannels, OD * OH, OW) : 0;
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
          // Units in row-major order with one group (assembly/direct.ts has the measurements), else tile-major.
          ...{ uBegin: 0, uEnd: units, src: 0, rowMajor: p.groups === 1 ? 1 : 0, row0: 0, bandStride: 0 },
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
    this.cachedCalls = calls.length;
    this.lastStrategy = inPlace ? 'inPlace' : strategy;
    this.lastBandRows = bandRows;
    this.lastRecut = recut;
    const shape: Shape = { strategy, panels, padded, phases, segment, copy, offsets, calls, yCf, queue, padTogether, rows: OD * OH, rowLength: OW };
    const job: RunJob = { batch: g.batch, staging: new Staging(heap), images: (src, dst) => this.compute(g, shape, src, dst) };
    return { ...shape, job: bandRows ? { ...job, bands: this.bandsFor(g, shape, bandRows) } : job };
  }

  protected releaseWorkspace(prep: Prepared): void {
    const { heap } = this.rt;
    for (const ptr of [prep.padded, prep.offsets, prep.yCf, prep.queue, ...prep.panels]) if (ptr) heap.release(ptr);
    for (const call of prep.calls) call.release();
  }

  protected releaseWeights(): void {
    this.rt.heap.release(this.weights);
    this.rt.heap.release(this.bias);
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
