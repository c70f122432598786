// Winograd F(4x4, 3x3) for undilated 3x3 stride-1 conv2d, channels-first: `algorithm: 'fast'` takes it where its
// cost model predicts it beats F(2x2, 3x3) and the default path (src/backends/wasm/winograd-conv-plan.ts).
//
// Each 4x4 block of outputs (a tile) comes from a 6x6 input patch d and, per channel pair, the 3x3 kernel g:
//     Y = A^T [ sum over input channels of (G g G^T) . (B^T d B) ] A        (. elementwise, 6x6)
// with the points 0, 1, -1, 2, -1/2 and infinity (cross-correlation, as PyTorch):
//     B^T = [1 3/2 -2 -3/2 1 0; 0 -1 -5/2 -1/2 1 0; 0 1 1/2 -5/2 1 0; 0 -1/2 -1 1/2 1 0; 0 2 -1 -2 1 0;
//            0 1 3/2 -2 -3/2 1],
//     G = [1 0 0; -1/3 -1/3 -1/3; 1/3 -1/3 1/3; 1/15 2/15 4/15; -16/15 8/15 -4/15; 0 0 1],
//     A^T = [1 1 1 1 1 0; 0 1 -1 2 -1/2 0; 0 1 1 4 1/4 0; 0 1 -1 8 -1/8 1].
// Why these points and not Lavin and Gray's 0, +-1, +-2: with -1/2 for -2 the transformed values are smaller
// against the outputs, so the float32 error is lower for about the same work (scripts/winograd-points.py;
// figures: docs/PERFORMANCE.md, 2026-12-07, second pass).
// 36 products per tile and channel pair instead of 144 (4x fewer multiplies), as 36 GEMMs on the transformed
// matrices (winograd.ts transformedGemms). Everything else is F(2x2, 3x3)'s (winograd.ts): blocks of tile rows,
// four tiles per vector, a zero-padded image rounded up to whole tiles.
//
// Accuracy: B^T along an axis takes at most 3 roundings (its halves and quarters of 2 and 4 are exact, the
// multiples of 3/2 not), A^T at most 3, so with G g G^T rounded once, the product, the channel sum and the bias,
// a term carries at most Cin + 14 roundings, through |A^T|, |G|, |B^T| (larger than F(2x2, 3x3)'s:
// test/winograd.test.ts checks the bound).
import { clampv, storePartial } from './simd';
import { matrixStride, transformedGemms } from './winograd';
import { chunkEnd, firstChunk, nextChunk } from './schedule';

// B^T along one axis of six vectors (d0..d5) into six at dst, `to` bytes apart. With a = d1 - d3, e = d4 - d2:
// rows (d0 - d2) + e + 3/2 a, (e - a) - 3/2 (d2 + d3), (e + a) + 3/2 (d2 - d3), e - a/2, e + 2a,
// (d5 + (d1 - 2 d3)) - 3/2 e.
// @ts-ignore: decorator
@inline
function transformB6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, to: usize): void {
  const three2 = f32x4.splat(1.5);
  const a = f32x4.sub(d1, d3);
  const e = f32x4.sub(d4, d2);
  v128.store(dst, f32x4.add(f32x4.add(f32x4.sub(d0, d2), e), f32x4.mul(three2, a)));
  v128.store(dst + to, f32x4.sub(f32x4.sub(e, a), f32x4.mul(three2, f32x4.add(d2, d3))));
  v128.store(dst + 2 * to, f32x4.add(f32x4.add(e, a), f32x4.mul(three2, f32x4.sub(d2, d3))));
  v128.store(dst + 3 * to, f32x4.sub(e, f32x4.mul(f32x4.splat(0.5), a)));
  v128.store(dst + 4 * to, f32x4.add(e, f32x4.add(a, a)));
  v128.store(dst + 5 * to, f32x4.sub(f32x4.add(d5, f32x4.sub(d1, f32x4.add(d3, d3))), f32x4.mul(three2, e)));
}

