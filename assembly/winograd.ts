// Winograd F(2x2, 3x3) for 3x3 stride-1 conv2d (any dilation, by phases: see wino_f23_cf), channels-first (the
// plan transposes channels-last tensors: layout.ts), one group, and its undilated 3-D twin at the end of the
// file: the opt-in `algorithm: 'winograd'` (src/backends/wasm/winograd-conv-plan.ts chooses it).
//
// Each 2x2 block of outputs (a tile) comes from a 4x4 input patch d and, per channel pair, the 3x3 kernel g:
//     Y = A^T [ sum over input channels of (G g G^T) . (B^T d B) ] A        (. elementwise, 4x4)
// with, for PyTorch's cross-correlation,
//     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
//     A^T = [1 1 1 0; 0 1 -1 -1].
// So 16 products per tile and channel pair instead of 36 (2.25x fewer multiplies): for each of the 16 (i, j),
// M_ij[Cout][tiles] = U_ij[Cout][Cin] x V_ij[Cin][tiles], an ordinary GEMM that runs on gemm.ts's microkernels
// with U_ij packed once per plan (U = G g G^T, computed in float64 by the host).
//
// Work goes by blocks of tile rows (L2-sized): transform the block's input patches into V (four tiles per
// vector), run the 16 GEMMs into M, transform M back into outputs with bias and activation. The image is a
// zero-padded copy [C][Hq][Wq], Hq = 2 * tile rows + 2, Wq = 2 * tilesW + 2 with tilesW a multiple of 4, so
// every patch is in bounds (tiles past the output's edge compute values that are never stored).
//
// Accuracy: every step is a short sum with coefficients 0, +-1 or +-1/2, so the error is bounded like the
// direct convolution's but with the sums of |w| |x| taken through |A^T|, |G|, |B^T| (a few times larger);
// test/winograd.test.ts checks exactly that bound. NaN propagates to the outputs whose window holds it; an
// infinite input can give NaN where the direct sum gives +-Inf (Inf - Inf inside the transforms).
import { clampv, storePartial8 } from './simd';
import { gemm_packed_a } from './gemm';
import { chunkEnd, firstChunk, nextChunk } from './schedule';

// One row of four patches (image row at q, patch columns starting 8 floats apart), with B^T applied along the
// row: column j of tile i is image column 2 i + j; the four results (j = 0..3, one lane per tile) go to o, 16
// bytes apart.
// @ts-ignore: decorator
@inline
function patchRow(q: usize, o: usize): void {
  const l0 = v128.load(q);
  const l1 = v128.load(q, 16);
  const l2 = v128.load(q, 32);
  const d0 = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6);
  const d1 = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7);
  const d2 = v128.shuffle<f32>(l0, v128.shuffle<f32>(l1, l2, 0, 2, 4, 6), 2, 4, 5, 6);
  const d3 = v128.shuffle<f32>(l0, v128.shuffle<f32>(l1, l2, 1, 3, 5, 7), 3, 4, 5, 6);
  v128.store(o, f32x4.sub(d0, d2));
  v128.store(o, f32x4.add(d1, d2), 16);
  v128.store(o, f32x4.sub(d2, d1), 32);
  v128.store(o, f32x4.sub(d1, d3), 48);
}

// B^T along one axis: four vectors `from` bytes apart at src into four `to` bytes apart at dst.
// @ts-ignore: decorator
@inline
function transformB(src: usize, from: usize, dst: usize, to: usize): void {
  const w0 = v128.load(src);
  const w1 = v128.load(src + from);
  const w2 = v128.load(src + 2 * from);
  const w3 = v128.load(src + 3 * from);
  v128.store(dst, f32x4.sub(w0, w2));
  v128.store(dst + to, f32x4.add(w1, w2));
  v128.store(dst + 2 * to, f32x4.sub(w2, w1));
  v128.store(dst + 3 * to, f32x4.sub(w1, w3));
}

// A^T along one axis: four vectors `from` bytes apart at src into two `to` bytes apart at dst.
// @ts-ignore: decorator
@inline
function transformA(src: usize, from: usize, dst: usize, to: usize): void {
  const m0 = v128.load(src);
  const m1 = v128.load(src + from);
  const m2 = v128.load(src + 2 * from);
  const m3 = v128.load(src + 3 * from);
  v128.store(dst, f32x4.add(f32x4.add(m0, m1), m2));
  v128.store(dst + to, f32x4.sub(f32x4.sub(m1, m2), m3));
}

