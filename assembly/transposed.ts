// Transposed convolution (convTranspose1d/2d/3d) as stride-phase sub-convolutions on an implicit GEMM.
//
// Why not GEMM + col2im. col2im computes cols = W^T X (Cout/g * taps rows, K = Cin/g) and then
// scatter-adds every column element into the output: K is only Cin/g (short dot products), the cols matrix
// is taps times the input's size and is written and read back once more, the scatter-add is strided (not SIMD)
// whenever the stride is > 1, and bias/activation need an extra pass over the output because an element is
// only final after the last overlapping tile.
//
// Phases instead. Along one axis, y[o] += x[i] * w[t] for o = i*s - p + t*d. Split the outputs by phase
// r = o mod s, o = r + s*j: the taps reaching phase r are T_r = {t : (r + p - t*d) mod s == 0}, each reading
// input i = j + off_t with off_t = (r + p - t*d) / s. So every phase is an ordinary stride-1 correlation of
// the input with a sub-kernel (the taps T_r, in any order) - no zero insertion (no products with inserted
// zeros, only with the border padding), and each output element is one complete dot product of length
// (Cin/g) * |T_phase|, written once with bias and the activation fused into the microkernel's epilogue.
// 3-D phases are products of the per-axis ones.
//
// Implicit GEMM, no im2col. The host (channels-first with threads: the threads, together) builds a zero-padded
// (or cropped) copy of the image covering exactly the input range the phases read, so a tap is a constant
// offset into it; the kernels below walk the taps and channels as the reduction (K = taps * Cin/g), reading the
// padded input in place:
// - channels-first: C = A[Cout/g x K] * B[K x pixels]; A are weights packed per phase [tap][ci][rows] (6 output
//   channels per panel, or 4: tile-policy.ts rowsPerTile), B rows are input rows shifted by each tap's
//   offset; a tile is 8 consecutive phase pixels of one output row, stored with the phase's output stride
//   (contiguous when the stride is 1). With more than one 4-channel panel, or 6-channel ones, a block of
//   tiles' B is first gathered into a contiguous [K][8] panel (a copy of K x 8 values per tile, reused by every
//   panel) so the microkernel never strides across channel planes; gemm.ts's 6x8 and 4x8 tiles run on it.
// - channels-last: C = A[pixels x K] * B[K x Cout/g]; A rows are pixels (Cin/g contiguous values per tap, read
//   through a per-pixel offset table), B are weights packed per phase [tap][ci][8]; a C row is one output pixel,
//   8 contiguous channels, at a per-pixel output offset - no transpose of input or output.
// The in-place channels-first tile and the channels-last tile are 4x8 (8 v128 accumulators).
// Zero taps (a phase no tap reaches) store the bias. Products with the zero padding add exact zeros, as
// im2col does for ordinary convolutions (so, as there, a non-finite weight times a padded zero gives NaN).
//
// Phase table (i32 words, built by the host per input shape; byte offsets already scaled for the layout):
//   [Jd, Jh, Jw, outBase, ntaps, weightOffsetBytes, 0, 0, tapOffsetBytes x ntaps] per phase, back to back.
// outBase is the phase's first output pixel (rd*OH*OW + rh*OW + rw); phase pixel (jd, jh, jw) is output
// pixel outBase + jd*SD*OH*OW + jh*SH*OW + jw*SW and reads padded pixel (jd*Hp + jh)*Wp + jw + tap offset.
import { copyFloats, zeroFloats } from './simd';
import { gemm_packed_a } from './gemm';
import { tconv_tile_cf, tconv_tile_cl } from './gen/tiles';
import { chunkEnd, finish, firstChunk, nextChunk, waitFinished } from './schedule';

const HEADER: i32 = 8;
// Bytes of the output tile buffer at the head of a packed panel (6 rows x 8 lanes).
export const TILE_BYTES: usize = 192;

