// f32 GEMM microkernels: C[mr x nr] = clamp(A[mr x K] * B[K x nr] + bias), 6 rows x 8 columns per tile,
// 12 v128 accumulators. V8 gives wasm 15 xmm registers: 12 accumulators + 2 B vectors + 1 splat fit exactly
// (TurboFan keeps the 6x8 loop free of spills; checked with --print-wasm-code). Twelve independent FMA chains
// cover the FMA latency (4 cycles x 2 ports needs 8 in flight) with slack; the 4x8 tile's 8 chains had none,
// and measured in one run on L1-resident panels (relaxed build) 6x8 ran 31.5 GFLOP/s against 4x8's 25.6
// (ceiling 36.6). The SIMD128 build (mul + add, the add alone on the chain) runs most layers on the 4x8 tile:
// there the 6x8 tile's 24 arithmetic ops and 8 loads per step are more than the core issues (gemm-conv-plan.ts
// rowsPerTile has the measurements).
// The K loop is a small runtime loop rather than an unrolled body, which V8 keeps in registers, bounded by the A
// pointer rather than a counter: one instruction less per step of about 33, which shows when the core is shared
// (a busy neighbour on the host core halves the instructions this thread issues). Paired, one thread, in such a
// spell: relaxed 1.04-1.10x (resnet_3x3, pointwise, stem, sep_spatial, transposed), SIMD128 1.02-1.04x.
//
// Two packings, one per output layout:
// - gemm_6x8_packed_a: A is packed weights [K][6] (a 6-row panel of output channels), B a row-major panel with
//   row stride ldb (im2col rows, or the input itself for 1x1 convolutions). Channels-first output: a C row is
//   one output channel, contiguous over pixels. Bias is per row.
// - gemm_6x8_packed_b: A is row-major with row stride lda (pixels x K, channels-last input or its im2col),
//   B is packed weights [K][8] (an 8-column panel of output channels). Channels-last output: a C row is one
//   pixel, contiguous over channels. Bias is per column. All six rows must be readable, stored or not.
// All strides are in bytes. Rows >= mr and columns >= nr are computed on valid memory and not stored.
import { madd, clampv, storePartial8 } from './simd';

export function gemm_6x8_packed_a(
  mr: i32, nr: i32, k: i32,
  a: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  bias: usize, lo: f32, hi: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  const end = a + <usize>k * 24;
  for (; a < end; a += 24) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    av = v128.load32_splat(a, 16);
    c40 = madd(av, b0, c40);
    c41 = madd(av, b1, c41);
    av = v128.load32_splat(a, 20);
    c50 = madd(av, b0, c50);
    c51 = madd(av, b1, c51);
    b += ldb;
  }
  storeRows6x8(mr, nr, c, ldc, bias, lo, hi, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
}

// Epilogue of a 6x8 tile whose rows are output channels: per-row bias, clamp, store mr rows of nr columns.
// @ts-ignore: decorator
@inline
export function storeRows6x8(
  mr: i32, nr: i32, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128,
  c30: v128, c31: v128, c40: v128, c41: v128, c50: v128, c51: v128,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let bv = v128.load32_splat(bias);
  storePartial8(c, clampv(f32x4.add(c00, bv), vlo, vhi), clampv(f32x4.add(c01, bv), vlo, vhi), nr);
  if (mr < 2) return;
  bv = v128.load32_splat(bias, 4);
  storePartial8(c + ldc, clampv(f32x4.add(c10, bv), vlo, vhi), clampv(f32x4.add(c11, bv), vlo, vhi), nr);
  if (mr < 3) return;
  bv = v128.load32_splat(bias, 8);
  storePartial8(c + 2 * ldc, clampv(f32x4.add(c20, bv), vlo, vhi), clampv(f32x4.add(c21, bv), vlo, vhi), nr);
  if (mr < 4) return;
  bv = v128.load32_splat(bias, 12);
  storePartial8(c + 3 * ldc, clampv(f32x4.add(c30, bv), vlo, vhi), clampv(f32x4.add(c31, bv), vlo, vhi), nr);
  if (mr < 5) return;
  bv = v128.load32_splat(bias, 16);
  storePartial8(c + 4 * ldc, clampv(f32x4.add(c40, bv), vlo, vhi), clampv(f32x4.add(c41, bv), vlo, vhi), nr);
  if (mr < 6) return;
  bv = v128.load32_splat(bias, 20);
  storePartial8(c + 5 * ldc, clampv(f32x4.add(c50, bv), vlo, vhi), clampv(f32x4.add(c51, bv), vlo, vhi), nr);
}