// Bytes between the transformed matrices V_k (M_k) of a block: C (Cout) x nt floats plus one cache line. Without
// the line, 64 channels of 64 tiles put the 16 (64) streams the transforms read and write exactly 16 KiB apart,
// all in one L1 set (4 KiB aliasing): the input transform ran at half speed on such blocks.
// @ts-ignore: decorator
@inline
export function matrixStride(rows: i32, nt: i32): usize {
  return (<usize>rows * nt << 2) + 64;
}

// V[16][C][nt] of tile rows [tr0, tr1): tile t = (tr - tr0) * tilesW + tw. The image's channels are `plane`
// bytes apart and its rows `row` bytes apart (a dilated phase's rows are interleaved with the other phases').
// `w` is 256 bytes of scratch.
function inputTransform(x: usize, C: i32, plane: usize, row: usize, tilesW: i32, tr0: i32, tr1: i32, v: usize, nt: i32, w: usize): void {
  const kStride = matrixStride(C, nt);
  for (let c = 0; c < C; c++) {
    let vt = v + (<usize>c * nt << 2);
    for (let tr = tr0; tr < tr1; tr++) {
      let p = x + <usize>c * plane + <usize>(2 * tr) * row;
      for (let tw = 0; tw < tilesW; tw += 4) {
        // B^T along the patch columns (w[r][j]), then along the rows into V_ij.
        for (let r = 0; r < 4; r++) patchRow(p + <usize>r * row, w + (<usize>r << 6));
        for (let j = 0; j < 4; j++) transformB(w + (<usize>j << 4), 64, vt + <usize>j * kStride, 4 * kStride);
        vt += 16;
        p += 32;
      }
    }
  }
}

// M_k = U_k x V_k for the `count` k (16 in 2-D, 64 in 3-D): U_k packed in `rows`-row panels [ceil(Cout / rows)][Cin][rows], k apart by
// uStride bytes; V_k [Cin][nt], M_k [Cout][nt]. Weight panel outside, tiles inside: both stay in L1.
export function transformedGemms(count: i32, u: usize, uStride: usize, rows: i32, C: i32, cout: i32, v: usize, m: usize, nt: i32, zeros: usize): void {
  const ld = <usize>nt << 2;
  const panel = <usize>(C * rows) << 2;
  for (let k = 0; k < count; k++) {
    const a = u + <usize>k * uStride;
    const b = v + <usize>k * matrixStride(C, nt);
    const c = m + <usize>k * matrixStride(cout, nt);
    for (let m0 = 0; m0 < cout; m0 += rows) {
      const mr = min(rows, cout - m0);
      const ap = a + <usize>(m0 / rows) * panel;
      const cp = c + <usize>m0 * ld;
      for (let n0 = 0; n0 < nt; n0 += 8) {
        const nr = min(8, nt - n0);
        const o = <usize>n0 << 2;
        gemm_packed_a(rows, mr, nr, C, ap, b + o, ld, cp + o, ld, zeros, -Infinity, Infinity);
      }
    }
  }
}

// The first n of eight outputs (lo, hi) in a row whose columns are colBytes apart.
// @ts-ignore: decorator
@inline
function storeRow8(o: usize, lo: v128, hi: v128, n: i32, colBytes: usize): void {
  if (colBytes == 4) {
    storePartial8(o, lo, hi, n);
    return;
  }
  f32.store(o, f32x4.extract_lane(lo, 0));
  if (n < 2) return;
  f32.store(o + colBytes, f32x4.extract_lane(lo, 1));
  if (n < 3) return;
  f32.store(o + 2 * colBytes, f32x4.extract_lane(lo, 2));
  if (n < 4) return;
  f32.store(o + 3 * colBytes, f32x4.extract_lane(lo, 3));
  if (n < 5) return;
  f32.store(o + 4 * colBytes, f32x4.extract_lane(hi, 0));
  if (n < 6) return;
  f32.store(o + 5 * colBytes, f32x4.extract_lane(hi, 1));
  if (n < 7) return;
  f32.store(o + 6 * colBytes, f32x4.extract_lane(hi, 2));
  if (n < 8) return;
  f32.store(o + 7 * colBytes, f32x4.extract_lane(hi, 3));
}