// The tiles tconv_tile_cf (channels-first 4x8 reading B in place, for a single 4-channel panel: packing B
// there to share gemm.ts's loop measured 0.65-0.71x, as nothing reuses the pack) and tconv_tile_cl
// (channels-last 4x8) come from the GEMM tiles' template (scripts/templates/tiles.mjs).

// Scatters an 8-wide tile (rows 32 bytes apart) to the output: mr rows ldc apart, nr lanes `step` bytes apart.
// The packed path computes a strided phase's tile with gemm.ts's microkernel into a small buffer and places it
// here: 6 x 8 scalar moves against the tile's 6 x 8 x K multiply-adds (under 2% at K = 512), where a copy of
// the microkernel with a strided epilogue spilled accumulators (TurboFan hoisted all six splats of the loop).
// @ts-ignore: decorator
@inline
function scatterTile(t: usize, mr: i32, nr: i32, c: usize, ldc: usize, step: usize): void {
  for (let r = 0; r < mr; r++) {
    let src = t + (<usize>r << 5);
    let dst = c + <usize>r * ldc;
    for (let j = 0; j < nr; j++) {
      store<f32>(dst, load<f32>(src));
      src += 4;
      dst += step;
    }
  }
}

// Copies one tile's B, 8 pixels x K = (tap, ci), from the padded input (b: the tile's first pixel of channel
// 0, channel planes ldb bytes apart) into dst [K][8]: contiguous for the microkernel, and read once per tile
// rather than once per 4-channel panel. A partial tile copies up to 7 values past its row (never stored).
// @ts-ignore: decorator
@inline
function packTile(dst: usize, b: usize, ntaps: i32, toff: usize, cinG: i32, ldb: usize): void {
  for (let t = 0; t < ntaps; t++) {
    let bp = b + <usize>load<i32>(toff + (<usize>t << 2));
    for (let ci = 0; ci < cinG; ci++) {
      v128.store(dst, v128.load(bp));
      v128.store(dst, v128.load(bp, 16), 16);
      dst += 32;
      bp += ldb;
    }
  }
}

// One image, channels-first. x: padded input [Cin][Dp][Hp][Wp] (plane = Dp*Hp*Wp pixels); w: packed weights,
// group g at w + g * wGroupBytes; y: output [Cout][OD][OH][OW]. Tiles are 8 pixels of one phase row, taken
// `blockTiles` at a time. With a `panel` (TILE_BYTES + blockTiles * K * 32 bytes; the host passes one unless there is a
// single 4-channel weight panel) the block's B is packed there and every `rows`-channel weight panel sweeps
// it; with panel = 0 (rows must be 4), B is read in place. Work units are the pixel tiles of all phases, phase
// after phase; this call computes units [uBegin, uEnd) for every output channel, or with a `queue`
// (assembly/schedule.ts) the chunks of them it claims: balanced whatever the channel count, and each thread
// packs only its own tiles' B (into its own panel). With a `src` (threads only), the threads first copy the
// image src into the window x together (padTogether).
// @driver
export function tconvCf(
  x: usize, w: usize, wGroupBytes: usize, bias: usize, y: usize, table: usize, nphases: i32,
  cin: i32, cout: i32, groups: i32, plane: i32, Hp: i32, Wp: i32,
  OD: i32, OH: i32, OW: i32, SD: i32, SH: i32, SW: i32, panel: usize, blockTiles: i32, rows: i32, lo: f32, hi: f32,
  uBegin: i32, uEnd: i32, queue: usize, src: usize,
): void {
  if (src) padTogether(src, x, cin, plane, Hp, Wp, queue);
  for (let b = firstChunk(queue, uBegin, uEnd); b < uEnd; b = nextChunk(queue, uEnd)) {
    tconvCfUnits(x, w, wGroupBytes, bias, y, table, nphases, cin, cout, groups, plane, Hp, Wp, OD, OH, OW, SD, SH, SW, panel, blockTiles, rows, lo, hi,
      b, chunkEnd(queue, b, uEnd));
  }
}

