// f32 GEMM microkernels: C[mr x nr] = clamp(A[mr x K] * B[K x nr] + bias), 6 rows x 8 columns per tile,
// 12 v128 accumulators. V8 gives wasm 15 xmm registers: 12 accumulators + 2 B vectors + 1 splat fit exactly
// (TurboFan keeps the 6x8 loop free of spills; checked with --print-wasm-code). Twelve independent FMA chains
// cover the FMA latency (4 cycles x 2 ports needs 8 in flight) with slack; the 4x8 tile's 8 chains had none,
// and measured in one run on L1-resident panels (relaxed build) 6x8 ran 31.5 GFLOP/s against 4x8's 25.6
// (ceiling 36.6). The SIMD128 build (mul + add, the add alone on the chain) runs most layers on the 4x8 tile:
// there the 6x8 tile's 24 arithmetic ops and 8 loads per step are more than the core issues (tile-policy.ts
// rowsPerTile; the measurements are in docs/PERFORMANCE.md).
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
import { gemm_4x8_packed_a, gemm_6x8_packed_a } from './gen/tiles';
import { gemv_packed_a } from './gemv';

// The tiles (gemm_6x8_packed_a, gemm_4x8_packed_a, gemm_6x8_packed_b) and their epilogues are generated from
// one template: scripts/templates/tiles.mjs, into assembly/gen/tiles.ts.

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
  // One column: a matrix-vector product (gemv.ts), not a tile of eight columns with seven thrown away.
  if (nr == 1) gemv_packed_a(rows, mr, k, a, b, ldb, c, ldc, bias, lo, hi);
  else if (rows == 6 && mr > 4) gemm_6x8_packed_a(mr, nr, k, a, b, ldb, c, ldc, bias, lo, hi);
  else gemm_4x8_packed_a(mr, nr, k, a, <usize>rows << 2, b, ldb, c, ldc, bias, lo, hi);
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
