// Depthwise convolution (groups == Cin, channel multiplier M = Cout / Cin >= 1): output channel co = c*M + m
// reads only input channel c, so the reduction is the kernel taps alone and a GEMM has nothing to block on.
// These kernels run the taps directly, one image per call, spatial axes always 3-D (D, H, W; rank < 3 uses
// size-1 leading axes). Zero padding is applied in-kernel; other padding modes are copied out first (pad.ts).
//
// Shape of the code, dictated by V8 (Node 20 / V8 11.x, measured):
// - TurboFan issues all of a loop iteration's loads before its multiply-adds, so accumulators, loaded vectors
//   and weights are live together in ~15 xmm registers: blocks are sized to fit (6-8 accumulators).
// - f32x4.min/max (NaN-propagating on both operands) compile to ~9 instructions each; with a 9-tap reduction
//   that epilogue cost more than the multiply-adds. The clamp here is f32x4.pmin/pmax with the value first,
//   which still propagates a NaN value (two instructions).
// - Taps run in a small runtime loop over a per-call table of byte offsets, weights splat-loaded beside them.
//
// Channels-first (dwconv_cf): one output plane at a time, vectorised along the output width, 4 pixels per
// vector, each tap one unaligned load of the input row times a splatted weight. Blocks: 16 pixels x 2 rows
// when the rows' vertical step equals the tap spacing (stride 1, dilation 1: each loaded vector feeds both
// rows), else 12 x 2 or 24 x 1, then 8 and 4. Stride 2 first splits each input row into even and odd halves
// (once per input channel) so its taps are plain loads too; other strides gather four lanes. Rows whose taps
// fall into the vertical padding just use fewer taps. Columns where some tap reads horizontal padding run as
// "edge" blocks of 4 pixels that load at the true (out-of-row) position and AND the vector with a
// per-(block, kw) lane mask, so no padded copy is made. The host allocates the input with guard bytes on
// both sides so those masked loads stay inside the buffer (src/backends/wasm/depthwise-conv-plan.ts).
//
// Channels-last (dwconv_cl): vectorised along the C*M contiguous output channels, weights packed once per
// plan as [taps][CMp] (CMp = C*M rounded up to 4, zero-filled) so a tap is one vector load shared by 3
// pixels (3 pixels x 8 channels per block). Pixels with out-of-range kw taps run one at a time over their
// in-range taps only. With M > 1 the input lanes for 4 consecutive output channels come from one load and
// a byte swizzle.
//
// Both: bias is the accumulators' initial value, then the NaN-propagating clamp to [lo, hi].
import { evens, madd, odds, storePartial } from './simd';
import { chunkEnd, firstChunk, nextChunk } from './schedule';
import { dwconvBlocked, dwconv_cf_blocked_applies } from './depthwise-blocked';
import { dwconv3x3s2, dwconv_3x3_s2_applies, dwconv_3x3_s2_workspace } from './depthwise-3x3-s2';

// NaN-propagating clamp in two instructions: pmax(v, lo) = v < lo ? lo : v keeps a NaN v (the comparison is
// false), as does pmin(., hi). f32x4.min/max, NaN-propagating on both operands, cost ~9 x86 instructions
// each in V8, more than the multiply-adds of a short depthwise reduction. lo, hi are never NaN.
// @ts-ignore: decorator
@inline
function clampv(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

// @ts-ignore: decorator
@inline
function swz(v: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(v, m);
  return i8x16.swizzle(v, m);
}

// Input vector of 4 output pixels for one tap. S = 1 (consecutive elements) or 0 (any stride, sb = stride
// in bytes: four lane loads).
// @ts-ignore: decorator
@inline
function ld4(S: i32, p: usize, sb: usize): v128 {
  if (S == 1) return v128.load(p);
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + sb, v, 1);
  v = v128.load32_lane(p + 2 * sb, v, 2);
  return v128.load32_lane(p + 3 * sb, v, 3);
}

// First tap k with o + k*dl >= 0 (K when none).
// @ts-ignore: decorator
@inline
function tapLo(o: i32, dl: i32, K: i32): i32 {
  return o >= 0 ? 0 : min(K, (dl - 1 - o) / dl);
}

// One past the last tap k with o + k*dl <= n - 1 (0 when none).
// @ts-ignore: decorator
@inline
function tapHi(o: i32, dl: i32, K: i32, n: i32): i32 {
  return o >= n ? 0 : min(K, (n - 1 - o) / dl + 1);
}