// Outputs of tile rows [tr0, tr1) from M[16][Cout][nt]: A^T M A per tile, four tiles per vector, then bias,
// clamp, and the two output rows of each tile interleaved back into image order. OH x OW outputs, channels
// `plane` bytes apart, rows `rowBytes` apart, columns `colBytes` apart (4, or a dilated phase's stride).
function outputTransform(
  m: usize, nt: i32, cout: i32, y: usize, OH: i32, OW: i32, plane: usize, rowBytes: usize, colBytes: usize,
  tilesW: i32, tr0: i32, tr1: i32, bias: usize, lo: f32, hi: f32,
): void {
  const kStride = matrixStride(cout, nt);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  for (let co = 0; co < cout; co++) {
    const bv = v128.load32_splat(bias + (<usize>co << 2));
    let mt = m + (<usize>co * nt << 2);
    const yc = y + <usize>co * plane;
    for (let tr = tr0; tr < tr1; tr++) {
      const oy = 2 * tr;
      const y0 = yc + <usize>oy * rowBytes;
      const second = oy + 1 < OH;
      for (let tw = 0; tw < tilesW; tw += 4) {
        const n = min(8, OW - 2 * tw);
        if (n > 0) {
          // A^T along i (s0j, s1j), then along j.
          let m0 = v128.load(mt), m1 = v128.load(mt + 4 * kStride), m2 = v128.load(mt + 8 * kStride), m3 = v128.load(mt + 12 * kStride);
          const s00 = f32x4.add(f32x4.add(m0, m1), m2);
          const s10 = f32x4.sub(f32x4.sub(m1, m2), m3);
          m0 = v128.load(mt + kStride); m1 = v128.load(mt + 5 * kStride); m2 = v128.load(mt + 9 * kStride); m3 = v128.load(mt + 13 * kStride);
          const s01 = f32x4.add(f32x4.add(m0, m1), m2);
          const s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
          m0 = v128.load(mt + 2 * kStride); m1 = v128.load(mt + 6 * kStride); m2 = v128.load(mt + 10 * kStride); m3 = v128.load(mt + 14 * kStride);
          const s02 = f32x4.add(f32x4.add(m0, m1), m2);
          const s12 = f32x4.sub(f32x4.sub(m1, m2), m3);
          m0 = v128.load(mt + 3 * kStride); m1 = v128.load(mt + 7 * kStride); m2 = v128.load(mt + 11 * kStride); m3 = v128.load(mt + 15 * kStride);
          const s03 = f32x4.add(f32x4.add(m0, m1), m2);
          const s13 = f32x4.sub(f32x4.sub(m1, m2), m3);
          const y00 = clampv(f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), bv), vlo, vhi);
          const y01 = clampv(f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), bv), vlo, vhi);
          const o = y0 + <usize>(2 * tw) * colBytes;
          storeRow8(o, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), n, colBytes);
          if (second) {
            const y10 = clampv(f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), bv), vlo, vhi);
            const y11 = clampv(f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), bv), vlo, vhi);
            storeRow8(o + rowBytes, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), n, colBytes);
          }
        }
        mt += 16;
      }
    }
  }
}

// Units [uBegin, uEnd) of one image, `blockRows` tile rows at a time, or with a `queue` (assembly/schedule.ts)
// the chunks of them this call claims. x: padded image [C][Hq][Wq]; u: packed U (16 x uStride bytes); y: output
// [Cout][OH][OW]; v: scratch of 16 matrixStride(C, blockRows * tilesW) bytes plus 256; m: scratch of 16
// matrixStride(Cout, blockRows * tilesW) bytes; zeros: Cout + 8 zero floats.
//
// Dilation (DH, DW): output (oy, ox) only reads inputs of its phase (oy % DH, ox % DW), so each of the DH x DW
// phases is an undilated 3x3 convolution of the phase's sub-image. The padded copy splits each row into DW
// segments of segW columns (copy_into_padded with SW = DW): phase (py, px) starts at row py, segment px, and
// its rows are DH image rows apart. Tile rows count within each phase; the outputs go back DH rows and DW
// columns apart. Undilated: DH = DW = 1, segW = Wq. A unit is one tile row of one phase, phase-major, each
// phase counted as many tile rows as phase 0 has (the most): DH * DW * ceil(ceil(OH / DH) / 2) units.
// @driver
export function winoF23Cf(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Hq: i32, Wq: i32, cout: i32, OH: i32, OW: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, uBegin: i32, uEnd: i32, DH: i32, DW: i32, segW: i32, queue: usize,
): void {
  for (let b = firstChunk(queue, uBegin, uEnd); b < uEnd; b = nextChunk(queue, uEnd)) {
    winoF23Units(x, u, uStride, bias, zeros, y, C, Hq, Wq, cout, OH, OW, tilesW, rows, v, m, blockRows, lo, hi, b, chunkEnd(queue, b, uEnd), DH, DW, segW);
  }
}

