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

/**
 * The entry point of an element-wise kernel over P.dims.x outputs: the linear index `e`, the per-layout
 * `decompose` (which declares `sp`, the output's spatial index), and `ow`, `t` (= sp / OW) from it.
 */
export function elementwiseMain(decompose: string): string {
  return /* wgsl */ `@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  ${LINEAR_INDEX_WGSL}
  if (e >= P.dims.x) { return; }
  ${decompose}
  let ow = sp % P.outSize.z;
  let t = sp / P.outSize.z;`;
}

/**
 * WGSL splitting the element index `e` of a channels-last output ([N][spatial][C], C = P.dims.y) into the
 * channel (named `channel`), the spatial index `sp` and the image `n`.
 */
export function decomposeChannelsLast(channel: string): string {
  return /* wgsl */ `
  let ${channel} = e % P.dims.y;
  let r = e / P.dims.y;
  let sp = r % P.outSize.w;
  let n = r / P.outSize.w;`;
}

/**
 * WGSL splitting the output element `e` of a table-driven kernel (pooling, interpolation) into its spatial index
 * `sp`, and the input `base` and element `step` of its plane (channels-first) or channel (channels-last).
 */
export function decomposePlane(channelsLast: boolean): string {
  return channelsLast
    ? /* wgsl */ `
  let c = e % P.dims.y;
  let r = e / P.dims.y;
  let sp = r % P.outSize.w;
  let n = r / P.outSize.w;
  let base = n * P.inSize.w * P.dims.y + c;
  let step = P.dims.y;`
    : /* wgsl */ `
  let sp = e % P.outSize.w;
  let plane = e / P.outSize.w;
  let base = plane * P.inSize.w;
  let step = 1;`;
}