// V[36][C][nt] of tile rows [tr0, tr1): tile t = (tr - tr0) * tilesW + tw, four tiles per vector. Tile column
// tw covers image columns 4 tw .. 4 tw + 5. `w` is 576 bytes of scratch.
function inputTransform43(x: usize, C: i32, plane: usize, row: usize, tilesW: i32, tr0: i32, tr1: i32, v: usize, nt: i32, w: usize): void {
  const kStride = matrixStride(C, nt);
  for (let c = 0; c < C; c++) {
    let vt = v + (<usize>c * nt << 2);
    for (let tr = tr0; tr < tr1; tr++) {
      let p = x + <usize>c * plane + <usize>(4 * tr) * row;
      for (let tw = 0; tw < tilesW; tw += 4) {
        // Each patch row r: columns j = 0..5 of the four tiles (d_j lane t = column 4 t + j), B^T along them.
        for (let r = 0; r < 6; r++) {
          const q = p + <usize>r * row;
          const l0 = v128.load(q), l1 = v128.load(q, 16), l2 = v128.load(q, 32), l3 = v128.load(q, 48), l4 = v128.load(q, 64);
          const a = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5);
          const b = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
          const e = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7);
          const f = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
          const g = v128.shuffle<f32>(l1, l2, 0, 4, 1, 5);
          const h = v128.shuffle<f32>(l3, l4, 0, 4, 1, 5);
          transformB6(
            v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7),
            v128.shuffle<f32>(e, f, 0, 1, 4, 5), v128.shuffle<f32>(e, f, 2, 3, 6, 7),
            v128.shuffle<f32>(g, h, 0, 1, 4, 5), v128.shuffle<f32>(g, h, 2, 3, 6, 7),
            w + <usize>r * 96, 16,
          );
        }
        // Then along the rows: w[r][j] for r = 0..5 into V_(i, j).
        for (let j = 0; j < 6; j++) {
          const o = w + (<usize>j << 4);
          transformB6(
            v128.load(o), v128.load(o, 96), v128.load(o, 192), v128.load(o, 288), v128.load(o, 384), v128.load(o, 480),
            vt + <usize>j * kStride, 6 * kStride,
          );
        }
        vt += 16;
        p += 64;
      }
    }
  }
}

// A^T along one axis: six vectors (m0..m5) into four at dst, `to` bytes apart. The scalings by 2, 4, 8 and
// 1/2, 1/4, 1/8 are exact.
// @ts-ignore: decorator
@inline
function transformA6(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, to: usize): void {
  const s12 = f32x4.add(m1, m2);
  const d12 = f32x4.sub(m1, m2);
  v128.store(dst, f32x4.add(f32x4.add(m0, s12), f32x4.add(m3, m4)));
  v128.store(dst + to, f32x4.add(d12, f32x4.sub(f32x4.mul(f32x4.splat(2), m3), f32x4.mul(f32x4.splat(0.5), m4))));
  v128.store(dst + 2 * to, f32x4.add(s12, f32x4.add(f32x4.mul(f32x4.splat(4), m3), f32x4.mul(f32x4.splat(0.25), m4))));
  v128.store(dst + 3 * to, f32x4.add(f32x4.add(d12, f32x4.mul(f32x4.splat(8), m3)), f32x4.sub(m5, f32x4.mul(f32x4.splat(0.125), m4))));
}