function winoF23Units(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Hq: i32, Wq: i32, cout: i32, OH: i32, OW: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, uBegin: i32, uEnd: i32, DH: i32, DW: i32, segW: i32,
): void {
  const scratch = v + 16 * matrixStride(C, blockRows * tilesW);
  const plane = <usize>Hq * Wq << 2;
  const row = <usize>(DH * Wq) << 2;
  const outPlane = <usize>OH * OW << 2;
  const outRow = <usize>(DH * OW) << 2;
  const outCol = <usize>DW << 2;
  const tileRows = ((OH + DH - 1) / DH + 1) >> 1;
  for (let py = 0; py < DH; py++) {
    const OHs = (OH - py + DH - 1) / DH;
    for (let px = 0; px < DW; px++) {
      const OWs = (OW - px + DW - 1) / DW;
      const first = (py * DW + px) * tileRows;
      const end = min(uEnd - first, (OHs + 1) >> 1);
      if (OWs <= 0) continue;
      const xs = x + (<usize>(py * Wq + px * segW) << 2);
      const ys = y + (<usize>(py * OW + px) << 2);
      for (let tr0 = max(0, uBegin - first); tr0 < end; tr0 += blockRows) {
        const tr1 = min(tr0 + blockRows, end);
        const nt = (tr1 - tr0) * tilesW;
        inputTransform(xs, C, plane, row, tilesW, tr0, tr1, v, nt, scratch);
        transformedGemms(16, u, uStride, rows, C, cout, v, m, nt, zeros);
        outputTransform(m, nt, cout, ys, OHs, OWs, outPlane, outRow, outCol, tilesW, tr0, tr1, bias, lo, hi);
      }
    }
  }
}

// 3-D, F(2x2x2, 3x3x3): the same transforms along depth too (64 products per tile and channel pair instead of
// 216). A tile row is one (tz, ty); V and M are [64][C or Cout][nt] with k = 16 l + 4 i + j (depth, row, column).

// V of tile rows [tr0, tr1) (tr = tz * tilesH + ty). `w` is 1 KiB of scratch.
function inputTransform3d(
  x: usize, C: i32, Dq: i32, Hq: i32, Wq: i32, tilesH: i32, tilesW: i32, tr0: i32, tr1: i32, v: usize, nt: i32, w: usize,
): void {
  const row = <usize>Wq << 2;
  const slice = <usize>Hq * row;
  const plane = <usize>Dq * slice;
  const kStride = matrixStride(C, nt);
  for (let c = 0; c < C; c++) {
    let vt = v + (<usize>c * nt << 2);
    for (let tr = tr0; tr < tr1; tr++) {
      const tz = tr / tilesH;
      const ty = tr - tz * tilesH;
      let p = x + <usize>c * plane + <usize>(2 * tz) * slice + <usize>(2 * ty) * row;
      for (let tw = 0; tw < tilesW; tw += 4) {
        // w[a][r][j]: along the columns; then along the rows, in place (w[a][i][j]); then along depth into V.
        for (let a = 0; a < 4; a++) {
          for (let r = 0; r < 4; r++) patchRow(p + <usize>a * slice + <usize>r * row, w + (<usize>(a * 4 + r) << 6));
        }
        for (let a = 0; a < 4; a++) {
          for (let j = 0; j < 4; j++) {
            const o = w + (<usize>a << 8) + (<usize>j << 4);
            transformB(o, 64, o, 64);
          }
        }
        for (let ij = 0; ij < 16; ij++) transformB(w + (<usize>ij << 4), 256, vt + <usize>ij * kStride, 16 * kStride);
        vt += 16;
        p += 32;
      }
    }
  }
}

