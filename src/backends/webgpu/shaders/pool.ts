/**
 * Pooling, one output element per invocation, over the window tables of src/pool-shape.ts (the layout of
 * assembly/pool.ts: start, count, factor per axis). PyTorch's max rule is applied on the bits: a fast-math
 * compiler may fold `v != v` and assume no infinities, so NaN is tested on the bits and `v > best` compares
 * order-preserving integer keys (+0 and -0 equal, as IEEE).
 */
import { CLAMP_NAN_WGSL, ELEMENTWISE_WORKGROUP, LINEAR_INDEX_WGSL, decomposePlane } from './common.js';

export function poolShaderKey(channelsLast: boolean): string {
  return `pool-${channelsLast ? 'cl' : 'cf'}`;
}

export function poolShader(channelsLast: boolean): string {
  const decompose = decomposePlane(channelsLast);
  return /* wgsl */ `
// ${poolShaderKey(channelsLast)}
struct Params {
  inSize: vec4<i32>,   // D, H, W, D*H*W
  outSize: vec4<i32>,  // OD, OH, OW, OD*OH*OW
  dims: vec4<i32>,     // outputs, C, mode (0 max, 1 max + indices, 2 avg, 3 avg sequential), -Inf's bits
  dil: vec4<i32>,      // dilation per axis
  tab: vec4<i32>,      // offsets of the D, H, W tables (start, count, factor; each as long as the output axis)
  divisor: vec4<f32>,  // x: the divisor override, or 0
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read_write> I: array<i32>;
${CLAMP_NAN_WGSL}
fn orderKey(u: u32) -> u32 {
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}
// PyTorch's "take v": v > best (IEEE, +0 == -0) or v is NaN; once best is NaN only a NaN replaces it.
fn takes(v: f32, best: f32) -> bool {
  if (isNan(v)) { return true; }
  if (isNan(best)) { return false; }
  let a = bitcast<u32>(v);
  let b = bitcast<u32>(best);
  if (((a | b) & 0x7fffffffu) == 0u) { return false; }
  return orderKey(a) > orderKey(b);
}

@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  ${LINEAR_INDEX_WGSL}
  if (e >= P.dims.x) { return; }
  ${decompose}
  let ow = sp % P.outSize.z;
  let oh = (sp / P.outSize.z) % P.outSize.y;
  let od = sp / (P.outSize.z * P.outSize.y);
  let d0 = T[P.tab.x + od];
  let nd = T[P.tab.x + P.outSize.x + od];
  let fd = T[P.tab.x + 2 * P.outSize.x + od];
  let h0 = T[P.tab.y + oh];
  let nh = T[P.tab.y + P.outSize.y + oh];
  let fh = T[P.tab.y + 2 * P.outSize.y + oh];
  let w0 = T[P.tab.z + ow];
  let nw = T[P.tab.z + P.outSize.z + ow];
  let fw = T[P.tab.z + 2 * P.outSize.z + ow];
  let H = P.inSize.y;
  let W = P.inSize.z;
  if (P.dims.z <= 1) {
    // -Inf from the uniform: WGSL rejects an infinite constant expression.
    var best = bitcast<f32>(P.dims.w);
    var at = (d0 * H + h0) * W + w0;
    for (var kd = 0; kd < nd; kd++) {
      for (var kh = 0; kh < nh; kh++) {
        let row = ((d0 + kd * P.dil.x) * H + h0 + kh * P.dil.y) * W + w0;
        for (var t = 0; t < nw; t++) {
          let pos = row + t * P.dil.z;
          let v = X[base + pos * step];
          if (takes(v, best)) {
            best = v;
            at = pos;
          }
        }
      }
    }
    Y[e] = best;
    if (P.dims.z == 1) { I[e] = at; }
    return;
  }
  var sum = 0.0;
  for (var kd = 0; kd < nd; kd++) {
    for (var kh = 0; kh < nh; kh++) {
      let row = ((d0 + kd) * H + h0 + kh) * W + w0;
      for (var t = 0; t < nw; t++) { sum += X[base + (row + t) * step]; }
    }
  }
  if (P.divisor.x != 0.0) {
    Y[e] = sum / P.divisor.x;
  } else if (P.dims.z == 3) {
    Y[e] = sum / f32(fd) / f32(fh) / f32(fw);
  } else {
    Y[e] = sum / f32(fd * fh * fw);
  }
}
`;
}