// The 4-row variant of gemm_6x8_packed_a, for output-channel counts a 6-row tile would pad by a third or
// more (4 or 8 channels per group), and on the SIMD128 build from 36 channels per group: the plan picks the
// panel height (see gemm-conv-plan.ts rowsPerTile).
// lda: bytes from one step's four weights to the next (16 on 4-row panels, 24 for the first four rows of a
// 6-row panel: gemm_packed_a).
export function gemm_4x8_packed_a(
  mr: i32, nr: i32, k: i32,
  a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  bias: usize, lo: f32, hi: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = a + <usize>k * lda;
  for (; a < end; a += lda) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    b += ldb;
  }
  storeRows4x8(mr, nr, c, ldc, bias, lo, hi, c00, c01, c10, c11, c20, c21, c30, c31);
}

// Epilogue of a 4x8 tile whose rows are output channels: per-row bias, clamp, store mr rows of nr columns.
// @ts-ignore: decorator
@inline
export function storeRows4x8(
  mr: i32, nr: i32, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let bv = v128.load32_splat(bias);
  storePartial8(c, clampv(f32x4.add(c00, bv), vlo, vhi), clampv(f32x4.add(c01, bv), vlo, vhi), nr);
  if (mr < 2) return;
  bv = v128.load32_splat(bias, 4);
  storePartial8(c + ldc, clampv(f32x4.add(c10, bv), vlo, vhi), clampv(f32x4.add(c11, bv), vlo, vhi), nr);
  if (mr < 3) return;
  bv = v128.load32_splat(bias, 8);
  storePartial8(c + 2 * ldc, clampv(f32x4.add(c20, bv), vlo, vhi), clampv(f32x4.add(c21, bv), vlo, vhi), nr);
  if (mr < 4) return;
  bv = v128.load32_splat(bias, 12);
  storePartial8(c + 3 * ldc, clampv(f32x4.add(c30, bv), vlo, vhi), clampv(f32x4.add(c31, bv), vlo, vhi), nr);
}

// One tile on a panel of `rows` (6 or 4) output channels of which mr are real: a 6-row panel's last tile with
// at most four channels (64 channels: 10 tiles of 6 and one of 4) runs the 4x8 kernel on its first four rows
// instead of computing two rows for nothing.
// @ts-ignore: decorator
@inline
export function gemm_packed_a(
  rows: i32, mr: i32, nr: i32, k: i32,
  a: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  bias: usize, lo: f32, hi: f32,
): void {
  if (rows == 6 && mr > 4) gemm_6x8_packed_a(mr, nr, k, a, b, ldb, c, ldc, bias, lo, hi);
  else gemm_4x8_packed_a(mr, nr, k, a, <usize>rows << 2, b, ldb, c, ldc, bias, lo, hi);
}

