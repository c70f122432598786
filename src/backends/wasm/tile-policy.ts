/**
 * The wasm backend's tile policy in one place (XNNPACK's gemm-config.c is the model): which panel height a
 * kernel runs, which strategy the GEMM plan takes, how large its blocks, bands and chunks are, and when work
 * is split across threads. Plans ask here; they do not decide these themselves. Every number was set by
 * paired A/B runs: docs/PERFORMANCE.md, "Tuning decisions", has the figures.
 */
import { hasPadding, padsByCopy } from '../../lowering.js';
import { type ConvParams, shapeSize } from '../../shape.js';
import type { WasmBuild } from './module.js';

/** Target size of an im2col panel, a transposed conv's block of input, a Winograd block of V: L2-sized. */
export const PANEL_BYTES = 256 * 1024;

/**
 * The 6x8 tile's throughput per product against the 4x8's, by build: the relaxed build's fused multiply-add keeps
 * the 6x8 ahead; on the SIMD128 build, a multiply and an add per product, its 24 arithmetic ops, 8 loads and a
 * spilled accumulator per step outrun what the core issues (docs/PERFORMANCE.md, "Tuning decisions").
 */
const SIX_ROW_RATE: Record<WasmBuild, number> = { relaxed: 1.2, simd128: 0.75 };

/**
 * Rows (output channels) per channels-first weight panel: 6 (the 6x8 tile) where its rate outweighs the padding
 * rows it adds over 4-row panels, else 4: on the relaxed build 6 but for 1-4, 7 or 8 channels per group, on the
 * SIMD128 build 4 but for 5 or 6. Without a build, the relaxed build's choice.
 */
export function rowsPerTile(coutG: number, build: WasmBuild = 'relaxed'): 4 | 6 {
  const padded = (rows: number) => Math.ceil(coutG / rows) * rows;
  return padded(6) / SIX_ROW_RATE[build] <= padded(4) ? 6 : 4;
}

/** Kernel taps from which the GEMM plan's direct path wins whatever the stride and padding. */
const DIRECT_MIN_TAPS = 3;

/**
 * Channels-last tensors on the channels-first direct path (through transposing copies): for few channels per
 * group, where the channels-last GEMM's im2col moves 3-4 values per tap and its 8-column tiles run half empty.
 */
export function viaChannelsFirst(p: ConvParams): boolean {
  const cinG = p.inChannels / p.groups;
  return p.layout === 'channels-last' && shapeSize(p.kernel) >= DIRECT_MIN_TAPS && !padsByCopy(p) && (p.groups > 1 || cinG <= 4);
}

/**
 * The GEMM plan's strategy: 'direct' (assembly/direct.ts) from 3 taps, or with fewer at stride 1 where the
 * input can be read in place (a 1x1 kernel without padding) or padded cheaply (2 taps); 'im2col'
 * (assembly/conv.ts) otherwise and for channels-last tensors. A width stride needs the phase-split copy,
 * which only the zero padding writes. `via`: the plan's viaChannelsFirst, decided once from its parameters
 * (a shape's own parameters may differ: 'same-upper' resolved to no padding), as its weights are packed for it.
 */
export function gemmStrategy(p: ConvParams, via: boolean): 'direct' | 'im2col' {
  if (via) return 'direct';
  const taps = shapeSize(p.kernel);
  const unstrided = p.stride.every((s) => s === 1);
  const stridedWidth = p.stride[p.stride.length - 1]! > 1;
  const direct = p.layout === 'channels-first' && (taps >= DIRECT_MIN_TAPS || (unstrided && (taps === 2 || !hasPadding(p)))) && (!stridedWidth || !padsByCopy(p));
  return direct ? 'direct' : 'im2col';
}

/**
 * The direct path sweeps every channel tile per pixel tile, so it streams a group's packed weights once per 8
 * output pixels: weights larger than the last-level cache keeps for a core then come from memory. So weights
 * of more than WEIGHTS_PAST_CACHE_BYTES go in blocks of channel tiles of about TILE_BLOCK_BYTES, each block
 * swept over all of its rows before the next (assembly/direct.ts tileBlock): the weights are read once, the
 * input once per block. Below, blocks cost more input reads than they save (docs/PERFORMANCE.md, "Tuning
 * decisions", weights past the cache).
 */
const WEIGHTS_PAST_CACHE_BYTES = 12 * 1024 * 1024;
const TILE_BLOCK_BYTES = 2 * 1024 * 1024;
/** Input images from which every block's sweep reads the input from memory too: no blocks. */
const BLOCKED_MAX_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * Channel tiles per block of the direct path for panels of `rows` rows over K steps, on an input image of
 * `inputBytes` (as the kernels read it), or 0 for all of them in one.
 */
