// Direct convolution, channels-first: no im2col. The input is a padded image (zero padding, or the
// reflect/replicate/circular copy from pad.ts), so every tap of every output pixel is in bounds, and eight
// consecutive output pixels read eight consecutive inputs: one pair of v128 loads per (channel, tap), straight
// from the image. A table holds each (channel, tap)'s byte offset inside the group's padded image, so one loop
// serves 1-D, 2-D and 3-D kernels with any dilation.
//
// Strides. Along depth and height a stride only changes which rows an output row reads. Along the width, the
// padded copy is split by phase (copy_into_padded with SW > 1): each padded row of Wp columns is stored as SW
// segments of segW = ceil(Wp / SW), column c at segment c % SW, position c / SW. Output column ow's tap e
// reads column ow * SW + e * DW, which is position ow + (e * DW) / SW of segment (e * DW) % SW: consecutive
// output pixels again read consecutive values, and the phase is folded into the tap's offset.
//
// Weights are the GEMM path's packed A panels ([tile][c][taps][rows], gemm.ts pack_a), so a plan can take
// either path per input shape without repacking (tile-policy.ts gemmStrategy; the measurements are in docs/PERFORMANCE.md).
import { copyFloats } from './simd';
import { gemm_packed_a } from './gemm';
import { gemv_packed_a } from './gemv';
import { direct_tile_4x4x2, direct_tile_4x8, direct_tile_6x4, direct_tile_6x4x2, direct_tile_6x8 } from './gen/tiles';
import { chunkEnd, finish, firstChunk, nextChunk, waitFinished } from './schedule';

// Byte offsets of each reduction step (c, a, b, e) inside one group's padded image [cinG][Dp][Hp][SW * segW],
// dilation and width phases applied: one flat table, so the microkernel runs a single loop over cinG x taps.
// Nested channel and tap loops made TurboFan hoist the six weight splats of the next step above the multiply-adds and spill accumulators
// (seen with --print-wasm-code); the flat loop keeps all twelve in registers.
export function direct_tap_offsets(
  cinG: i32, KD: i32, KH: i32, KW: i32, DD: i32, DH: i32, DW: i32, Dp: i32, Hp: i32, SW: i32, segW: i32, dst: usize,
): void {
  const Wq = SW * segW;
  const plane = Dp * Hp * Wq;
  for (let c = 0; c < cinG; c++) {
    for (let a = 0; a < KD; a++) {
      for (let b = 0; b < KH; b++) {
        for (let e = 0; e < KW; e++) {
          const col = e * DW;
          const phase = col % SW;
          store<u32>(dst, <u32>(c * plane + (a * DD * Hp + b * DH) * Wq + phase * segW + col / SW) << 2);
          dst += 4;
        }
      }
    }
  }
}

// The tiles (direct_tile_6x8, _4x8, _6x4, _6x4x2, _4x4x2) are generated from the GEMM tiles' template
// (scripts/templates/tiles.mjs): gemm_6x8_packed_a's body with B read through the offset table. They are
// exported from the module so that Binaryen keeps each a function of its own rather than inlining it into the
// row loops: inlined, TurboFan allocated registers over the whole driver, ran out of general registers for the
// six splat bases and spilled accumulators inside the loop (half speed); on its own the loop keeps all twelve
// in xmm registers. The two-row tiles (_6x4x2, _4x4x2) cover rows ending in 1..4 pixels with twelve (eight)
// accumulators like a full tile instead of the 6x4 tile's six (which ran at about half the 6x8 tile's rate and
// took 17% of conv3d 64->64 28x28's time); they write to a small tile buffer for the caller to scatter: every
// epilogue that stored the two rows in place made TurboFan hoist the six splats above the multiply-adds.