function tconvCfUnits(
  x: usize, w: usize, wGroupBytes: usize, bias: usize, y: usize, table: usize, nphases: i32,
  cin: i32, cout: i32, groups: i32, plane: i32, Hp: i32, Wp: i32,
  OD: i32, OH: i32, OW: i32, SD: i32, SH: i32, SW: i32, panel: usize, blockTiles: i32, rows: i32, lo: f32, hi: f32,
  uBegin: i32, uEnd: i32,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  const mTiles = (coutG + rows - 1) / rows;
  const pack = panel != 0;
  // The packed panel: a 6 x 8 tile buffer (TILE_BYTES), then the block's B.
  const panelB = panel + TILE_BYTES;
  const ldb = <usize>plane << 2;
  const oplane = OD * OH * OW;
  const ldc = <usize>oplane << 2;
  const step = <usize>SW << 2;
  const dStep = SD * OH * OW;
  const hStep = SH * OW;
  let ph = table;
  let first = 0; // the phase's first unit
  for (let f = 0; f < nphases; f++) {
    const Jd = load<i32>(ph), Jh = load<i32>(ph, 4), Jw = load<i32>(ph, 8);
    const outBase = load<i32>(ph, 12), ntaps = load<i32>(ph, 16), woff = <usize>load<i32>(ph, 20);
    const toff = ph + (<usize>HEADER << 2);
    const K = ntaps * cinG;
    const panelA = <usize>(K * rows) << 2;
    const tileB = <usize>K << 5;
    const perRow = (Jw + 7) >> 3;
    const total = Jd * Jh * perRow;
    const uStop = min(total, uEnd - first);
    for (let u0 = max(0, uBegin - first); u0 < uStop; u0 += blockTiles) {
      const cnt = min(blockTiles, uStop - u0);
      const row0 = u0 / perRow;
      const tw0 = u0 - row0 * perRow;
      const jd0 = row0 / Jh;
      const jh0 = row0 - jd0 * Jh;
      for (let g = 0; g < groups; g++) {
        const xg = x + (<usize>(g * cinG) * ldb);
        if (pack) {
          let jd = jd0, jh = jh0, tw = tw0;
          for (let u = 0; u < cnt; u++) {
            packTile(panelB + <usize>u * tileB, xg + ((<usize>((jd * Hp + jh) * Wp + (tw << 3))) << 2), ntaps, toff, cinG, ldb);
            if (++tw == perRow) {
              tw = 0;
              if (++jh == Jh) {
                jh = 0;
                jd++;
              }
            }
          }
        }
        const wg = w + <usize>g * wGroupBytes + woff;
        for (let mt = 0; mt < mTiles; mt++) {
          const m0 = mt * rows;
          const mr = min(rows, coutG - m0);
          const co = g * coutG + m0;
          const a = wg + <usize>mt * panelA;
          const yc = y + ((<usize>co * oplane + outBase) << 2);
          const bc = bias + (<usize>co << 2);
          let jd = jd0, jh = jh0, tw = tw0;
          for (let u = 0; u < cnt; u++) {
            const jw0 = tw << 3;
            const nr = min(8, Jw - jw0);
            const cp = yc + ((<usize>(jd * dStep + jh * hStep + jw0 * SW)) << 2);
            if (pack) {
              const bt = panelB + <usize>u * tileB;
              // Stride-1 phases store straight to the output; strided ones through the tile buffer.
              const dst = step == 4 ? cp : panel;
              const ldd = step == 4 ? ldc : 32;
              gemm_packed_a(rows, mr, nr, K, a, bt, 32, dst, ldd, bc, lo, hi);
              if (step != 4) scatterTile(panel, mr, nr, cp, ldc, step);
            } else {
              const bp = xg + ((<usize>((jd * Hp + jh) * Wp + jw0)) << 2);
              tconv_tile_cf(mr, nr, cinG, ntaps, toff, a, bp, ldb, cp, ldc, step, bc, lo, hi);
            }
            if (++tw == perRow) {
              tw = 0;
              if (++jh == Jh) {
                jh = 0;
                jd++;
              }
            }
          }
        }
      }
    }
    ph = toff + (<usize>ntaps << 2);
    first += total;
  }
}

