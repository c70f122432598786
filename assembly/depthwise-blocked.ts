// Depthwise 3- or 5-wide, stride-1 or -2 convolution, channels-first in and out, computed channel-blocked: four
// output channels at a time, one per vector lane (NCHW4c inside the kernel only). Why: the per-plane kernel
// (depthwise.ts dwconv_cf) vectorises along the width, so a narrow map spends most of its time in masked edge
// blocks and short rows (one thread, relaxed: 144 ch 56x56 27 GFLOP/s, 512 ch 14x14 12, 1024 ch 7x7 7); with
// lanes across channels every pixel is a full vector whatever the width, and the borders are the zero frame of
// a padded copy, so there are no edge blocks at all.
//
// Per block of four output channels:
// 1. Transpose-pad: the four input planes (lane i reads input channel (co + i) / M) go into the thread's
//    workspace as [Hs][SW][L][4], inside a frame of zeros that is written once per call and never overwritten.
//    With stride 2 each row is split by column parity (padded column c at segment c % 2, position c / 2), so
//    that the taps of 8 consecutive output pixels read consecutive vectors again (kw 0 and 2 the even ones,
//    kw 1 the odd ones).
// 2. Output rows in steps of 8 pixels: a runtime loop over the KH kernel rows loads the 7 + KW consecutive
//    pixel vectors the 8 pixels' KW taps read (stride 2: 8 + KW / 2 even and 7 + KW / 2 odd ones) and the
//    row's KW weight vectors, and does 8 * KW multiply-adds into 8 accumulators (bias first). Eight
//    accumulators because each takes KW dependent multiply-adds per kernel row: with 4 (4 pixels per step) the
//    chains held it to about one multiply-add per cycle (35 against 38 GFLOP/s for the 8-pixel step, compute
//    alone, 3x3 56x56). The unrolled steps, one function per (KW, stride), come from a template
//    (scripts/templates/depthwise-blocked.mjs -> gen/depthwise-blocked-rows.ts).
// 3. Clamp, transpose the 8 pixel vectors back into 4 channel rows, store (partial at the row's end).
// Weights are packed once per plan as [ceil(C*M / 4)][KH * KW][4] (dwconv_pack_blocked), zero past C*M.
import { storePartial8, zeroFloats } from './simd';
import { chunkEnd, firstChunk, nextChunk } from './schedule';
import { blockRowsS1K3, blockRowsS1K5, blockRowsS2K3, blockRowsS2K5 } from './gen/depthwise-blocked-rows';

// Widest output the blocked kernel is chosen for. Kernels alone, one thread, per-plane / blocked GFLOP/s
// (3x3 pad 1, no activation; relu6 in brackets):
//   relaxed: 1024 ch 7x7 7.2 / 19.1 [7.0 / 17.1], 512 ch 14x14 12.2 / 24.6 [12.3 / 22.3], 96 ch 28x28
//   19.1 / 26.8 [19.2 / 24.2], 144 ch 56x56 26.6 / 28.8 [26.7 / 26.9], 64 ch 64x64 27.3 / 29.3, 64 ch 80x80
//   29.4 / 29.2, 32 ch 112x112 31.1 / 29.1;
//   SIMD128: 7x7 6.7 / 15.4, 14x14 11.2 / 18.7, 28x28 16.9 / 20.0, 56x56 22.7 / 21.6.
const MAX_OW = ASC_FEATURE_RELAXED_SIMD ? 64 : 32;
// The same for stride 2 (input / output width; relaxed, then SIMD128): 14 -> 7 6.3 / 13.5, SIMD128 4.1 / 5.5;
// 28 -> 14 10.1 / 16.1, SIMD128 9.3 / 14.3; 56 -> 28 16.2 / 15.5, SIMD128 14.9 / 14.0; 112 -> 56 16.9 / 17.7;
// 224 -> 112 18.7 / 16.2. The transposes cost four input pixels per output pixel here.
const MAX_OW_S2 = 16;
// A kernel 5 wide, stride 1, on both builds: the blocked kernel is ahead to 28 wide, about even at 56
// (docs/PERFORMANCE.md, "Tuning decisions", depthwise 5 wide); stride 2 as for 3 wide.
const MAX_OW_K5 = 32;

// Whether dwconv_cf takes the blocked path for this geometry: 2-D or 1-D, a kernel 3 or 5 wide, dilation 1
// and stride 1 or 2 along the width, and an output narrow enough that the per-plane kernel's edge blocks and
// short rows cost more than the blocked kernel's transposes (MAX_OW, MAX_OW_S2, MAX_OW_K5).
export function dwconv_cf_blocked_applies(D: i32, KD: i32, KW: i32, SW: i32, DW: i32, OW: i32): i32 {
  if (D != 1 || KD != 1 || (KW != 3 && KW != 5) || DW != 1) return 0;
  if (SW == 2) return OW <= MAX_OW_S2 ? 1 : 0;
  return SW == 1 && OW <= (KW == 3 ? MAX_OW : MAX_OW_K5) ? 1 : 0;
}