// One image, or one thread's share of it: the work units [uBegin, uEnd) of the channelTiles x rows units, a row
// being one (od, oh) of the OD*OH output rows and tile t the channels of panel t % mTiles in group t / mTiles.
// Units are numbered row-major (unit = row * channelTiles + tile) when rowMajor is set, else tile-major (unit =
// tile * rows + row). The threads claim chunks of consecutive units; in either order a chunk's rows are swept
// once, every tile of the chunk per row. Row-major chunks are bands of rows: each thread reads its band of the
// image once and all the (small) weight panels per pixel tile. Tile-major chunks are channel tiles over every
// row: each chunk re-reads the whole image, which a 5.9 MB input (sep_spatial 32->64 214x214) cannot keep in
// L2. Measured at 2 threads (relaxed, the queue's guided chunks), row-major against tile-major, in two
// interleaved runs: sep_spatial 1.84x and 1.79x, dilated 1.10x and 1.11x, resnet_stem 1.11x and 1.06x,
// resnet_3x3 1.08x and 1.00x, conv3d 1.03x and 1.01x, resnet_3x3 batch 8 1.04x; but grouped 128->128 g32
// 0.88-0.96x, so the plan asks for row-major with one group only. (Before the queue, with
// static halves of the range, row-major had run 0.94-1.02x as fast.) With a `queue`
// (assembly/schedule.ts) the threads claim chunks of [uBegin, uEnd) as they go; without one this call
// computes the whole range.
// x: padded image [cin][Dp][Hp][Wq] (Wq = SW * segW, split by width phase); y: output [cout][OD][OH][OW];
// tile: this thread's buffer, max(192, 32 * cin / groups * taps) bytes: the two-row tail tiles and
// gather_tile's panel. With threads, `src` (else 0) is the unpadded image,
// which the threads first copy into x together (padTogether). With bandStride > 0, y holds only the output rows
// of one band, from row0 on, of each channel (channel co's at y + co * bandStride floats) and the units lie in
// those rows: the plan runs a large output band by band into a buffer that stays in cache (tile-policy.ts
// BAND_BYTES; output-bands.ts says why the stride may be a float longer than the band's rows). With tileBlock > 0
// the channel tiles go in blocks of that many, each block swept over all of the range's rows before the next, so
// that weights too large for the caches are read once rather than once per pixel tile (tile-policy.ts
// tileBlockFor; the plan then numbers the units tile-major).
// @driver
export function convDirectCf(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, Dp: i32, Hp: i32, Wq: i32, SD: i32, SH: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  offsets: usize, taps: i32, groups: i32, rows: i32, lo: f32, hi: f32, uBegin: i32, uEnd: i32, queue: usize, tile: usize,
  src: usize, rowMajor: i32, row0: i32, bandStride: i32, tileBlock: i32,
): void {
  if (src) padTogether(src, x, cin, Dp, Hp, Wq, queue);
  for (let b = firstChunk(queue, uBegin, uEnd); b < uEnd; b = nextChunk(queue, uEnd)) {
    directUnits(x, w, bias, y, cin, Dp, Hp, Wq, SD, SH, cout, OD, OH, OW, offsets, taps, groups, rows, lo, hi, b, chunkEnd(queue, b, uEnd), tile, rowMajor, row0, bandStride, tileBlock);
  }
}

// The first channel tile of group g (as an index into its mTiles panels, clamped to [0, mTiles]) whose unit in
// output row `row` is at or past unit u: units are tile * R + row (tile-major) or row * T + tile (row-major).
// @ts-ignore: decorator
@inline
function tileAtOrPast(u: i32, row: i32, g: i32, mTiles: i32, R: i32, T: i32, rowMajor: i32): i32 {
  const t = rowMajor ? u - row * T : (u - row + R - 1) / R;
  return min(mTiles, max(0, t - g * mTiles));
}