// In-range taps [lo, hi) of each output index i < n on one axis, as i32 pairs at dst.
function tapRanges(dst: usize, n: i32, S: i32, P: i32, DL: i32, K: i32, N: i32): void {
  for (let i = 0; i < n; i++) {
    const o = i * S - P;
    const lo = tapLo(o, DL, K);
    store<i32>(dst + (<usize>i << 3), lo);
    store<i32>(dst + (<usize>i << 3), max(lo, tapHi(o, DL, K, N)), 4);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Channels-first

// Workspace bytes dwconv_cf needs (the host sizes it with the same formula).
export function dwconv_cf_workspace(D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32, KD: i32, KH: i32, KW: i32, SW: i32, DW: i32, PW: i32): i32 {
  const T = KD * KH * KW;
  const nEdge = ((OW + 3) >> 2) + 2;
  const split = SW == 2 ? (PW + 8 + D * H * W + PW + DW * KW + 16) * 4 + 16 : 0;
  return max(T * 8 + nEdge * 4 + 16 + nEdge * KW * 16 + (OD + OH) * 8 + split + 64, dwconv_3x3_s2_workspace(OW));
}

// Stride 2: splits each row of a plane into its even then its odd elements (the row keeps its length), so
// every tap of a stride-2 convolution reads consecutive elements of one half: plain loads, as stride 1.
function splitEvenOdd(src: usize, dst: usize, rows: i32, W: i32): void {
  const oddAt = <usize>((W + 1) >> 1) << 2;
  const rowBytes = <usize>W << 2;
  for (let r = 0; r < rows; r++) {
    let i = 0;
    for (; i + 8 <= W; i += 8) {
      const a = v128.load(src + (<usize>i << 2));
      const b = v128.load(src + (<usize>i << 2), 16);
      v128.store(dst + (<usize>i << 1), evens(a, b));
      v128.store(dst + oddAt + (<usize>i << 1), odds(a, b));
    }
    for (; i < W; i++) store<f32>(dst + (i & 1 ? oddAt : 0) + (<usize>(i >> 1) << 2), load<f32>(src + (<usize>i << 2)));
    src += rowBytes;
    dst += rowBytes;
  }
}

// R (1 or 2) output rows of one channel, every column. org: the input address of (row origin, column 0
// before padding) such that tap t of output column ow reads org + ow*stride + offs[t]; offs and the weights
// (wch) are indexed alike. The taps are nkd slices of tLen bytes of the table, kdStep apart. The second row
// (R = 2) reads rs bytes further and writes ys bytes further; it has the same in-range taps as the first.
// Blocks keep their accumulators in registers across a small runtime loop over the taps; V8 issues all of an
// iteration's loads before its multiply-adds, so accumulators + loaded vectors + weights must fit in ~15.
// @ts-ignore: decorator
@inline
function cfRows(
  S: i32, R: i32, share: bool, org: usize, rs: usize, yrow: usize, ys: usize, wch: usize, bv: v128, sb: usize,
  tStart: usize, tLen: usize, kdStep: usize, nkd: i32, offs: usize, T: i32,
  iStart: i32, iEnd: i32, OW: i32, nEdge: i32, starts: usize, masks: usize, KW: i32,
  vlo: v128, vhi: v128,
): void {
  const px: usize = S == 1 ? 4 : sb; // input bytes per output pixel
  const blk: usize = px << 2; // input bytes per 4 output pixels
  const wdelta = wch - offs; // weight of the entry at t: t + wdelta
  let ow = iStart;
  if (R == 2 && share) {
    // The rows' vertical step equals the tap spacing (SH == DH): row 1's tap kh reads row 0's tap kh+1, so
    // each loaded vector feeds both rows (weights kh and kh-1). 16 pixels x 2 rows: 8 accumulators + 4
    // loaded vectors + 2 weights.
    const wrow = <usize>KW << 2; // bytes between a tap's weight and the one a row above
    for (; ow + 16 <= iEnd; ow += 16) {
      let a0 = bv, a1 = bv, a2 = bv, a3 = bv;
      let b0 = bv, b1 = bv, b2 = bv, b3 = bv;
      const base = org + <usize>ow * px;
      let t0 = tStart;
      for (let k = 0; k < nkd; k++) {
        // Row 0's first tap row alone.
        const ta = t0 + wrow;
        for (let t = t0; t < ta; t += 4) {
          const p = base + <usize>load<i32>(t);
          const wv = v128.load32_splat(t + wdelta);
          a0 = madd(ld4(S, p, sb), wv, a0);
          a1 = madd(ld4(S, p + blk, sb), wv, a1);
          a2 = madd(ld4(S, p + 2 * blk, sb), wv, a2);
          a3 = madd(ld4(S, p + 3 * blk, sb), wv, a3);
        }
        // Shared tap rows: row 0 with tap kh, row 1 with tap kh-1.
        const te = t0 + tLen;
        for (let t = ta; t < te; t += 4) {
          const p = base + <usize>load<i32>(t);
          const wa = v128.load32_splat(t + wdelta);
          const wb = v128.load32_splat(t + wdelta - wrow);
          const v0 = ld4(S, p, sb);
          const v1 = ld4(S, p + blk, sb);
          const v2 = ld4(S, p + 2 * blk, sb);
          const v3 = ld4(S, p + 3 * blk, sb);
          a0 = madd(v0, wa, a0);
          a1 = madd(v1, wa, a1);
          a2 = madd(v2, wa, a2);
          a3 = madd(v3, wa, a3);
          b0 = madd(v0, wb, b0);
          b1 = madd(v1, wb, b1);
          b2 = madd(v2, wb, b2);
          b3 = madd(v3, wb, b3);
        }
        // Row 1's last tap row alone (one input row below row 0's last).
        for (let t = te - wrow; t < te; t += 4) {
          const p = base + <usize>load<i32>(t) + rs;
          const wv = v128.load32_splat(t + wdelta);
          b0 = madd(ld4(S, p, sb), wv, b0);
          b1 = madd(ld4(S, p + blk, sb), wv, b1);
          b2 = madd(ld4(S, p + 2 * blk, sb), wv, b2);
          b3 = madd(ld4(S, p + 3 * blk, sb), wv, b3);
        }
        t0 += kdStep;
      }
      const q = yrow + (<usize>ow << 2);
      v128.store(q, clampv(a0, vlo, vhi));
      v128.store(q, clampv(a1, vlo, vhi), 16);
      v128.store(q, clampv(a2, vlo, vhi), 32);
      v128.store(q, clampv(a3, vlo, vhi), 48);
      v128.store(q + ys, clampv(b0, vlo, vhi));
      v128.store(q + ys, clampv(b1, vlo, vhi), 16);
      v128.store(q + ys, clampv(b2, vlo, vhi), 32);
      v128.store(q + ys, clampv(b3, vlo, vhi), 48);
    }
  } else if (R == 2) {
    // 12 pixels x 2 rows: 6 accumulators + 6 loaded vectors + the weight.
    for (; ow + 12 <= iEnd; ow += 12) {
      let a0 = bv, a1 = bv, a2 = bv;
      let b0 = bv, b1 = bv, b2 = bv;
      const base = org + <usize>ow * px;
      let t0 = tStart;
      for (let k = 0; k < nkd; k++) {
        const te = t0 + tLen;
        for (let t = t0; t < te; t += 4) {
          const p = base + <usize>load<i32>(t);
          const q = p + rs;
          const wv = v128.load32_splat(t + wdelta);
          a0 = madd(ld4(S, p, sb), wv, a0);
          a1 = madd(ld4(S, p + blk, sb), wv, a1);
          a2 = madd(ld4(S, p + 2 * blk, sb), wv, a2);
          b0 = madd(ld4(S, q, sb), wv, b0);
          b1 = madd(ld4(S, q + blk, sb), wv, b1);
          b2 = madd(ld4(S, q + 2 * blk, sb), wv, b2);
        }
        t0 += kdStep;
      }
      const q = yrow + (<usize>ow << 2);
      v128.store(q, clampv(a0, vlo, vhi));
      v128.store(q, clampv(a1, vlo, vhi), 16);
      v128.store(q, clampv(a2, vlo, vhi), 32);
      v128.store(q + ys, clampv(b0, vlo, vhi));
      v128.store(q + ys, clampv(b1, vlo, vhi), 16);
      v128.store(q + ys, clampv(b2, vlo, vhi), 32);
    }
  } else {
    // One row, 24 pixels: 6 accumulators + 6 loaded vectors + the weight.
    for (; ow + 24 <= iEnd; ow += 24) {
      let a0 = bv, a1 = bv, a2 = bv, a3 = bv, a4 = bv, a5 = bv;
      const base = org + <usize>ow * px;
      let t0 = tStart;
      for (let k = 0; k < nkd; k++) {
        const te = t0 + tLen;
        for (let t = t0; t < te; t += 4) {
          const p = base + <usize>load<i32>(t);
          const wv = v128.load32_splat(t + wdelta);
          a0 = madd(ld4(S, p, sb), wv, a0);
          a1 = madd(ld4(S, p + blk, sb), wv, a1);
          a2 = madd(ld4(S, p + 2 * blk, sb), wv, a2);
          a3 = madd(ld4(S, p + 3 * blk, sb), wv, a3);
          a4 = madd(ld4(S, p + 4 * blk, sb), wv, a4);
          a5 = madd(ld4(S, p + 5 * blk, sb), wv, a5);
        }
        t0 += kdStep;
      }
      const q = yrow + (<usize>ow << 2);
      v128.store(q, clampv(a0, vlo, vhi));
      v128.store(q, clampv(a1, vlo, vhi), 16);
      v128.store(q, clampv(a2, vlo, vhi), 32);
      v128.store(q, clampv(a3, vlo, vhi), 48);
      v128.store(q, clampv(a4, vlo, vhi), 64);
      v128.store(q, clampv(a5, vlo, vhi), 80);
    }
  }
  // Remaining interior vectors, two at a time per row (independent accumulators), then one.
  for (; ow + 8 <= iEnd; ow += 8) {
    let a0 = bv, a1 = bv, b0 = bv, b1 = bv;
    const base = org + <usize>ow * px;
    let t0 = tStart;
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      for (let t = t0; t < te; t += 4) {
        const p = base + <usize>load<i32>(t);
        const wv = v128.load32_splat(t + wdelta);
        a0 = madd(ld4(S, p, sb), wv, a0);
        a1 = madd(ld4(S, p + blk, sb), wv, a1);
        if (R == 2) {
          b0 = madd(ld4(S, p + rs, sb), wv, b0);
          b1 = madd(ld4(S, p + rs + blk, sb), wv, b1);
        }
      }
      t0 += kdStep;
    }
    const q = yrow + (<usize>ow << 2);
    v128.store(q, clampv(a0, vlo, vhi));
    v128.store(q, clampv(a1, vlo, vhi), 16);
    if (R == 2) {
      v128.store(q + ys, clampv(b0, vlo, vhi));
      v128.store(q + ys, clampv(b1, vlo, vhi), 16);
    }
  }
  for (; ow + 4 <= iEnd; ow += 4) {
    let a0 = bv, b0 = bv;
    const base = org + <usize>ow * px;
    let t0 = tStart;
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      for (let t = t0; t < te; t += 4) {
        const p = base + <usize>load<i32>(t);
        const wv = v128.load32_splat(t + wdelta);
        a0 = madd(ld4(S, p, sb), wv, a0);
        if (R == 2) b0 = madd(ld4(S, p + rs, sb), wv, b0);
      }
      t0 += kdStep;
    }
    const q = yrow + (<usize>ow << 2);
    v128.store(q, clampv(a0, vlo, vhi));
    if (R == 2) v128.store(q + ys, clampv(b0, vlo, vhi));
  }
  // Edge blocks, two at a time: lanes reading outside the row are zeroed by the mask of their tap column.
  const mkdelta = <usize>T << 2; // kw*16 of the entry at t: t + mkdelta
  let e = 0;
  for (; e + 2 <= nEdge; e += 2) {
    const s0 = load<i32>(starts + (<usize>e << 2));
    const s1 = load<i32>(starts + (<usize>e << 2), 4);
    const mb0 = masks + <usize>e * KW * 16;
    const mb1 = mb0 + <usize>KW * 16;
    let a0 = bv, a1 = bv, b0 = bv, b1 = bv;
    const base0 = org + <usize>s0 * px;
    const base1 = org + <usize>s1 * px;
    let t0 = tStart;
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      for (let t = t0; t < te; t += 4) {
        const off = <usize>load<i32>(t);
        const mo = <usize>load<i32>(t + mkdelta);
        const wv = v128.load32_splat(t + wdelta);
        const m0 = v128.load(mb0 + mo);
        const m1 = v128.load(mb1 + mo);
        a0 = madd(v128.and(ld4(S, base0 + off, sb), m0), wv, a0);
        a1 = madd(v128.and(ld4(S, base1 + off, sb), m1), wv, a1);
        if (R == 2) {
          b0 = madd(v128.and(ld4(S, base0 + off + rs, sb), m0), wv, b0);
          b1 = madd(v128.and(ld4(S, base1 + off + rs, sb), m1), wv, b1);
        }
      }
      t0 += kdStep;
    }
    const q0 = yrow + (<usize>s0 << 2);
    const q1 = yrow + (<usize>s1 << 2);
    storePartial(q0, clampv(a0, vlo, vhi), OW - s0);
    storePartial(q1, clampv(a1, vlo, vhi), OW - s1);
    if (R == 2) {
      storePartial(q0 + ys, clampv(b0, vlo, vhi), OW - s0);
      storePartial(q1 + ys, clampv(b1, vlo, vhi), OW - s1);
    }
  }
  if (e < nEdge) {
    const s0 = load<i32>(starts + (<usize>e << 2));
    const mb0 = masks + <usize>e * KW * 16;
    let a0 = bv, b0 = bv;
    const base0 = org + <usize>s0 * px;
    let t0 = tStart;
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      for (let t = t0; t < te; t += 4) {
        const off = <usize>load<i32>(t);
        const wv = v128.load32_splat(t + wdelta);
        const m0 = v128.load(mb0 + <usize>load<i32>(t + mkdelta));
        a0 = madd(v128.and(ld4(S, base0 + off, sb), m0), wv, a0);
        if (R == 2) b0 = madd(v128.and(ld4(S, base0 + off + rs, sb), m0), wv, b0);
      }
      t0 += kdStep;
    }
    const q0 = yrow + (<usize>s0 << 2);
    storePartial(q0, clampv(a0, vlo, vhi), OW - s0);
    if (R == 2) storePartial(q0 + ys, clampv(b0, vlo, vhi), OW - s0);
  }
}

