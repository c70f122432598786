// Depthwise 3x3 stride-2 convolution, channels-first in and out, vectorised along the output width (4 pixels per
// vector) and read straight from the input rows. Why a kernel of its own: the per-plane kernel (depthwise.ts)
// first splits every input row into its even and odd halves, and the channel-blocked one (depthwise-blocked.ts)
// transposes four input pixels per output pixel; on the narrow maps where MobileNet-style networks downsample
// (28 -> 14, 14 -> 7) either copy cost as much as the multiply-adds.
//
// For a quad of 4 output pixels starting at output column 4q, tap kw of lane i reads input column
// 8q + 2i - PW + kw: taps 0 and 1 are the even and odd lanes of the pair of vectors loaded at 8q - PW, tap 2
// the even lanes of the pair 2 columns on (4 loads, 3 shuffles per input row and quad). An output row's third
// kernel row is the next output row's first: that input row is loaded and shuffled once, feeding the current
// accumulator (weights of kernel row 2) and the next row's (kernel row 0, "carry").
//
// Borders: rows outside the input are skipped. Quads with a lane reading horizontal padding (the first; the
// last where the row ends in padding) AND their shuffled vectors with per-quad lane masks; the loads stay
// inside the guard bytes the host keeps around the input (depthwise-conv-plan.ts). Lanes of pixels past the
// row's end compute values that are never kept: the last quad's full store spills into the next row's first
// pixels, which the quads after it overwrite (quads run from last to first), and the plane's last row stores
// only its own pixels.
import { clampv, evens, madd, odds, storePartial } from './simd';
import { chunkEnd, firstChunk, nextChunk } from './schedule';

// Whether dwconv_cf runs this kernel: 2-D, a 3x3 kernel at stride 2 and dilation 1 on both axes.
export function dwconv_3x3_s2_applies(D: i32, KD: i32, KH: i32, KW: i32, SH: i32, SW: i32, DH: i32, DW: i32): i32 {
  return D == 1 && KD == 1 && KH == 3 && KW == 3 && SH == 2 && SW == 2 && DH == 1 && DW == 1 ? 1 : 0;
}

// Workspace bytes: three lane masks and a flag per quad.
export function dwconv_3x3_s2_workspace(OW: i32): i32 {
  return ((OW + 3) >> 2) * 49 + 16;
}

// Tap kw (0..2) of one input row for a quad: p at input column 8q - PW of that row, m the quad's masks.
// @ts-ignore: decorator
@inline
function tap(MASK: bool, kw: i32, p: usize, m: usize): v128 {
  const o: usize = kw == 2 ? 8 : 0;
  const a = v128.load(p + o);
  const b = v128.load(p + o, 16);
  const t = kw == 1 ? odds(a, b) : evens(a, b);
  return MASK ? v128.and(t, v128.load(m + (<usize>kw << 4))) : t;
}

// One quad's column of output rows. xq: input column 8q - PW of row 0; yq: output column 4q of row 0; n: the
// quad's pixels inside the row (1..4), stored alone on the plane's last row.
// @ts-ignore: decorator
@inline
function quadRows(
  MASK: bool, xq: usize, m: usize, yq: usize, rowIn: usize, rowOut: usize, H: i32, OH: i32, PH: i32, n: i32,
  k00: v128, k01: v128, k02: v128, k10: v128, k11: v128, k12: v128, k20: v128, k21: v128, k22: v128,
  bv: v128, clamped: bool, vlo: v128, vhi: v128,
): void {
  // The first output row's kernel row 0 reads input row -PH: inside only without top padding.
  let carry = bv;
  if (PH == 0) {
    carry = madd(tap(MASK, 0, xq, m), k00, carry);
    carry = madd(tap(MASK, 1, xq, m), k01, carry);
    carry = madd(tap(MASK, 2, xq, m), k02, carry);
  }
  let h = -PH; // input row of kernel row 0
  let q = yq;
  for (let oh = 0; oh < OH; oh++) {
    let acc = carry;
    const h1 = h + 1;
    if (<u32>h1 < <u32>H) {
      const p = xq + <usize>h1 * rowIn;
      acc = madd(tap(MASK, 0, p, m), k10, acc);
      acc = madd(tap(MASK, 1, p, m), k11, acc);
      acc = madd(tap(MASK, 2, p, m), k12, acc);
    }
    const h2 = h + 2;
    carry = bv;
    if (<u32>h2 < <u32>H) {
      const p = xq + <usize>h2 * rowIn;
      const t0 = tap(MASK, 0, p, m);
      const t1 = tap(MASK, 1, p, m);
      const t2 = tap(MASK, 2, p, m);
      acc = madd(t2, k22, madd(t1, k21, madd(t0, k20, acc)));
      carry = madd(t2, k02, madd(t1, k01, madd(t0, k00, carry)));
    }
    if (clamped) acc = clampv(acc, vlo, vhi);
    if (oh + 1 < OH) v128.store(q, acc);
    else storePartial(q, acc, n);
    q += rowOut;
    h += 2;
  }
}