function directUnits(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, Dp: i32, Hp: i32, Wq: i32, SD: i32, SH: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  offsets: usize, taps: i32, groups: i32, rows: i32, lo: f32, hi: f32, uBegin: i32, uEnd: i32, tile: usize, rowMajor: i32,
  row0: i32, bandStride: i32, tileBlock: i32,
): void {
  if (uBegin >= uEnd) return;
  const cinG = cin / groups;
  const coutG = cout / groups;
  const plane = <usize>Dp * Hp * Wq << 2;
  const mTiles = (coutG + rows - 1) / rows;
  const panelA = <usize>(cinG * taps * rows) << 2;
  const R = OD * OH;
  // Floats from one output channel to the next in y: a band's (bandStride), else the whole image's (row0 0).
  const P = bandStride ? bandStride : R * OW;
  const ldc = <usize>P << 2;
  const T = groups * mTiles;
  // The groups and rows the range can touch: tile-major, the tiles of units uBegin and uEnd - 1 bound the
  // groups; row-major, their rows bound the rows.
  const gBegin = rowMajor ? 0 : uBegin / R / mTiles;
  const gEnd = rowMajor ? groups : (uEnd - 1) / R / mTiles + 1;
  const rowBegin = rowMajor ? uBegin / T : 0;
  const rowEnd = rowMajor ? (uEnd - 1) / T + 1 : R;
  const blockTiles = tileBlock > 0 ? tileBlock : mTiles;
  for (let g = gBegin; g < gEnd; g++) {
    const xg = x + <usize>(g * cinG) * plane;
    for (let t0 = 0; t0 < mTiles; t0 += blockTiles) {
      for (let row = rowBegin; row < rowEnd; row++) {
        const mBegin = max(t0, tileAtOrPast(uBegin, row, g, mTiles, R, T, rowMajor));
        const mEnd = min(t0 + blockTiles, tileAtOrPast(uEnd, row, g, mTiles, R, T, rowMajor));
        if (mBegin >= mEnd) continue;
        const od = row / OH;
        const oh = row - od * OH;
        const xrow = xg + ((<usize>(od * SD * Hp + oh * SH) * Wq) << 2);
        // Rows ending in 1..4 pixels end in two-row tiles (below).
        const owEnd = (OW & 7) != 0 && (OW & 7) <= 4 ? OW & ~7 : OW;
        // Pixel tiles outside, channel tiles inside: every channel tile reuses the pixel tile's receptive field
        // (cinG x taps pieces of 32 bytes) while the weight panels stream past it sequentially from L2. The other
        // order swept a whole row's receptive field per panel, which with the panel overflowed L1. With enough
        // channel tiles to share it, the field is first gathered into `tile` (gather_tile says why) and every
        // channel tile runs the GEMM microkernel on it.
        const gathered = (mEnd - mBegin) * rows >= GATHER_MIN_ROWS;
        for (let ow = 0; ow < owEnd; ow += 8) {
          const nr = min(8, OW - ow);
          const xt = xrow + (<usize>ow << 2);
          if (gathered) gather_tile(xt, offsets, cinG * taps, tile);
          for (let mt = mBegin; mt < mEnd; mt++) {
            const co = g * coutG + mt * rows;
            const a = w + <usize>(g * mTiles + mt) * panelA;
            const yt = y + ((<usize>co * P + <usize>(row - row0) * OW + ow) << 2);
            const mr = min(rows, coutG - mt * rows);
            const brow = bias + (<usize>co << 2);
            if (gathered) gemm_packed_a(rows, mr, nr, cinG * taps, a, tile, 32, yt, ldc, brow, lo, hi);
            else if (rows == 6) direct_tile_6x8(mr, nr, cinG * taps, xt, offsets, a, yt, ldc, brow, lo, hi);
            else direct_tile_4x8(mr, nr, cinG * taps, xt, offsets, a, yt, ldc, brow, lo, hi);
          }
        }
        if (owEnd == OW) continue;
        // The last 1..4 pixels: rows 2j and 2j + 1 share two-row tiles (6x4x2, or 4x4x2 on 4-row panels) where
        // this call has the tile in both rows (the even row computes it); elsewhere a row's tail is a 6x4 tile of
        // its own (a 4x8 one on 4-row panels).
        const pair = row ^ 1;
        let pBegin = 0, pEnd = 0;
        if (pair < R) {
          pBegin = tileAtOrPast(uBegin, pair, g, mTiles, R, T, rowMajor);
          pEnd = tileAtOrPast(uEnd, pair, g, mTiles, R, T, rowMajor);
        }
        const pd = pair / OH;
        const xpair = xg + ((<usize>(pd * SD * Hp + (pair - pd * OH) * SH) * Wq) << 2);
        const nr = OW - owEnd;
        const xt = xrow + (<usize>owEnd << 2);
        // A one-pixel tail (a 1x1 output: squeeze-excite, linear layers) runs as matrix-vector products on its
        // receptive field, gathered once past the pair tile's area (gemv.ts).
        const K = cinG * taps;
        const column = nr == 1 && K >= GEMV_MIN_STEPS ? tile + PAIR_TILE_BYTES : 0;
        if (column) for (let k = 0; k < K; k++) store<f32>(column + (<usize>k << 2), load<f32>(xt + <usize>load<i32>(offsets + (<usize>k << 2))));
        for (let mt = mBegin; mt < mEnd; mt++) {
          const paired = mt >= pBegin && mt < pEnd;
          if (paired && (row & 1)) continue;
          const co = g * coutG + mt * rows;
          const a = w + <usize>(g * mTiles + mt) * panelA;
          const yt = y + ((<usize>co * P + <usize>(row - row0) * OW + owEnd) << 2);
          const mr = min(rows, coutG - mt * rows);
          const brow = bias + (<usize>co << 2);
          if (column && !paired) {
            gemv_packed_a(rows, mr, K, a, column, 4, yt, ldc, brow, lo, hi);
          } else if (paired) {
            if (rows == 6) direct_tile_6x4x2(mr, cinG * taps, xt, xpair - xrow, offsets, a, tile, brow, lo, hi);
            else direct_tile_4x4x2(mr, cinG * taps, xt, xpair - xrow, offsets, a, tile, brow, lo, hi);
            scatterPairTile(tile, mr, nr, yt, ldc, <usize>OW << 2);
          } else if (rows == 6) {
            direct_tile_6x4(mr, nr, cinG * taps, xt, offsets, a, yt, ldc, brow, lo, hi);
          } else {
            direct_tile_4x8(mr, nr, cinG * taps, xt, offsets, a, yt, ldc, brow, lo, hi);
          }
        }
      }
    }
  }
}