// Rows of the transposed input: those the output rows read.
// @ts-ignore: decorator
@inline
function scratchRows(OH: i32, KH: i32, SH: i32, DH: i32): i32 {
  return (OH - 1) * SH + DH * (KH - 1) + 1;
}
// Positions per row segment (one segment, or two with stride 2): 8-pixel steps read 7 + KW (stride 2: at most
// 8 + KW / 2 even and as many odd ones); with KW - 1 past the rounded width every padded column has its place.
// @ts-ignore: decorator
@inline
function segmentLength(OW: i32, KW: i32): i32 {
  return ((OW + 7) & ~7) + KW - 1;
}

// Workspace bytes of the blocked path (the host takes the larger of this and dwconv_cf_workspace).
export function dwconv_cf_blocked_workspace(OH: i32, OW: i32, KH: i32, KW: i32, SH: i32, DH: i32, SW: i32): i32 {
  return scratchRows(OH, KH, SH, DH) * SW * segmentLength(OW, KW) * 16 + 48;
}

// Packs PyTorch's [CM][taps] weights as [ceil(CM / 4)][taps][4], lanes past CM zero.
export function dwconv_pack_blocked(w: usize, CM: i32, taps: i32, dst: usize): void {
  for (let cb = 0; cb < CM; cb += 4) {
    for (let t = 0; t < taps; t++) {
      for (let i = 0; i < 4; i++) {
        const c = cb + i;
        store<f32>(dst, c < CM ? load<f32>(w + (<usize>(c * taps + t) << 2)) : 0);
        dst += 4;
      }
    }
  }
}

// The first step of a 4x4 transpose: lo2 interleaves the low halves of a and b (a0 b0 a1 b1), hi2 the high ones.
// @ts-ignore: decorator
@inline
function lo2(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline
function hi2(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 6, 3, 7);
}

// Byte offset of padded column c in a workspace row (segments of seg bytes).
// @ts-ignore: decorator
@inline
function columnAt(c: i32, SW: i32, seg: usize): usize {
  return SW == 1 ? <usize>c << 4 : <usize>(c & 1) * seg + (<usize>(c >> 1) << 4);
}