// @ts-ignore: decorator
@inline
function cfPlanes(
  S: i32, xp: usize, w: usize, bias: usize, y: usize, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DH: i32, PD: i32, PH: i32,
  offs: usize, kdR: usize, khR: usize, iStart: i32, iEnd: i32, nEdge: i32, starts: usize, masks: usize,
  lo: f32, hi: f32, co0: i32, co1: i32,
): void {
  const T = KD * KH * KW;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const sb = <usize>SW << 2;
  const outRow = <usize>OW << 2;
  const kdStep = <usize>(KH * KW) << 2;
  const rs = <usize>(SH * W) << 2; // input bytes between consecutive output rows
  const share = SH == DH;
  for (let co = co0; co < co1; co++) {
    const wch = w + (<usize>(co * T) << 2);
    const bv = v128.load32_splat(bias + (<usize>co << 2));
    let yrow = y + <usize>co * OD * OH * outRow;
    for (let od = 0; od < OD; od++) {
      const kd0 = load<i32>(kdR + (<usize>od << 3));
      const nkd = load<i32>(kdR + (<usize>od << 3), 4) - kd0;
      const id0 = od * SD - PD;
      let oh = 0;
      while (oh < OH) {
        const kh0 = load<i32>(khR + (<usize>oh << 3));
        const kh1 = load<i32>(khR + (<usize>oh << 3), 4);
        if (nkd <= 0 || kh1 <= kh0) {
          // Every tap reads padding: the output is clamp(bias).
          const v = clampv(bv, vlo, vhi);
          for (let ow = 0; ow < OW; ow += 4) storePartial(yrow + (<usize>ow << 2), v, OW - ow);
          yrow += outRow;
          oh++;
          continue;
        }
        const org = xp + (<usize>((id0 * H + oh * SH - PH) * W) << 2);
        const tStart = offs + (<usize>((kd0 * KH + kh0) * KW) << 2);
        const tLen = <usize>((kh1 - kh0) * KW) << 2;
        // The next row pairs with this one when it reads the same taps.
        if (oh + 1 < OH && load<i32>(khR + (<usize>(oh + 1) << 3)) == kh0 && load<i32>(khR + (<usize>(oh + 1) << 3), 4) == kh1) {
          cfRows(S, 2, share, org, rs, yrow, outRow, wch, bv, sb, tStart, tLen, kdStep, nkd, offs, T, iStart, iEnd, OW, nEdge, starts, masks, KW, vlo, vhi);
          yrow += outRow << 1;
          oh += 2;
        } else {
          cfRows(S, 1, false, org, rs, yrow, outRow, wch, bv, sb, tStart, tLen, kdStep, nkd, offs, T, iStart, iEnd, OW, nEdge, starts, masks, KW, vlo, vhi);
          yrow += outRow;
          oh++;
        }
      }
    }
  }
}