// One image, channels-last, 8-channel tiles [tBegin, tEnd) of each group, or with a `queue` the chunks of them
// this call claims (threads split the output channels, each with its own scratch). x: padded input
// [Dp][Hp][Wp][Cin]; y: output [OD][OH][OW][Cout]; scratch: 2 * mc i32 (per-pixel input and output byte
// offsets of the current block of `mc` phase pixels). Each 8-channel weight panel sweeps a whole block of
// pixels while it is hot in L1.
// @driver
export function tconvCl(
  x: usize, w: usize, wGroupBytes: usize, bias: usize, y: usize, table: usize, nphases: i32,
  cin: i32, cout: i32, groups: i32, Hp: i32, Wp: i32,
  OH: i32, OW: i32, SD: i32, SH: i32, SW: i32, scratch: usize, mc: i32, lo: f32, hi: f32,
  tBegin: i32, tEnd: i32, queue: usize,
): void {
  for (let b = firstChunk(queue, tBegin, tEnd); b < tEnd; b = nextChunk(queue, tEnd)) {
    tconvClTiles(x, w, wGroupBytes, bias, y, table, nphases, cin, cout, groups, Hp, Wp, OH, OW, SD, SH, SW, scratch, mc, lo, hi, b, chunkEnd(queue, b, tEnd));
  }
}

function tconvClTiles(
  x: usize, w: usize, wGroupBytes: usize, bias: usize, y: usize, table: usize, nphases: i32,
  cin: i32, cout: i32, groups: i32, Hp: i32, Wp: i32,
  OH: i32, OW: i32, SD: i32, SH: i32, SW: i32, scratch: usize, mc: i32, lo: f32, hi: f32,
  tBegin: i32, tEnd: i32,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  const nTiles = (coutG + 7) >> 3;
  const nEnd = min(tEnd, nTiles);
  const inPix = cin << 2;
  const outPix = cout << 2;
  const dStep = SD * OH * OW;
  const hStep = SH * OW;
  const inTab = scratch;
  const outTab = scratch + (<usize>mc << 2);
  let ph = table;
  for (let f = 0; f < nphases; f++) {
    const Jd = load<i32>(ph), Jh = load<i32>(ph, 4), Jw = load<i32>(ph, 8);
    const outBase = load<i32>(ph, 12), ntaps = load<i32>(ph, 16), woff = <usize>load<i32>(ph, 20);
    const toff = ph + (<usize>HEADER << 2);
    const panelB = <usize>(ntaps * cinG) << 5;
    const P = Jd * Jh * Jw;
    for (let p0 = 0; p0 < P; p0 += mc) {
      const cnt = min(mc, P - p0);
      // Offsets of this block's pixels, walked in (jd, jh, jw) order.
      let r = p0 / Jw;
      let jw = p0 - r * Jw;
      let jd = r / Jh;
      let jh = r - jd * Jh;
      for (let j = 0; j < cnt; j++) {
        store<i32>(inTab + (<usize>j << 2), ((jd * Hp + jh) * Wp + jw) * inPix);
        store<i32>(outTab + (<usize>j << 2), (outBase + jd * dStep + jh * hStep + jw * SW) * outPix);
        if (++jw == Jw) {
          jw = 0;
          if (++jh == Jh) {
            jh = 0;
            jd++;
          }
        }
      }
      for (let g = 0; g < groups; g++) {
        const xg = x + (<usize>(g * cinG) << 2);
        const wg = w + <usize>g * wGroupBytes + woff;
        for (let nt = tBegin; nt < nEnd; nt++) {
          const n0 = nt << 3;
          const nr = min(8, coutG - n0);
          const co = g * coutG + n0;
          const b = wg + <usize>nt * panelB;
          const yc = y + (<usize>co << 2);
          const bc = bias + (<usize>co << 2);
          for (let m0 = 0; m0 < cnt; m0 += 4) {
            const o = <usize>m0 << 2;
            tconv_tile_cl(min(4, cnt - m0), nr, cinG, ntaps, toff, xg, inTab + o, b, yc, outTab + o, bc, lo, hi);
          }
        }
      }
    }
    ph = toff + (<usize>ntaps << 2);
  }
}