// Outputs of tile rows [tr0, tr1) from M: A^T along depth, rows and columns; `w` is 1 KiB of scratch.
function outputTransform3d(
  m: usize, nt: i32, cout: i32, y: usize, OD: i32, OH: i32, OW: i32, tilesH: i32, tilesW: i32, tr0: i32, tr1: i32,
  bias: usize, lo: f32, hi: f32, w: usize,
): void {
  const kStride = matrixStride(cout, nt);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const rowBytes = <usize>OW << 2;
  const sliceBytes = <usize>OH * rowBytes;
  for (let co = 0; co < cout; co++) {
    const bv = v128.load32_splat(bias + (<usize>co << 2));
    let mt = m + (<usize>co * nt << 2);
    const yc = y + <usize>co * OD * sliceBytes;
    for (let tr = tr0; tr < tr1; tr++) {
      const tz = tr / tilesH;
      const ty = tr - tz * tilesH;
      for (let tw = 0; tw < tilesW; tw += 4) {
        const n = min(8, OW - 2 * tw);
        if (n > 0) {
          // s[e][i][j] (e: output depth), then t[e][f][j] (f: output row), then the two output columns.
          for (let ij = 0; ij < 16; ij++) transformA(mt + <usize>ij * kStride, 16 * kStride, w + (<usize>ij << 4), 256);
          for (let e = 0; e < 2; e++) {
            for (let j = 0; j < 4; j++) {
              const o = w + (<usize>e << 8) + (<usize>j << 4);
              transformA(o, 64, o, 64);
            }
          }
          for (let e = 0; e < 2; e++) {
            const oz = 2 * tz + e;
            if (oz >= OD) break;
            for (let f = 0; f < 2; f++) {
              const oy = 2 * ty + f;
              if (oy >= OH) break;
              const t = w + (<usize>e << 8) + (<usize>f << 6);
              const t0 = v128.load(t), t1 = v128.load(t, 16), t2 = v128.load(t, 32), t3 = v128.load(t, 48);
              const y0 = clampv(f32x4.add(f32x4.add(f32x4.add(t0, t1), t2), bv), vlo, vhi);
              const y1 = clampv(f32x4.add(f32x4.sub(f32x4.sub(t1, t2), t3), bv), vlo, vhi);
              const o = yc + <usize>oz * sliceBytes + <usize>oy * rowBytes + (<usize>(2 * tw) << 2);
              storePartial8(o, v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), n);
            }
          }
        }
        mt += 16;
      }
    }
  }
}

// wino_f23_cf's 3-D twin: tile rows [trBegin, trEnd) of the tilesD x tilesH tile rows (or with a `queue` the
// chunks of them this call claims). x: padded [C][Dq][Hq][Wq];
// u: 64 packed U_k; v: scratch of 64 matrixStride(C, blockRows * tilesW) bytes plus 1 KiB; m: 64 matrixStride(Cout,
// blockRows * tilesW) bytes.
// @driver
export function winoF222Cf(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Dq: i32, Hq: i32, Wq: i32, cout: i32, OD: i32, OH: i32, OW: i32, tilesH: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, trBegin: i32, trEnd: i32, queue: usize,
): void {
  for (let b = firstChunk(queue, trBegin, trEnd); b < trEnd; b = nextChunk(queue, trEnd)) {
    winoF222Rows(x, u, uStride, bias, zeros, y, C, Dq, Hq, Wq, cout, OD, OH, OW, tilesH, tilesW, rows, v, m, blockRows, lo, hi, b, chunkEnd(queue, b, trEnd));
  }
}

function winoF222Rows(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Dq: i32, Hq: i32, Wq: i32, cout: i32, OD: i32, OH: i32, OW: i32, tilesH: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, trBegin: i32, trEnd: i32,
): void {
  const scratch = v + 64 * matrixStride(C, blockRows * tilesW);
  for (let tr0 = trBegin; tr0 < trEnd; tr0 += blockRows) {
    const tr1 = min(tr0 + blockRows, trEnd);
    const nt = (tr1 - tr0) * tilesW;
    inputTransform3d(x, C, Dq, Hq, Wq, tilesH, tilesW, tr0, tr1, v, nt, scratch);
    transformedGemms(64, u, uStride, rows, C, cout, v, m, nt, zeros);
    outputTransform3d(m, nt, cout, y, OD, OH, OW, tilesH, tilesW, tr0, tr1, bias, lo, hi, scratch);
  }
}
