/**
 * Depthwise convolution (groups = Cin, any channel multiplier): a direct kernel, one output element per
 * invocation (channels-last with multiplier 1 and C % 4 == 0: four channels per invocation with vec4 loads of
 * input, weights and bias). No reduction over channels, so no GEMM tiling: each output reads its own kernel
 * window, bounds-checked per tap (zero padding; other modes read the pad kernel's output with zero padding).
 */
import { CLAMP_NAN_WGSL, decomposeChannelsLast, elementwiseMain } from './common.js';

export interface DepthwiseVariant {
  readonly channelsLast: boolean;
  readonly vec4: boolean;
}

export function depthwiseShaderKey(v: DepthwiseVariant): string {
  return `depthwise-${v.channelsLast ? 'cl' : 'cf'}${v.vec4 ? '-vec4' : ''}`;
}

export function depthwiseShader(v: DepthwiseVariant): string {
  const T = v.vec4 ? 'vec4<f32>' : 'f32';
  // Index decomposition of the (linear) output element e, and the input / weight addresses.
  const decompose = v.vec4
    ? /* wgsl */ `
  let c4s = P.dims.y / 4;
  let c4 = e % c4s;
  let r = e / c4s;
  let sp = r % P.outSize.w;
  let n = r / P.outSize.w;
  let co = c4 * 4;`
    : v.channelsLast
      ? decomposeChannelsLast('co')
      : /* wgsl */ `
  let sp = e % P.outSize.w;
  let r = e / P.outSize.w;
  let co = r % P.dims.y;
  let n = r / P.dims.y;`;
  const ci = 'co / P.dims.z';
  const xAddress = v.vec4
    ? '(n * P.inSize.w + pos) * c4s + c4'
    : v.channelsLast
      ? `(n * P.inSize.w + pos) * P.dims.w + ${ci}`
      : `(n * P.dims.w + ${ci}) * P.inSize.w + pos`;
  const wAddress = v.vec4 ? 'j * c4s + c4' : 'co * P.kernel.w + j';
  const bias = v.vec4 ? 'vec4<f32>(BIAS[co], BIAS[co + 1], BIAS[co + 2], BIAS[co + 3])' : 'BIAS[co]';
  const store = v.vec4
    ? /* wgsl */ `
  let s = acc + ${bias};
  Y[e] = vec4<f32>(clampNan(s.x, P.clampv.x, P.clampv.y), clampNan(s.y, P.clampv.x, P.clampv.y),
                   clampNan(s.z, P.clampv.x, P.clampv.y), clampNan(s.w, P.clampv.x, P.clampv.y));`
    : /* wgsl */ `
  Y[e] = clampNan(acc + ${bias}, P.clampv.x, P.clampv.y);`;

  return /* wgsl */ `
// ${depthwiseShaderKey(v)}
struct Params {
  inSize: vec4<i32>,   // D, H, W, D*H*W (padded copy when a pad pass ran)
  outSize: vec4<i32>,
  stride: vec4<i32>,
  pad: vec4<i32>,      // padding before, per axis
  dil: vec4<i32>,
  kernel: vec4<i32>,   // kD, kH, kW, taps
  dims: vec4<i32>,     // invocations, Cout, channel multiplier, Cin
  clampv: vec4<f32>,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<${T}>;
@group(0) @binding(2) var<storage, read> W: array<${T}>;
@group(0) @binding(3) var<storage, read> BIAS: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<${T}>;
${CLAMP_NAN_WGSL}
${elementwiseMain(decompose)}
  let o = vec3<i32>(t / P.outSize.y, t % P.outSize.y, ow);
  let start = o * P.stride.xyz - P.pad.xyz;
  var acc = ${T}(0.0);
  var j = 0;
  for (var kd = 0; kd < P.kernel.x; kd++) {
    for (var kh = 0; kh < P.kernel.y; kh++) {
      for (var kw = 0; kw < P.kernel.z; kw++) {
        let ip = start + vec3<i32>(kd, kh, kw) * P.dil.xyz;
        if (all(vec3<u32>(ip) < vec3<u32>(P.inSize.xyz))) {
          let pos = (ip.x * P.inSize.y + ip.y) * P.inSize.z + ip.z;
          acc = fma(X[${xAddress}], W[${wAddress}], acc);
        }
        j++;
      }
    }
  }
  ${store}
}
`;
}