// Copies image `src` [cin][D][H][W] into its window x [cin][plane] (tconv_pad), the threads claiming channels
// from the queue block's second queue, and returns once all are copied: every unit reads every channel. The
// window's origin and the image's size are in the block, 6 i32s from byte 32: D, H, W, d0, h0, w0. Done by one
// thread before the threads started, the copy took 0.12 ms of a two-thread run of 3.5 ms (128 channels of
// 32x32), three times its one-thread time: its stores meet lines the other thread read in the last run.
// Together, paired at two threads (that layer): relaxed 1.006-1.023x, SIMD128 1.007-1.017x.
function padTogether(src: usize, x: usize, cin: i32, plane: i32, Hp: i32, Wp: i32, queue: usize): void {
  const D = load<i32>(queue, 32), H = load<i32>(queue, 36), W = load<i32>(queue, 40);
  const d0 = load<i32>(queue, 44), h0 = load<i32>(queue, 48), w0 = load<i32>(queue, 52);
  const inPlane = <usize>D * H * W << 2;
  const channels = queue + 16;
  for (let b = firstChunk(channels, 0, cin); b < cin; b = nextChunk(channels, cin)) {
    const e = chunkEnd(channels, b, cin);
    tconv_pad(src + <usize>b * inPlane, x + (<usize>b * plane << 2), e - b, 1, D, H, W, d0, h0, w0, plane / (Hp * Wp), Hp, Wp);
    finish(queue, e - b);
  }
  waitFinished(queue, cin);
}

// Copies the window [d0, d0 + Dp) x [h0, h0 + Hp) x [w0, w0 + Wp) of an image [outer][D][H][W][inner] into
// y [outer][Dp][Hp][Wp][inner], zero outside the image: the zero padding (window larger than the image) or
// crop (smaller) the phases read. Channels-first: outer = C, inner = 1; channels-last: outer = 1, inner = C.
export function tconv_pad(
  x: usize, y: usize, outer: i32, inner: i32, D: i32, H: i32, W: i32,
  d0: i32, h0: i32, w0: i32, Dp: i32, Hp: i32, Wp: i32,
): void {
  const px = <usize>inner << 2;
  const rowBytes = <usize>Wp * px;
  const rowFloats = Wp * inner;
  // Columns [lo, hi) of a padded row come from the image, the rest are zero.
  const lo = min(max(-w0, 0), Wp);
  const hi = max(min(W - w0, Wp), lo);
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * D * H * W * px;
    for (let pd = 0; pd < Dp; pd++) {
      const sd = pd + d0;
      for (let ph = 0; ph < Hp; ph++) {
        const sh = ph + h0;
        if (<u32>sd >= <u32>D || <u32>sh >= <u32>H || hi == lo) {
          zeroFloats(y, rowFloats);
        } else {
          zeroFloats(y, lo * inner);
          copyFloats(y + <usize>lo * px, xo + (<usize>((sd * H + sh) * W + w0 + lo)) * px, (hi - lo) * inner);
          zeroFloats(y + <usize>hi * px, (Wp - hi) * inner);
        }
        y += rowBytes;
      }
    }
  }
}