export function gemm_6x8_packed_b(
  mr: i32, nr: i32, k: i32,
  a: usize, lda: usize, b: usize, c: usize, ldc: usize,
  bias: usize, lo: f32, hi: f32,
): void {
  // Six rows at a + r * lda, all readable whatever mr is (conv_gemm_cl makes sure); mr only limits the stores.
  // Measured on L1-resident operands: 1.8x the former form with a row pointer per row, chosen by mr so that
  // missing rows re-read row 0 (TurboFan re-evaluated the choices inside the loop and spilled four
  // accumulators), and 0.88x the packed-A kernel. mr must stay a runtime value: with the stores unconditional
  // (mr folded to 6) TurboFan hoisted the six splats above the multiply-adds and the loop ran 0.75x.
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  const end = a + (<usize>k << 2);
  for (; a < end; a += 4) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a + lda);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a + 2 * lda);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a + 3 * lda);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    av = v128.load32_splat(a + 4 * lda);
    c40 = madd(av, b0, c40);
    c41 = madd(av, b1, c41);
    av = v128.load32_splat(a + 5 * lda);
    c50 = madd(av, b0, c50);
    c51 = madd(av, b1, c51);
    b += 32;
  }
  storeCols6x8(mr, nr, c, ldc, bias, lo, hi, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
}

// Epilogue of a 6x8 tile whose rows are pixels (channels-last): per-column bias, clamp, store mr rows of nr
// columns.
// @ts-ignore: decorator
@inline
function storeCols6x8(
  mr: i32, nr: i32, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128,
  c30: v128, c31: v128, c40: v128, c41: v128, c50: v128, c51: v128,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const bias0 = v128.load(bias);
  const bias1 = v128.load(bias, 16);
  storePartial8(c, clampv(f32x4.add(c00, bias0), vlo, vhi), clampv(f32x4.add(c01, bias1), vlo, vhi), nr);
  if (mr < 2) return;
  storePartial8(c + ldc, clampv(f32x4.add(c10, bias0), vlo, vhi), clampv(f32x4.add(c11, bias1), vlo, vhi), nr);
  if (mr < 3) return;
  storePartial8(c + 2 * ldc, clampv(f32x4.add(c20, bias0), vlo, vhi), clampv(f32x4.add(c21, bias1), vlo, vhi), nr);
  if (mr < 4) return;
  storePartial8(c + 3 * ldc, clampv(f32x4.add(c30, bias0), vlo, vhi), clampv(f32x4.add(c31, bias1), vlo, vhi), nr);
  if (mr < 5) return;
  storePartial8(c + 4 * ldc, clampv(f32x4.add(c40, bias0), vlo, vhi), clampv(f32x4.add(c41, bias1), vlo, vhi), nr);
  if (mr < 6) return;
  storePartial8(c + 5 * ldc, clampv(f32x4.add(c50, bias0), vlo, vhi), clampv(f32x4.add(c51, bias1), vlo, vhi), nr);
}

// Packs weights W[M][K] (row-major, row stride ldw elements) into panels of `rows` rows [ceil(M/rows)][K][rows],
// zero-filling missing rows: the A operand of gemm_6x8_packed_a (rows 6) and gemm_4x8_packed_a (rows 4).
// Done once per plan.
export function pack_a(w: usize, ldw: i32, m: i32, k: i32, rows: i32, dst: usize): void {
  for (let m0 = 0; m0 < m; m0 += rows) {
    for (let kk = 0; kk < k; kk++) {
      for (let r = 0; r < rows; r++) {
        const v: f32 = m0 + r < m ? load<f32>(w + ((<usize>(m0 + r) * ldw + kk) << 2)) : 0;
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

// Packs weights given as W[N][K] (one row per output channel, row stride ldw elements) into 8-column panels
// [ceil(N/8)][K][8], zero-filling missing columns: the transposed access the channels-last kernel wants.
export function pack_b_8(w: usize, ldw: i32, n: i32, k: i32, dst: usize): void {
  for (let n0 = 0; n0 < n; n0 += 8) {
    for (let kk = 0; kk < k; kk++) {
      for (let col = 0; col < 8; col++) {
        const v: f32 = n0 + col < n ? load<f32>(w + ((<usize>(n0 + col) * ldw + kk) << 2)) : 0;
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}
