/** WGSL shared by the kernels. */

/**
 * The fused activation, NaN-propagating like the reference (Math.min/Math.max) and torch: WGSL's min/max may
 * return the non-NaN operand, and a float `v != v` test may be folded away by a fast-math compiler, so NaN is
 * detected on the bits (exponent all ones, mantissa non-zero) and passed through untouched.
 */
export const CLAMP_NAN_WGSL = /* wgsl */ `
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
fn clampNan(v: f32, lo: f32, hi: f32) -> f32 {
  return select(min(max(v, lo), hi), v, isNan(v));
}
`;

/** Workgroup size of the element-wise kernels (pad, depthwise). */
export const ELEMENTWISE_WORKGROUP = 64;

/**
 * Linear invocation index over a 2-D dispatch (x up to 65535 workgroups, then y), for element-wise kernels.
 * Declares `let e: i32`.
 */
export const LINEAR_INDEX_WGSL = /* wgsl */ `
  let e = i32((wid.x + wid.y * nwg.x) * ${ELEMENTWISE_WORKGROUP}u + lid);
`;