// Channel-tile rows from which a pixel tile's receptive field is gathered (gather_tile): with fewer, the copy costs
// about what the contiguous reads save. Gathered against read in place (paired, relaxed, one thread; tiles,
// reduction length K): 2 tiles 0.90-0.93x; 3 tiles 0.98x (K 2304, 576), 0.91x (K 288); 4 tiles 1.02x (K 256,
// 576), 0.94-0.96x (K 288, 144); 5 tiles 0.96-0.98x (K 288, 144); 8 tiles 1.08x (K 288), 1.01x (K 144);
// 11 tiles 1.07-1.10x (K 576, 96, 147), 0.98-1.00x (K 72, 27). Counted in panel rows (six 6-row tiles), so
// that 4-row panels (the SIMD128 build's, tile-policy.ts rowsPerTile) gather from nine.
const GATHER_MIN_ROWS = 36;

// Bytes of the two-row tail tiles' output at the head of `tile`; a one-pixel tail's gathered column follows it,
// which the buffer (32 bytes per reduction step) holds from GEMV_MIN_STEPS steps.
const PAIR_TILE_BYTES: usize = 192;
const GEMV_MIN_STEPS = 8;

// Copies one 8-pixel tile's receptive field, the 32 bytes of each of `steps` (channel, tap) reduction steps,
// into `dst` as one contiguous [steps][8] panel: the B operand of gemm_6x8/4x8_packed_a (ldb 32), shared by every
// channel tile of the pixel tile. Read in place, the field is `steps` scattered pieces of rows in channel planes
// that the streaming weight panels evict from L1 between two channel tiles; gathered, it is one sequential
// block. Paired A/B against reading in place (bench/ab-builds.mjs, one thread, relaxed / SIMD128): resnet_3x3
// 1.07x / 1.05x, dilated 1.09x / 1.07x, sep_spatial 1.10x / 1.13x, conv3d 1.07x / 1.05x, resnet_stem
// 1.06x / 1.01x; two threads (relaxed): resnet_3x3 1.06x, sep_spatial 1.07x, conv3d 1.00x, resnet_stem 1.02x.
// The copy is 2 loads and 2 stores per step against a channel tile's 8 loads and 12 multiply-adds.
function gather_tile(x: usize, offsets: usize, steps: i32, dst: usize): void {
  const end = offsets + (<usize>steps << 2);
  for (let t = offsets; t < end; t += 4) {
    const src = x + <usize>load<u32>(t);
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
    dst += 32;
  }
}