export function tileBlockFor(rows: number, K: number, tilesPerGroup: number, inputBytes: number): number {
  const tileBytes = rows * K * 4;
  if (tileBytes * tilesPerGroup <= WEIGHTS_PAST_CACHE_BYTES || inputBytes > BLOCKED_MAX_INPUT_BYTES) return 0;
  return Math.max(1, Math.floor(TILE_BLOCK_BYTES / tileBytes));
}

/** Bytes of output a band holds: a band written and copied out stays in L2, a whole large output does not. */
const BAND_BYTES = 256 * 1024;
/**
 * With threads, per thread: each band's rows are shared out among the threads and one of them copies the last
 * band out first, so a band of a few rows per thread left threads idle at every band's end (figures:
 * docs/PERFORMANCE.md, 2026-12-07, second pass).
 */
const BAND_BYTES_PER_THREAD = 1024 * 1024;
/** Output images from which a run goes band by band (smaller ones stay in L2 as they are). */
const BANDED_FROM_BYTES = 2 * 1024 * 1024;

/** Rows per output band (even: the direct path's two-row tail tiles stay inside a band), or 0 for no bands. */
export function bandRowsFor(outChannels: number, rows: number, rowLength: number, threads = 1): number {
  if (outChannels * rows * rowLength * 4 < BANDED_FROM_BYTES) return 0;
  const bytes = threads > 1 ? BAND_BYTES_PER_THREAD * threads : BAND_BYTES;
  const band = Math.max(2, Math.floor(bytes / (outChannels * rowLength * 4)) & ~1);
  return band < rows ? band : 0;
}

/**
 * Row length for the direct path's view of a 1x1, stride-1 convolution that reads its input as it stands
 * (pixel i reads pixel i, so any row length will do): the smallest multiple of 8 dividing the pixel count from
 * the true row length up, else the largest below it, so that no row ends in a short tile; 0 to keep the rows.
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

/**
 * Below this many multiply-accumulates per thread a GEMM-shaped run stays on one thread. The pool's threads
 * spin between back-to-back runs (SPIN_MICROS), so a split costs a few microseconds, not a wake-up (figures:
 * docs/PERFORMANCE.md, 2026-12-07).
 */
export const MIN_MACS_PER_THREAD = 1 << 19;

/**
 * A GEMM-shaped run over fewer output pixels per image than one 8-pixel tile (a 1x1 map: DCGAN's first layer,
 * DeepLabV3's pooled ASPP branch) uses each weight once: it streams its weights from memory at a fraction of
 * the compute rate, so its multiply-adds count this many times toward MIN_MACS_PER_THREAD (two threads
 * stream faster: docs/PERFORMANCE.md, "Tuning decisions", WEIGHT_BOUND_MAC_COST).
 */
export const WEIGHT_BOUND_MAC_COST = 4;

/** The multiply-adds a GEMM-shaped run of `pixels` output pixels per image counts toward the threading threshold. */
export function gemmThreadingMacs(macs: number, pixels: number): number {
  return pixels < 8 ? macs * WEIGHT_BOUND_MAC_COST : macs;
}

/** The same for pooling and interpolation (outputs x taps): memory-bound passes over planes. */
export const MIN_MEMORY_BOUND_PER_THREAD = 1 << 21;

/**
 * The same for depthwise convolutions, their multiply-adds counted DEPTHWISE_MAC_COST times: memory-bound, and
 * their staged runs go in chunks of channels sized per thread (depthwise-conv-plan.ts chunkChannelsFor). Two
 * threads from about 260K multiply-adds: below, the split lost to its synchronisation on the networks' layers
 * (docs/PERFORMANCE.md, 2026-12-07, second pass).
 */
export const DEPTHWISE_MIN_PER_THREAD = 3 << 17;

/** A depthwise multiply-add costs about three GEMM ones: the threading threshold counts each three times. */
export const DEPTHWISE_MAC_COST = 3;

/** Input plus output bytes per chunk of channels and thread of a staged channels-first depthwise run. */
export const DEPTHWISE_CHUNK_BYTES = 512 * 1024;

/** Widest output the channel-blocked depthwise kernel takes with threads: its 4-channel units are too coarse beyond. */
export const BLOCKED_MAX_OW_THREADED = 32;

/** How long pool threads busy-wait for the next job before sleeping: a banded run's jobs come back to back. */
export const SPIN_MICROS = 50;