// Output channels [co0, co1) (or with a queue the chunks of them this thread claims) of one image: x [C][H][W],
// w [C*M][9] (PyTorch's layout), bias [C*M], y [C*M][OH][OW]; output channel co reads input channel co / M.
// Reads up to PW elements before a row and 10 - PW past the last quad's first column (the host's guards).
export function dwconv3x3s2(
  x: usize, w: usize, bias: usize, y: usize, ws: usize, M: i32, H: i32, W: i32, OH: i32, OW: i32, PH: i32, PW: i32,
  lo: f32, hi: f32, co0: i32, co1: i32, queue: usize,
): void {
  const nq = (OW + 3) >> 2;
  // Lane masks per quad and tap: lane i of tap kw is kept where its column is inside the row, or where its pixel
  // is past the row's end (never stored). After them, per quad, whether any lane is cleared (else it runs
  // unmasked).
  const masks = (ws + 15) & ~(<usize>15);
  const masked = masks + <usize>(nq * 48);
  for (let q = 0; q < nq; q++) {
    let any = false;
    for (let kw = 0; kw < 3; kw++) {
      for (let i = 0; i < 4; i++) {
        const col = 8 * q + 2 * i - PW + kw;
        const keep = 4 * q + i >= OW || (col >= 0 && col < W);
        if (!keep) any = true;
        store<i32>(masks + (<usize>(q * 3 + kw) << 4) + (<usize>i << 2), keep ? -1 : 0);
      }
    }
    store<u8>(masked + <usize>q, any ? 1 : 0);
  }
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const clamped = lo > -Infinity || hi < Infinity;
  const plane = <usize>H * W << 2;
  const rowIn = <usize>W << 2;
  const rowOut = <usize>OW << 2;
  const oplane = <usize>OH * rowOut;
  for (let b = firstChunk(queue, co0, co1); b < co1; b = nextChunk(queue, co1)) {
    const e = chunkEnd(queue, b, co1);
    for (let co = b; co < e; co++) {
      const xp = x + <usize>(co / M) * plane;
      const wc = w + <usize>co * 36;
      const k00 = v128.load32_splat(wc), k01 = v128.load32_splat(wc, 4), k02 = v128.load32_splat(wc, 8);
      const k10 = v128.load32_splat(wc, 12), k11 = v128.load32_splat(wc, 16), k12 = v128.load32_splat(wc, 20);
      const k20 = v128.load32_splat(wc, 24), k21 = v128.load32_splat(wc, 28), k22 = v128.load32_splat(wc, 32);
      const bv = v128.load32_splat(bias + (<usize>co << 2));
      const yp = y + <usize>co * oplane;
      for (let q = nq - 1; q >= 0; q--) {
        const xq = xp + <usize>((8 * q - PW) << 2);
        const yq = yp + (<usize>(4 * q) << 2);
        const n = min(4, OW - 4 * q);
        const m = masks + <usize>(q * 48);
        if (load<u8>(masked + <usize>q)) {
          quadRows(true, xq, m, yq, rowIn, rowOut, H, OH, PH, n, k00, k01, k02, k10, k11, k12, k20, k21, k22, bv, clamped, vlo, vhi);
        } else {
          quadRows(false, xq, m, yq, rowIn, rowOut, H, OH, PH, n, k00, k01, k02, k10, k11, k12, k20, k21, k22, bv, clamped, vlo, vhi);
        }
      }
    }
  }
}
