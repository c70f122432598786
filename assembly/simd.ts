// Vector helpers shared by every kernel family. The build picks the multiply-add at compile time:
// the relaxed-SIMD build fuses it (one rounding, ~1 ulp from mul+add), the SIMD128 build keeps mul then add,
// which is bit-for-bit deterministic across engines.

// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// The even and the odd lanes of the 8-lane pair (a, b): a0 a2 b0 b2 and a1 a3 b1 b3 (splitting a row by column
// parity, for stride 2).
// @ts-ignore: decorator
@inline
export function evens(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline
export function odds(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

// NaN-propagating clamp, matching torch's relu/clamp. pmax(v, lo) is `v < lo ? lo : v` and pmin(x, hi) is
// `hi < x ? hi : x`: with the value first, a NaN lane compares false and passes through. Two instructions on
// x86, where V8's IEEE f32x4.min/max take about nine each (which cost more than a short tile's multiply-adds).
// @ts-ignore: decorator
@inline
export function clampv(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

// @ts-ignore: decorator
@inline
export function clampf(v: f32, lo: f32, hi: f32): f32 {
  return min<f32>(max<f32>(v, lo), hi);
}

// Stores the first `n` (0..4) lanes of `v` at `p`.
// @ts-ignore: decorator
@inline
export function storePartial(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Stores the first `n` (0..8) lanes of the 8-lane pair (v0, v1) at `p`.
// @ts-ignore: decorator
@inline
export function storePartial8(p: usize, v0: v128, v1: v128, n: i32): void {
  if (n >= 8) {
    v128.store(p, v0);
    v128.store(p, v1, 16);
  } else if (n >= 4) {
    v128.store(p, v0);
    storePartial(p + 16, v1, n - 4);
  } else {
    storePartial(p, v0, n);
  }
}

// n floats from src to dst, and n zeros at dst, for the short runs kernels copy (rows, pixels, a group's
// channels). memory.copy and memory.fill are out-of-line calls in V8, tens of ns each: with 4 channels per
// group they took most of a grouped im2col's time. On a shared memory (the threads builds) they cost more:
// tconv_pad's 13k row copies and fills (a 128 x 32 x 32 input) took 0.4 ms of a two-thread run of 3.6 ms;
// with these loops (here and in direct.ts copy_into_padded, which the threads run together) two threads ran,
// paired, relaxed / SIMD128: transposed 1.05x / 1.03x, grouped 1.09x / 1.06x, resnet_3x3 1.02x / 1.00x,
// dilated 1.01x / 1.01x; one thread 1.00x.
// @ts-ignore: decorator
@inline
export function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = src + (<usize>i << 2), d = dst + (<usize>i << 2);
    const v0 = v128.load(s), v1 = v128.load(s, 16), v2 = v128.load(s, 32), v3 = v128.load(s, 48);
    v128.store(d, v0);
    v128.store(d, v1, 16);
    v128.store(d, v2, 32);
    v128.store(d, v3, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline
export function zeroFloats(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const d = dst + (<usize>i << 2);
    v128.store(d, z);
    v128.store(d, z, 16);
    v128.store(d, z, 32);
    v128.store(d, z, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// Stores the first `n` (0..8) lanes of (v0, v1) at p, p + step, p + 2*step, ...
// @ts-ignore: decorator
@inline
export function storeStrided8(p: usize, v0: v128, v1: v128, n: i32, step: usize): void {
  if (step == 4) {
    storePartial8(p, v0, v1, n);
    return;
  }
  storeStrided4(p, v0, n, step);
  if (n > 4) storeStrided4(p + 4 * step, v1, n - 4, step);
}

// Stores the first `n` (1..4) lanes of `v` at p, p + step, p + 2*step, p + 3*step.
// @ts-ignore: decorator
@inline
function storeStrided4(p: usize, v: v128, n: i32, step: usize): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n < 2) return;
  store<f32>(p + step, f32x4.extract_lane(v, 1));
  if (n < 3) return;
  store<f32>(p + 2 * step, f32x4.extract_lane(v, 2));
  if (n < 4) return;
  store<f32>(p + 3 * step, f32x4.extract_lane(v, 3));
}
