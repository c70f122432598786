/**
 * Separable resampling (interpolate), one output element per invocation, over the tap tables of
 * src/interpolate-shape.ts laid out as for assembly/interpolate.ts (per axis: index[taps][O] then the weights'
 * bits); the nested sum innermost axis first, as PyTorch.
 */
import { ELEMENTWISE_WORKGROUP, LINEAR_INDEX_WGSL, decomposePlane } from './common.js';

export function interpolateShaderKey(channelsLast: boolean): string {
  return `interpolate-${channelsLast ? 'cl' : 'cf'}`;
}

export function interpolateShader(channelsLast: boolean): string {
  const decompose = decomposePlane(channelsLast);
  return /* wgsl */ `
// ${interpolateShaderKey(channelsLast)}
struct Params {
  inSize: vec4<i32>,   // D, H, W, D*H*W
  outSize: vec4<i32>,  // OD, OH, OW, OD*OH*OW
  dims: vec4<i32>,     // outputs, C, 0, 0
  taps: vec4<i32>,     // taps of the D, H, W axes
  tab: vec4<i32>,      // offsets of the D, H, W tables
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

fn idx(axis: i32, tap: i32, o: i32) -> i32 {
  return T[P.tab[axis] + tap * P.outSize[axis] + o];
}
fn wt(axis: i32, tap: i32, o: i32) -> f32 {
  return bitcast<f32>(T[P.tab[axis] + (P.taps[axis] + tap) * P.outSize[axis] + o]);
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
  var accD = 0.0;
  for (var a = 0; a < P.taps.x; a++) {
    var accH = 0.0;
    for (var b = 0; b < P.taps.y; b++) {
      let row = (idx(0, a, od) * P.inSize.y + idx(1, b, oh)) * P.inSize.z;
      var accW = 0.0;
      for (var t = 0; t < P.taps.z; t++) {
        let p = X[base + (row + idx(2, t, ow)) * step] * wt(2, t, ow);
        accW = select(accW + p, p, t == 0);
      }
      let q = accW * wt(1, b, oh);
      accH = select(accH + q, q, b == 0);
    }
    let r = accH * wt(0, a, od);
    accD = select(accD + r, r, a == 0);
  }
  Y[e] = accD;
}
`;
}