// Outputs of tile rows [tr0, tr1) from M[36][Cout][nt]: A^T M A per tile (four tiles per vector), bias, clamp,
// and the four output rows of each tile back in image order (OH x OW, channels `plane` bytes apart). `w` is 384
// bytes of scratch.
function outputTransform43(
  m: usize, nt: i32, cout: i32, y: usize, OH: i32, OW: i32, plane: usize, tilesW: i32, tr0: i32, tr1: i32,
  bias: usize, lo: f32, hi: f32, w: usize,
): void {
  const kStride = matrixStride(cout, nt);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const rowBytes = <usize>OW << 2;
  for (let co = 0; co < cout; co++) {
    const bv = v128.load32_splat(bias + (<usize>co << 2));
    let mt = m + (<usize>co * nt << 2);
    const yc = y + <usize>co * plane;
    for (let tr = tr0; tr < tr1; tr++) {
      for (let tw = 0; tw < tilesW; tw += 4) {
        const ox = 4 * tw;
        if (ox < OW) {
          // A^T along i for each column j (s[r][j] at w + r * 96 + j * 16), then along j per output row r.
          for (let j = 0; j < 6; j++) {
            const o = mt + <usize>j * kStride;
            const k6 = 6 * kStride;
            transformA6(v128.load(o), v128.load(o + k6), v128.load(o + 2 * k6), v128.load(o + 3 * k6), v128.load(o + 4 * k6), v128.load(o + 5 * k6), w + (<usize>j << 4), 96);
          }
          for (let r = 0; r < 4; r++) {
            const oy = 4 * tr + r;
            if (oy >= OH) break;
            const s = w + <usize>r * 96;
            // y[c] lane t: output column 4 (tw + t) + c of row oy; reuse s[r][0..3] as scratch for them.
            transformA6(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), v128.load(s, 64), v128.load(s, 80), s, 16);
            const y0 = clampv(f32x4.add(v128.load(s), bv), vlo, vhi);
            const y1 = clampv(f32x4.add(v128.load(s, 16), bv), vlo, vhi);
            const y2 = clampv(f32x4.add(v128.load(s, 32), bv), vlo, vhi);
            const y3 = clampv(f32x4.add(v128.load(s, 48), bv), vlo, vhi);
            // Transposed: tile t's four columns together.
            const a = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
            const b = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
            const e = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
            const f = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
            const o = yc + <usize>oy * rowBytes + (<usize>ox << 2);
            const n = OW - ox;
            storePartial(o, v128.shuffle<f32>(a, b, 0, 1, 4, 5), n);
            if (n > 4) storePartial(o + 16, v128.shuffle<f32>(a, b, 2, 3, 6, 7), n - 4);
            if (n > 8) storePartial(o + 32, v128.shuffle<f32>(e, f, 0, 1, 4, 5), n - 8);
            if (n > 12) storePartial(o + 48, v128.shuffle<f32>(e, f, 2, 3, 6, 7), n - 12);
          }
        }
        mt += 16;
      }
    }
  }
}

// Tile rows [trBegin, trEnd) of one image (or with a `queue` the chunks of them this call claims), blockRows at a
// time. x: padded image [C][Hq][Wq] (Hq >= 4 tile rows + 2, Wq >= 4 tilesW + 4); u: 36 packed U_k, uStride bytes
// apart; y: output [Cout][OH][OW]; v: scratch of 36 matrixStride(C, blockRows * tilesW) bytes plus 576; m: 36
// matrixStride(Cout, blockRows * tilesW) bytes; zeros: Cout + 8 zero floats.
// @driver
export function winoF43Cf(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Hq: i32, Wq: i32, cout: i32, OH: i32, OW: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, trBegin: i32, trEnd: i32, queue: usize,
): void {
  for (let b = firstChunk(queue, trBegin, trEnd); b < trEnd; b = nextChunk(queue, trEnd)) {
    winoF43Rows(x, u, uStride, bias, zeros, y, C, Hq, Wq, cout, OH, OW, tilesW, rows, v, m, blockRows, lo, hi, b, chunkEnd(queue, b, trEnd));
  }
}

function winoF43Rows(
  x: usize, u: usize, uStride: usize, bias: usize, zeros: usize, y: usize,
  C: i32, Hq: i32, Wq: i32, cout: i32, OH: i32, OW: i32, tilesW: i32, rows: i32,
  v: usize, m: usize, blockRows: i32, lo: f32, hi: f32, trBegin: i32, trEnd: i32,
): void {
  const scratch = v + 36 * matrixStride(C, blockRows * tilesW);
  const plane = <usize>Hq * Wq << 2;
  const row = <usize>Wq << 2;
  const outPlane = <usize>OH * OW << 2;
  for (let tr0 = trBegin; tr0 < trEnd; tr0 += blockRows) {
    const tr1 = min(tr0 + blockRows, trEnd);
    const nt = (tr1 - tr0) * tilesW;
    inputTransform43(x, C, plane, row, tilesW, tr0, tr1, v, nt, scratch);
    transformedGemms(36, u, uStride, rows, C, cout, v, m, nt, zeros);
    outputTransform43(m, nt, cout, y, OH, OW, outPlane, tilesW, tr0, tr1, bias, lo, hi, scratch);
  }
}
