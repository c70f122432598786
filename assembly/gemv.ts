// Matrix-vector products on the GEMM's packed weights, for a tile of one output column: a 1x1 convolution on a
// one-pixel image (EfficientNet's squeeze-excite, a linear layer at batch 1), a transposed one of one pixel, and
// the last column of any pixel range. The 6x8 and 4x8 tiles would compute eight columns (or six rows) to store
// one; here every lane of every multiply-add is a product that is kept. Each output is still one sum over the
// reduction, in order within its lane (two or three lanes chains over alternate steps, added at the end).
import { clampv, madd, storePartial8 } from './simd';

// y[r] (r < mr, rows ldc bytes apart) = clamp(sum over k of a[k][r] * b[k * ldb] + bias[r]): one column of
// gemm_packed_a, on a panel of `rows` (6 or 4) output channels packed [K][rows] (gemm.ts pack_a).
export function gemv_packed_a(rows: i32, mr: i32, k: i32, a: usize, b: usize, ldb: usize, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32): void {
  let r03 = f32x4.splat(0);
  let r45 = f32x4.splat(0);
  if (rows == 6) {
    // Two steps are 12 weights, three vectors: [w0..w3 of k], [w4 w5 of k, w0 w1 of k + 1], [w2..w5 of k + 1].
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
    let kk = 0;
    for (; kk + 2 <= k; kk += 2) {
      const x0 = v128.load32_splat(b);
      const x1 = v128.load32_splat(b + ldb);
      s0 = madd(v128.load(a), x0, s0);
      s1 = madd(v128.load(a, 16), v128.shuffle<f32>(x0, x1, 0, 0, 4, 4), s1);
      s2 = madd(v128.load(a, 32), x1, s2);
      a += 48;
      b += ldb << 1;
    }
    r03 = f32x4.add(s0, v128.shuffle<f32>(s1, s2, 2, 3, 4, 5));
    r45 = f32x4.add(s1, v128.shuffle<f32>(s2, s2, 2, 3, 0, 1));
    if (kk < k) {
      // The odd last step: lanes 2, 3 of r45 are not used.
      const x0 = v128.load32_splat(b);
      r03 = madd(v128.load(a), x0, r03);
      r45 = madd(v128.load64_zero(a + 16), x0, r45);
    }
  } else {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let kk = 0;
    for (; kk + 2 <= k; kk += 2) {
      s0 = madd(v128.load(a), v128.load32_splat(b), s0);
      s1 = madd(v128.load(a, 16), v128.load32_splat(b + ldb), s1);
      a += 32;
      b += ldb << 1;
    }
    r03 = f32x4.add(s0, s1);
    if (kk < k) r03 = madd(v128.load(a), v128.load32_splat(b), r03);
  }
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  // bias holds at least `rows` readable floats past its row 0 (the plans pad it by 8).
  r03 = clampv(f32x4.add(r03, v128.load(bias)), vlo, vhi);
  store<f32>(c, f32x4.extract_lane(r03, 0));
  if (mr < 2) return;
  store<f32>(c + ldc, f32x4.extract_lane(r03, 1));
  if (mr < 3) return;
  store<f32>(c + 2 * ldc, f32x4.extract_lane(r03, 2));
  if (mr < 4) return;
  store<f32>(c + 3 * ldc, f32x4.extract_lane(r03, 3));
  if (mr < 5) return;
  r45 = clampv(f32x4.add(r45, v128.load64_zero(bias + 16)), vlo, vhi);
  store<f32>(c + 4 * ldc, f32x4.extract_lane(r45, 0));
  if (mr < 6) return;
  store<f32>(c + 5 * ldc, f32x4.extract_lane(r45, 1));
}

// c[0 .. nr) = clamp(sum over k of a[k] * b[k][0 .. 8) + bias[0 .. 8)): one row of gemm_6x8_packed_b (one pixel
// of a channels-last output), on an 8-column panel packed [K][8] (gemm.ts pack_b_8).
export function gemv_packed_b(nr: i32, k: i32, a: usize, b: usize, c: usize, bias: usize, lo: f32, hi: f32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), t0 = f32x4.splat(0), t1 = f32x4.splat(0);
  let kk = 0;
  for (; kk + 2 <= k; kk += 2) {
    const x0 = v128.load32_splat(a);
    const x1 = v128.load32_splat(a, 4);
    s0 = madd(v128.load(b), x0, s0);
    s1 = madd(v128.load(b, 16), x0, s1);
    t0 = madd(v128.load(b, 32), x1, t0);
    t1 = madd(v128.load(b, 48), x1, t1);
    a += 8;
    b += 64;
  }
  s0 = f32x4.add(s0, t0);
  s1 = f32x4.add(s1, t1);
  if (kk < k) {
    const x0 = v128.load32_splat(a);
    s0 = madd(v128.load(b), x0, s0);
    s1 = madd(v128.load(b, 16), x0, s1);
  }
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  s0 = clampv(f32x4.add(s0, v128.load(bias)), vlo, vhi);
  s1 = clampv(f32x4.add(s1, v128.load(bias, 16)), vlo, vhi);
  storePartial8(c, s0, s1, nr);
}