// Output channels [co0, co1), all reading the input plane at xp (stride 1, or stride 2 on a split plane).
function cfPlanesS1(
  xp: usize, w: usize, bias: usize, y: usize, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DH: i32, PD: i32, PH: i32,
  offs: usize, kdR: usize, khR: usize, iStart: i32, iEnd: i32, nEdge: i32, starts: usize, masks: usize,
  lo: f32, hi: f32, co0: i32, co1: i32,
): void {
  cfPlanes(1, xp, w, bias, y, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DH, PD, PH, offs, kdR, khR, iStart, iEnd, nEdge, starts, masks, lo, hi, co0, co1);
}

// Any other stride: four lane loads per input vector.
function cfPlanesSN(
  xp: usize, w: usize, bias: usize, y: usize, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DH: i32, PD: i32, PH: i32,
  offs: usize, kdR: usize, khR: usize, iStart: i32, iEnd: i32, nEdge: i32, starts: usize, masks: usize,
  lo: f32, hi: f32, co0: i32, co1: i32,
): void {
  cfPlanes(0, xp, w, bias, y, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DH, PD, PH, offs, kdR, khR, iStart, iEnd, nEdge, starts, masks, lo, hi, co0, co1);
}

// One image, channels-first: x [C][D][H][W], w [C*M][KD*KH*KW] (PyTorch's layout), bias [C*M] (zeros when
// the convolution has none), y [C*M][OD][OH][OW]. Reads up to PW elements before x and a few vectors past
// its end (masked): the host provides guard bytes there. ws: dwconv_cf_workspace(...) bytes.
// Computes output channels [co0, co1), or with a `queue` (assembly/schedule.ts) the chunks of them it claims.
// wb: the weights packed for the channel-blocked kernel (depthwise-blocked.ts), or 0. Where that kernel applies
// (dwconv_cf_blocked_applies) and wb is given, it runs instead, its queue units being blocks of 4 channels.
// @driver
// @ts-ignore: decorator
@inline
export function dwconvCf(
  x: usize, w: usize, bias: usize, y: usize, ws: usize,
  C: i32, M: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, co0: i32, co1: i32, queue: usize, wb: usize,
): void {
  if (dwconv_3x3_s2_applies(D, KD, KH, KW, SH, SW, DH, DW)) {
    dwconv3x3s2(x, w, bias, y, ws, M, H, W, OH, OW, PH, PW, lo, hi, co0, co1, queue);
    return;
  }
  if (wb && dwconv_cf_blocked_applies(D, KD, KW, SW, DW, OW)) {
    dwconvBlocked(x, wb, bias, y, ws, M, H, W, OH, OW, KH, KW, SH, SW, DH, PH, PW, lo, hi, co0, co1, queue);
    return;
  }
  const T = KD * KH * KW;
  const split = SW == 2;
  const oddAt = (W + 1) >> 1;
  // Tap table: byte offset of each tap from the row origin (column 0 before padding), and kw*16. Stride 2
  // reads a split plane: column q of output 0 is element q/2 of the even half, or (q-1)/2 of the odd one.
  const offs = ws;
  const mks = ws + (<usize>T << 2);
  let t = 0;
  for (let kd = 0; kd < KD; kd++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const q = kw * DW - PW;
        const col = split ? (q & 1 ? oddAt : 0) + (q >> 1) : q;
        store<i32>(offs + (<usize>t << 2), ((kd * DD * H + kh * DH) * W + col) << 2);
        store<i32>(mks + (<usize>t << 2), kw << 4);
        t++;
      }
    }
  }
  // Columns [owA, owB) read no padding. The interior runs [iStart, iEnd) in whole vectors; the columns left
  // and right of it run as masked edge blocks of 4.
  const owA = min((PW + SW - 1) / SW, OW);
  const lim = W - 1 + PW - DW * (KW - 1);
  const owB = lim < 0 ? 0 : min(lim / SW + 1, OW);
  const iStart = min((owA + 3) & ~3, OW);
  const iEnd = owB > iStart ? iStart + ((owB - iStart) & ~3) : iStart;
  const nLeft = (iStart + 3) >> 2;
  const nEdge = nLeft + ((OW - iEnd + 3) >> 2);
  const starts = mks + (<usize>T << 2);
  const masks = (starts + (<usize>nEdge << 2) + 15) & ~15;
  for (let e = 0; e < nEdge; e++) {
    const s = e < nLeft ? e << 2 : iEnd + ((e - nLeft) << 2);
    store<i32>(starts + (<usize>e << 2), s);
    for (let kw = 0; kw < KW; kw++) {
      const m = masks + (<usize>(e * KW + kw) << 4);
      for (let i = 0; i < 4; i++) {
        const pos = (s + i) * SW - PW + kw * DW;
        store<i32>(m + (<usize>i << 2), pos >= 0 && pos < W ? -1 : 0);
      }
    }
  }
  // In-range tap ranges per output depth and row.
  const kdR = masks + (<usize>(nEdge * KW) << 4);
  const khR = kdR + (<usize>OD << 3);
  tapRanges(kdR, OD, SD, PD, DD, KD, D);
  tapRanges(khR, OH, SH, PH, DH, KH, H);
  // The split plane (stride 2), with guard room for the masked edge loads on both sides.
  const plane = (khR + (<usize>OH << 3) + (<usize>(PW + 8) << 2) + 15) & ~15;
  const inPlane = <usize>D * H * W << 2;
  for (let b = firstChunk(queue, co0, co1); b < co1; b = nextChunk(queue, co1)) {
    const e = chunkEnd(queue, b, co1);
    for (let c = b / M; c * M < e; c++) {
      let xp = x + <usize>c * inPlane;
      if (split) {
        splitEvenOdd(xp, plane, D * H, W);
        xp = plane;
      }
      const c0 = max(b, c * M);
      const c1 = min(e, c * M + M);
      if (SW == 1 || split) cfPlanesS1(xp, w, bias, y, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DH, PD, PH, offs, kdR, khR, iStart, iEnd, nEdge, starts, masks, lo, hi, c0, c1);
      else cfPlanesSN(xp, w, bias, y, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DH, PD, PH, offs, kdR, khR, iStart, iEnd, nEdge, starts, masks, lo, hi, c0, c1);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Channels-last

export function dwconv_cl_workspace(C: i32, M: i32, OD: i32, OH: i32, OW: i32, KD: i32, KH: i32, KW: i32): i32 {
  const T = KD * KH * KW;
  const nb = (C * M + 3) >> 2;
  return T * 4 + 16 + nb * 20 + (OD + OH + OW) * 8 + 64;
}

// Input vector for 4 output channels: X (channel multiplier > 1) gathers lanes (co+i)/M from one load.
// @ts-ignore: decorator
@inline
function ldc(X: bool, p: usize, m: v128): v128 {
  return X ? swz(v128.load(p), m) : v128.load(p);
}

// 3 interior pixels (every kw tap in range) x all channels. Multiplier 1: 8 channels at a time, 6
// accumulators + 6 loaded vectors + 2 weight vectors, the two vectors of a pixel at one address (immediate
// offset 16). Multiplier > 1 and the tail: 4 channels at a time. px: the first pixel's origin (tap offsets
// are relative to it), ps: input bytes between consecutive output pixels; first in-range tap's weights at wStart.
// @ts-ignore: decorator
@inline
function clTri(
  X: bool, px: usize, ps: usize, yp: usize, ys: usize, bias: usize, CM: i32, rowW: usize,
  tStart: usize, tLen: usize, kdStep: usize, wStart: usize, wkdStep: usize, nkd: i32, xoT: usize, mkT: usize,
  vlo: v128, vhi: v128,
): void {
  let cb = 0;
  if (!X) {
    for (; cb + 8 <= CM; cb += 8) {
      const b0 = v128.load(bias + (<usize>cb << 2));
      const b1 = v128.load(bias + (<usize>cb << 2), 16);
      let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1;
      const pc = px + (<usize>cb << 2);
      let t0 = tStart;
      let w0 = wStart + (<usize>cb << 2);
      for (let k = 0; k < nkd; k++) {
        const te = t0 + tLen;
        let wp = w0;
        for (let t = t0; t < te; t += 4) {
          const p = pc + <usize>load<i32>(t);
          const q = p + ps;
          const r = q + ps;
          const wv0 = v128.load(wp);
          const wv1 = v128.load(wp, 16);
          a00 = madd(v128.load(p), wv0, a00);
          a01 = madd(v128.load(p, 16), wv1, a01);
          a10 = madd(v128.load(q), wv0, a10);
          a11 = madd(v128.load(q, 16), wv1, a11);
          a20 = madd(v128.load(r), wv0, a20);
          a21 = madd(v128.load(r, 16), wv1, a21);
          wp += rowW;
        }
        t0 += kdStep;
        w0 += wkdStep;
      }
      const q = yp + (<usize>cb << 2);
      v128.store(q, clampv(a00, vlo, vhi));
      v128.store(q, clampv(a01, vlo, vhi), 16);
      v128.store(q + ys, clampv(a10, vlo, vhi));
      v128.store(q + ys, clampv(a11, vlo, vhi), 16);
      v128.store(q + 2 * ys, clampv(a20, vlo, vhi));
      v128.store(q + 2 * ys, clampv(a21, vlo, vhi), 16);
    }
  }
  for (; cb < CM; cb += 4) {
    const bv = v128.load(bias + (<usize>cb << 2));
    let a0 = bv, a1 = bv, a2 = bv;
    const bi = <usize>(cb >> 2);
    const pc = px + (X ? <usize>load<i32>(xoT + (bi << 2)) : <usize>cb << 2);
    const m = X ? v128.load(mkT + (bi << 4)) : f32x4.splat(0);
    let t0 = tStart;
    let w0 = wStart + (<usize>cb << 2);
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      let wp = w0;
      for (let t = t0; t < te; t += 4) {
        const p = pc + <usize>load<i32>(t);
        const q = p + ps;
        const wv = v128.load(wp);
        a0 = madd(ldc(X, p, m), wv, a0);
        a1 = madd(ldc(X, q, m), wv, a1);
        a2 = madd(ldc(X, q + ps, m), wv, a2);
        wp += rowW;
      }
      t0 += kdStep;
      w0 += wkdStep;
    }
    const q = yp + (<usize>cb << 2);
    const n = CM - cb;
    storePartial(q, clampv(a0, vlo, vhi), n);
    storePartial(q + ys, clampv(a1, vlo, vhi), n);
    storePartial(q + 2 * ys, clampv(a2, vlo, vhi), n);
  }
}

// Multiplier > 1: 6 interior pixels x all channels, 4 channels at a time: 6 accumulators + 6 loaded vectors
// + the weight vector + the swizzle mask. Arguments as clTri.
// @ts-ignore: decorator
@inline
function clHex(
  X: bool, px: usize, ps: usize, yp: usize, ys: usize, bias: usize, CM: i32, rowW: usize,
  tStart: usize, tLen: usize, kdStep: usize, wStart: usize, wkdStep: usize, nkd: i32, xoT: usize, mkT: usize,
  vlo: v128, vhi: v128,
): void {
  for (let cb = 0; cb < CM; cb += 4) {
    const bv = v128.load(bias + (<usize>cb << 2));
    let a0 = bv, a1 = bv, a2 = bv, a3 = bv, a4 = bv, a5 = bv;
    const bi = <usize>(cb >> 2);
    const pc = px + (X ? <usize>load<i32>(xoT + (bi << 2)) : <usize>cb << 2);
    const m = X ? v128.load(mkT + (bi << 4)) : f32x4.splat(0);
    let t0 = tStart;
    let w0 = wStart + (<usize>cb << 2);
    for (let k = 0; k < nkd; k++) {
      const te = t0 + tLen;
      let wp = w0;
      for (let t = t0; t < te; t += 4) {
        const p = pc + <usize>load<i32>(t);
        const wv = v128.load(wp);
        a0 = madd(ldc(X, p, m), wv, a0);
        a1 = madd(ldc(X, p + ps, m), wv, a1);
        a2 = madd(ldc(X, p + 2 * ps, m), wv, a2);
        a3 = madd(ldc(X, p + 3 * ps, m), wv, a3);
        a4 = madd(ldc(X, p + 4 * ps, m), wv, a4);
        a5 = madd(ldc(X, p + 5 * ps, m), wv, a5);
        wp += rowW;
      }
      t0 += kdStep;
      w0 += wkdStep;
    }
    const q = yp + (<usize>cb << 2);
    const n = CM - cb;
    if (n >= 4) {
      v128.store(q, clampv(a0, vlo, vhi));
      v128.store(q + ys, clampv(a1, vlo, vhi));
      v128.store(q + 2 * ys, clampv(a2, vlo, vhi));
      v128.store(q + 3 * ys, clampv(a3, vlo, vhi));
      v128.store(q + 4 * ys, clampv(a4, vlo, vhi));
      v128.store(q + 5 * ys, clampv(a5, vlo, vhi));
    } else {
      storePartial(q, clampv(a0, vlo, vhi), n);
      storePartial(q + ys, clampv(a1, vlo, vhi), n);
      storePartial(q + 2 * ys, clampv(a2, vlo, vhi), n);
      storePartial(q + 3 * ys, clampv(a3, vlo, vhi), n);
      storePartial(q + 4 * ys, clampv(a4, vlo, vhi), n);
      storePartial(q + 5 * ys, clampv(a5, vlo, vhi), n);
    }
  }
}

// One pixel x all channels, over the in-range taps only: kd in [kd0, kd0+nkd), kh in [kh0, kh1), kw in [kw0, kw1).
// @ts-ignore: decorator
@inline
function clPixel(
  X: bool, px: usize, yp: usize, w: usize, bias: usize, CM: i32, rowW: usize, offs: usize,
  KH: i32, KW: i32, kd0: i32, nkd: i32, kh0: i32, kh1: i32, kw0: i32, kw1: i32, xoT: usize, mkT: usize,
  vlo: v128, vhi: v128,
): void {
  const nkw = kw1 - kw0;
  const kdEnd = kd0 + nkd;
  let cb = 0;
  // 16 channels at a time: 4 accumulators.
  for (; cb + 16 <= CM; cb += 16) {
    let a0 = v128.load(bias + (<usize>cb << 2));
    let a1 = v128.load(bias + (<usize>cb << 2), 16);
    let a2 = v128.load(bias + (<usize>cb << 2), 32);
    let a3 = v128.load(bias + (<usize>cb << 2), 48);
    const bi = <usize>(cb >> 2);
    const x0 = X ? <usize>load<i32>(xoT + (bi << 2)) : <usize>cb << 2;
    const x1 = X ? <usize>load<i32>(xoT + (bi << 2), 4) : x0 + 16;
    const x2 = X ? <usize>load<i32>(xoT + (bi << 2), 8) : x0 + 32;
    const x3 = X ? <usize>load<i32>(xoT + (bi << 2), 12) : x0 + 48;
    const m0 = X ? v128.load(mkT + (bi << 4)) : f32x4.splat(0);
    const m1 = X ? v128.load(mkT + (bi << 4), 16) : f32x4.splat(0);
    const m2 = X ? v128.load(mkT + (bi << 4), 32) : f32x4.splat(0);
    const m3 = X ? v128.load(mkT + (bi << 4), 48) : f32x4.splat(0);
    for (let kd = kd0; kd < kdEnd; kd++) {
      for (let kh = kh0; kh < kh1; kh++) {
        const tap = (kd * KH + kh) * KW + kw0;
        const t0 = offs + (<usize>tap << 2);
        const te = t0 + (<usize>nkw << 2);
        let wp = w + <usize>tap * rowW + (<usize>cb << 2);
        for (let t = t0; t < te; t += 4) {
          const p = px + <usize>load<i32>(t);
          a0 = madd(ldc(X, p + x0, m0), v128.load(wp), a0);
          a1 = madd(ldc(X, p + x1, m1), v128.load(wp, 16), a1);
          a2 = madd(ldc(X, p + x2, m2), v128.load(wp, 32), a2);
          a3 = madd(ldc(X, p + x3, m3), v128.load(wp, 48), a3);
          wp += rowW;
        }
      }
    }
    const q = yp + (<usize>cb << 2);
    v128.store(q, clampv(a0, vlo, vhi));
    v128.store(q, clampv(a1, vlo, vhi), 16);
    v128.store(q, clampv(a2, vlo, vhi), 32);
    v128.store(q, clampv(a3, vlo, vhi), 48);
  }
  for (; cb < CM; cb += 4) {
    let a0 = v128.load(bias + (<usize>cb << 2));
    const bi = <usize>(cb >> 2);
    const x0 = X ? <usize>load<i32>(xoT + (bi << 2)) : <usize>cb << 2;
    const m0 = X ? v128.load(mkT + (bi << 4)) : f32x4.splat(0);
    for (let kd = kd0; kd < kdEnd; kd++) {
      for (let kh = kh0; kh < kh1; kh++) {
        const tap = (kd * KH + kh) * KW + kw0;
        const t0 = offs + (<usize>tap << 2);
        const te = t0 + (<usize>nkw << 2);
        let wp = w + <usize>tap * rowW + (<usize>cb << 2);
        for (let t = t0; t < te; t += 4) {
          a0 = madd(ldc(X, px + <usize>load<i32>(t) + x0, m0), v128.load(wp), a0);
          wp += rowW;
        }
      }
    }
    storePartial(yp + (<usize>cb << 2), clampv(a0, vlo, vhi), CM - cb);
  }
}

// @ts-ignore: decorator
@inline
function clImage(
  X: bool, x: usize, w: usize, bias: usize, y: usize, offs: usize, xoT: usize, mkT: usize,
  kdR: usize, khR: usize, kwR: usize, C: i32, M: i32, H: i32, W: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, r0: i32, r1: i32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const CM = C * M;
  const rowW = <usize>((CM + 3) & ~3) << 2; // bytes of one tap's packed weights
  const ps = <usize>(SW * C) << 2; // input bytes between output pixels
  const ys = <usize>CM << 2; // output bytes per pixel
  const kdStep = <usize>(KH * KW) << 2;
  const wkdStep = <usize>(KH * KW) * rowW;
  const owA = min((PW + SW - 1) / SW, OW);
  const lim = W - 1 + PW - DW * (KW - 1);
  const owB = lim < 0 ? owA : max(owA, min(lim / SW + 1, OW));
  let yp = y + <usize>r0 * OW * ys;
  for (let r = r0; r < r1; r++) {
    const od = r / OH;
    const oh = r - od * OH;
    const kd0 = load<i32>(kdR + (<usize>od << 3));
    const nkd = load<i32>(kdR + (<usize>od << 3), 4) - kd0;
    const kh0 = load<i32>(khR + (<usize>oh << 3));
    const kh1 = load<i32>(khR + (<usize>oh << 3), 4);
    // Origin of output pixel 0 of this row (column -PW, possibly outside the image: only in-range taps are read).
    const org = x + (<usize>((((od * SD - PD) * H + oh * SH - PH) * W - PW) * C) << 2);
    let ow = 0;
    for (; ow < owA; ow++) {
      clPixel(X, org + <usize>ow * ps, yp, w, bias, CM, rowW, offs, KH, KW, kd0, nkd, kh0, kh1, load<i32>(kwR + (<usize>ow << 3)), load<i32>(kwR + (<usize>ow << 3), 4), xoT, mkT, vlo, vhi);
      yp += ys;
    }
    if (nkd > 0 && kh1 > kh0) {
      const tStart = offs + (<usize>((kd0 * KH + kh0) * KW) << 2);
      const tLen = <usize>((kh1 - kh0) * KW) << 2;
      const wStart = w + <usize>((kd0 * KH + kh0) * KW) * rowW;
      if (X) {
        for (; ow + 6 <= owB; ow += 6) {
          clHex(X, org + <usize>ow * ps, ps, yp, ys, bias, CM, rowW, tStart, tLen, kdStep, wStart, wkdStep, nkd, xoT, mkT, vlo, vhi);
          yp += ys * 6;
        }
      }
      for (; ow + 3 <= owB; ow += 3) {
        clTri(X, org + <usize>ow * ps, ps, yp, ys, bias, CM, rowW, tStart, tLen, kdStep, wStart, wkdStep, nkd, xoT, mkT, vlo, vhi);
        yp += ys * 3;
      }
    }
    for (; ow < OW; ow++) {
      clPixel(X, org + <usize>ow * ps, yp, w, bias, CM, rowW, offs, KH, KW, kd0, nkd, kh0, kh1, load<i32>(kwR + (<usize>ow << 3)), load<i32>(kwR + (<usize>ow << 3), 4), xoT, mkT, vlo, vhi);
      yp += ys;
    }
  }
}

function clImageM1(
  x: usize, w: usize, bias: usize, y: usize, offs: usize, xoT: usize, mkT: usize,
  kdR: usize, khR: usize, kwR: usize, C: i32, M: i32, H: i32, W: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, r0: i32, r1: i32,
): void {
  clImage(false, x, w, bias, y, offs, xoT, mkT, kdR, khR, kwR, C, M, H, W, OH, OW, KH, KW, SD, SH, SW, DW, PD, PH, PW, lo, hi, r0, r1);
}

function clImageMX(
  x: usize, w: usize, bias: usize, y: usize, offs: usize, xoT: usize, mkT: usize,
  kdR: usize, khR: usize, kwR: usize, C: i32, M: i32, H: i32, W: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, r0: i32, r1: i32,
): void {
  clImage(true, x, w, bias, y, offs, xoT, mkT, kdR, khR, kwR, C, M, H, W, OH, OW, KH, KW, SD, SH, SW, DW, PD, PH, PW, lo, hi, r0, r1);
}

// One image, channels-last: x [D][H][W][C], w packed [KD*KH*KW][CMp] (dwconv_pack_cl), bias [CMp + 16]
// (zero-filled), y [OD][OH][OW][C*M]. Reads up to 3 elements past x's end (discarded lanes).
// ws: dwconv_cl_workspace(...) bytes. Computes output rows [r0, r1) of the OD*OH rows, or with a `queue` the
// chunks of them it claims.
// @driver
// @ts-ignore: decorator
@inline
export function dwconvCl(
  x: usize, w: usize, bias: usize, y: usize, ws: usize,
  C: i32, M: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, r0: i32, r1: i32, queue: usize,
): void {
  const T = KD * KH * KW;
  const offs = ws;
  let t = 0;
  for (let kd = 0; kd < KD; kd++) {
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        store<i32>(offs + (<usize>t << 2), ((kd * DD * H + kh * DH) * W + kw * DW) * C << 2);
        t++;
      }
    }
  }
  // Channel multiplier > 1: for each block of 4 output channels, the input channel of its first lane (bytes)
  // and the byte swizzle that spreads input lanes (co+i)/M - c0 to output lanes i.
  const nb = (C * M + 3) >> 2;
  const mkT = (offs + (<usize>T << 2) + 15) & ~15;
  const xoT = mkT + (<usize>nb << 4);
  if (M > 1) {
    for (let b = 0; b < nb; b++) {
      const c0 = (b << 2) / M;
      store<i32>(xoT + (<usize>b << 2), c0 << 2);
      for (let i = 0; i < 4; i++) {
        const l = min(((b << 2) + i) / M, C - 1) - c0;
        store<u32>(mkT + (<usize>b << 4) + (<usize>i << 2), (<u32>l << 2) * 0x01010101 + 0x03020100);
      }
    }
  }
  // In-range tap ranges per output depth, row and column.
  const kdR = xoT + (<usize>nb << 2);
  const khR = kdR + (<usize>OD << 3);
  const kwR = khR + (<usize>OH << 3);
  tapRanges(kdR, OD, SD, PD, DD, KD, D);
  tapRanges(khR, OH, SH, PH, DH, KH, H);
  tapRanges(kwR, OW, SW, PW, DW, KW, W);
  for (let b = firstChunk(queue, r0, r1); b < r1; b = nextChunk(queue, r1)) {
    const e = chunkEnd(queue, b, r1);
    if (M > 1) clImageMX(x, w, bias, y, offs, xoT, mkT, kdR, khR, kwR, C, M, H, W, OH, OW, KH, KW, SD, SH, SW, DW, PD, PH, PW, lo, hi, b, e);
    else clImageM1(x, w, bias, y, offs, xoT, mkT, kdR, khR, kwR, C, M, H, W, OH, OW, KH, KW, SD, SH, SW, DW, PD, PH, PW, lo, hi, b, e);
  }
}

// Packs PyTorch's depthwise weights [CM][T] into [T][CMp] (CMp = CM rounded up to 4, zero-filled).
export function dwconv_pack_cl(w: usize, CM: i32, T: i32, dst: usize): void {
  const CMp = (CM + 3) & ~3;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < CMp; c++) {
      const v: f32 = c < CM ? load<f32>(w + ((<usize>c * T + t) << 2)) : 0;
      store<f32>(dst + ((<usize>t * CMp + c) << 2), v);
    }
  }
}