// Input channels of block co (lane i: input channel (co + i) / M, lanes past the block's end repeat the last
// real one) into the workspace frame: input row h at frame row h + PH, column w at padded column c = w + PW
// (position c of the row, or with stride 2 position c / 2 of segment c % 2, L positions per segment).
function transposeIn(
  x: usize, plane: usize, M: i32, co: i32, lanes: i32, H: i32, W: i32, PH: i32, PW: i32, Hs: i32, rowB: usize, s: usize,
  SW: i32, L: i32,
): void {
  const seg = <usize>L << 4;
  const two: usize = SW == 1 ? 32 : 16; // bytes from column c to c + 2
  const p0 = x + <usize>(co / M) * plane;
  const p1 = x + <usize>((co + min(1, lanes - 1)) / M) * plane;
  const p2 = x + <usize>((co + min(2, lanes - 1)) / M) * plane;
  const p3 = x + <usize>((co + min(3, lanes - 1)) / M) * plane;
  const hEnd = min(H, Hs - PH);
  const step: usize = <usize>(4 / SW) << 4; // bytes from column c to c + 4 within a segment
  for (let h = 0; h < hEnd; h++) {
    const o = <usize>h * W << 2;
    const row = s + <usize>(h + PH) * rowB;
    let da = row + columnAt(PW, SW, seg);
    let db = row + columnAt(PW + 1, SW, seg);
    let w = 0;
    for (; w + 4 <= W; w += 4) {
      const q = o + (<usize>w << 2);
      const r0 = v128.load(p0 + q), r1 = v128.load(p1 + q), r2 = v128.load(p2 + q), r3 = v128.load(p3 + q);
      const t0 = lo2(r0, r1), t1 = lo2(r2, r3), t2 = hi2(r0, r1), t3 = hi2(r2, r3);
      v128.store(da, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(db, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(da + two, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(db + two, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
      da += step;
      db += step;
    }
    for (; w < W; w++) {
      const q = o + (<usize>w << 2);
      const d = row + columnAt(PW + w, SW, seg);
      store<f32>(d, load<f32>(p0 + q));
      store<f32>(d, load<f32>(p1 + q), 4);
      store<f32>(d, load<f32>(p2 + q), 8);
      store<f32>(d, load<f32>(p3 + q), 12);
    }
  }
}

// Zeroes the workspace's frame: every row outside input rows [0, H) (at PH), and in those each segment's
// positions outside padded columns [PW, PW + W). The interior is rewritten per block; zeroing all of the
// workspace per call would cost a chunked run a 59 KB fill per chunk and thread (144 ch 56x56: 9 chunks).
function zeroFrame(s: usize, Hs: i32, rowB: usize, H: i32, W: i32, PH: i32, PW: i32, SW: i32, L: i32): void {
  const top = min(PH, Hs);
  const hEnd = min(PH + H, Hs);
  zeroFloats(s, <i32>(<usize>top * rowB >> 2));
  zeroFloats(s + <usize>hEnd * rowB, <i32>(<usize>(Hs - hEnd) * rowB >> 2));
  const seg = <usize>L << 4;
  for (let q = 0; q < SW; q++) {
    // Segment q holds padded columns q, q + SW, ...: the interior ones are positions [left, right).
    const left = <usize>((PW - q + SW - 1) / SW) << 4;
    const right = <usize>min(L, (PW + W - q + SW - 1) / SW) << 4;
    for (let r = top; r < hEnd; r++) {
      const row = s + <usize>r * rowB + <usize>q * seg;
      zeroFloats(row, <i32>(left >> 2));
      zeroFloats(row + right, <i32>((seg - right) >> 2));
    }
  }
}

// Eight pixel vectors (lanes = channels) as the block's channel rows: channel i's 8 pixels at q + i * oplane.
// `full`: store all 8 pixels of all 4 channels; else only the first `lanes` channels and `n` (1..8) pixels.
// @ts-ignore: decorator
@inline
export function storeChannelRows(
  q: usize, oplane: usize, full: bool, lanes: i32, n: i32,
  a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128,
): void {
  const t0 = lo2(a0, a1), t1 = lo2(a2, a3), t2 = hi2(a0, a1), t3 = hi2(a2, a3);
  const u0 = lo2(a4, a5), u1 = lo2(a6, a7), u2 = hi2(a4, a5), u3 = hi2(a6, a7);
  if (full) {
    v128.store(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
    v128.store(q, v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), 16);
    v128.store(q + oplane, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    v128.store(q + oplane, v128.shuffle<f32>(u0, u1, 2, 3, 6, 7), 16);
    v128.store(q + 2 * oplane, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
    v128.store(q + 2 * oplane, v128.shuffle<f32>(u2, u3, 0, 1, 4, 5), 16);
    v128.store(q + 3 * oplane, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    v128.store(q + 3 * oplane, v128.shuffle<f32>(u2, u3, 2, 3, 6, 7), 16);
    return;
  }
  storePartial8(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), n);
  if (lanes > 1) storePartial8(q + oplane, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7), n);
  if (lanes > 2) storePartial8(q + 2 * oplane, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), v128.shuffle<f32>(u2, u3, 0, 1, 4, 5), n);
  if (lanes > 3) storePartial8(q + 3 * oplane, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), v128.shuffle<f32>(u2, u3, 2, 3, 6, 7), n);
}

// dwconv_cf's blocked path (same arguments; wb: the packed weights): output channels [co0, co1) in blocks of
// four from co0, which the host keeps a multiple of 4. With a queue the threads claim blocks (units of 4
// channels, the queue starting at co0 / 4).
export function dwconvBlocked(
  x: usize, wb: usize, bias: usize, y: usize, ws: usize, M: i32, H: i32, W: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, DH: i32, PH: i32, PW: i32, lo: f32, hi: f32, co0: i32, co1: i32, queue: usize,
): void {
  const Hs = scratchRows(OH, KH, SH, DH);
  const L = segmentLength(OW, KW);
  const rowB = <usize>(SW * L) << 4;
  const bounds = (ws + 15) & ~15;
  v128.store(bounds, f32x4.splat(lo));
  v128.store(bounds, f32x4.splat(hi), 16);
  const s = bounds + 32;
  zeroFrame(s, Hs, rowB, H, W, PH, PW, SW, L);
  const plane = <usize>H * W << 2;
  const oplane = <usize>OH * OW << 2;
  const clamped = lo > -Infinity || hi < Infinity;
  const b1 = (co1 + 3) >> 2;
  for (let b = firstChunk(queue, co0 >> 2, b1); b < b1; b = nextChunk(queue, b1)) {
    const e = chunkEnd(queue, b, b1);
    for (let blk = b; blk < e; blk++) {
      const co = blk << 2;
      const lanes = min(4, co1 - co);
      transposeIn(x, plane, M, co, lanes, H, W, PH, PW, Hs, rowB, s, SW, L);
      const wk = wb + (<usize>co * KH * KW << 2);
      const bv = bias + (<usize>co << 2);
      const yb = y + <usize>co * oplane;
      const odd = <usize>L << 4;
      if (KW == 3) {
        if (SW == 1) blockRowsS1K3(s, rowB, odd, wk, bv, yb, oplane, lanes, OH, OW, KH, SH, DH, bounds, clamped);
        else blockRowsS2K3(s, rowB, odd, wk, bv, yb, oplane, lanes, OH, OW, KH, SH, DH, bounds, clamped);
      } else if (SW == 1) blockRowsS1K5(s, rowB, odd, wk, bv, yb, oplane, lanes, OH, OW, KH, SH, DH, bounds, clamped);
      else blockRowsS2K5(s, rowB, odd, wk, bv, yb, oplane, lanes, OH, OW, KH, SH, DH, bounds, clamped);
    }
  }
}