// Copies image `src` [cin][D][H][W] into the padded image x (copy_into_padded), the threads claiming channels
// from the queue block's second queue, and returns once all are copied: every unit reads every channel. The
// copy's geometry is in the block too, 8 i32s from byte 32: D, H, W, PD, PH, PW, SW, segW. Done by one
// thread before the threads started, the copy took 3-5% of a two-thread run of resnet_3x3 (batch 1 and 8).
function padTogether(src: usize, x: usize, cin: i32, Dp: i32, Hp: i32, Wq: i32, queue: usize): void {
  const D = load<i32>(queue, 32), H = load<i32>(queue, 36), W = load<i32>(queue, 40);
  const PD = load<i32>(queue, 44), PH = load<i32>(queue, 48), PW = load<i32>(queue, 52);
  const SW = load<i32>(queue, 56), segW = load<i32>(queue, 60);
  const inPlane = <usize>D * H * W << 2;
  const outPlane = <usize>Dp * Hp * Wq << 2;
  const channels = queue + 16;
  for (let b = firstChunk(channels, 0, cin); b < cin; b = nextChunk(channels, cin)) {
    const e = chunkEnd(channels, b, cin);
    copy_into_padded(src + <usize>b * inPlane, x + <usize>b * outPlane, e - b, D, H, W, PD, PH, PW, Dp, Hp, SW, segW);
    finish(queue, e - b);
  }
  waitFinished(queue, cin);
}

// Stores direct_tile_6x4x2's tile: the first nr (1..4) values of each of mr rows of 8 at c (row r at r * ldc),
// and the next four's first nr at c + c1.
function scatterPairTile(tile: usize, mr: i32, nr: i32, c: usize, ldc: usize, c1: usize): void {
  for (let r = 0; r < mr; r++) {
    const src = tile + (<usize>r << 5);
    const dst = c + <usize>r * ldc;
    if (nr == 4) {
      v128.store(dst, v128.load(src));
      v128.store(dst + c1, v128.load(src, 16));
    } else {
      for (let i = 0; i < nr; i++) {
        store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
        store<f32>(dst + c1 + (<usize>i << 2), load<f32>(src + (<usize>i << 2), 16));
      }
    }
  }
}

// Copies an image [C][D][H][W] into the interior of a zero-bordered buffer [C][Dp][Hp][SW * segW] whose
// borders were zeroed once when the plan sized it (they are never written again). With SW > 1 each row is split
// by width phase (padded column c to segment c % SW, position c / SW; see the top of this file).
export function copy_into_padded(
  x: usize, y: usize, C: i32, D: i32, H: i32, W: i32, PD: i32, PH: i32, PW: i32, Dp: i32, Hp: i32, SW: i32, segW: i32,
): void {
  const rowBytes = <usize>W << 2;
  const Wq = SW * segW;
  for (let c = 0; c < C; c++) {
    for (let d = 0; d < D; d++) {
      for (let h = 0; h < H; h++) {
        const row = y + ((<usize>(((c * Dp + d + PD) * Hp + h + PH) * Wq)) << 2);
        if (SW == 1) {
          copyFloats(row + (<usize>PW << 2), x, W);
          x += rowBytes;
        } else {
          let i = 0;
          if (SW == 2) {
            // Eight columns at a time: the even ones go to one segment, the odd ones to the other.
            const even = row + (<usize>((PW & 1) * segW + (PW >> 1)) << 2);
            const odd = row + (<usize>(((PW + 1) & 1) * segW + ((PW + 1) >> 1)) << 2);
            for (; i + 8 <= W; i += 8) {
              const l0 = v128.load(x);
              const l1 = v128.load(x, 16);
              v128.store(even + (<usize>i << 1), v128.shuffle<f32>(l0, l1, 0, 2, 4, 6));
              v128.store(odd + (<usize>i << 1), v128.shuffle<f32>(l0, l1, 1, 3, 5, 7));
              x += 32;
            }
          }
          let phase = (PW + i) % SW;
          let pos = (PW + i) / SW;
          for (; i < W; i++) {
            store<f32>(row + ((<usize>(phase * segW + pos)) << 2), load<f32>(x));
            x += 4;
            if (++phase == SW) {
              phase = 0;
              pos++;
            }
          }
        }
      }
    }
  }
}
