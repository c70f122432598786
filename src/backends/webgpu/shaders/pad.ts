/**
 * Explicit padding for the non-zero padding modes ('reflect', 'replicate', 'circular'): writes the padded copy
 * the convolution kernels then read with no further padding. Same index rule as shape.ts's `sourceIndex`
 * (reflect without repeating the edge, circular wrap), in either layout; one element per invocation.
 */
import { decomposeChannelsLast, elementwiseMain } from './common.js';

export function padShaderKey(channelsLast: boolean): string {
  return `pad-${channelsLast ? 'cl' : 'cf'}`;
}

export function padShader(channelsLast: boolean): string {
  const decompose = channelsLast
    ? decomposeChannelsLast('c')
    : /* wgsl */ `
  let sp = e % P.outSize.w;
  let nc = e / P.outSize.w;`;
  const src = channelsLast ? '(n * P.inSize.w + spos) * P.dims.y + c' : 'nc * P.inSize.w + spos';
  return /* wgsl */ `
// ${padShaderKey(channelsLast)}
struct Params {
  inSize: vec4<i32>,   // D, H, W, D*H*W
  outSize: vec4<i32>,  // padded D, H, W, D*H*W
  before: vec4<i32>,   // padding before, per axis
  dims: vec4<i32>,     // invocations, C, mode (1 reflect, 2 replicate, 3 circular)
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;

fn source(i: i32, n: i32) -> i32 {
  if (i >= 0 && i < n) { return i; }
  if (P.dims.z == 2) { return select(n - 1, 0, i < 0); }
  if (P.dims.z == 1) { return select(2 * (n - 1) - i, -i, i < 0); }
  return ((i % n) + n) % n;
}

${elementwiseMain(decompose)}
  let o = vec3<i32>(t / P.outSize.y, t % P.outSize.y, ow) - P.before.xyz;
  let s = vec3<i32>(source(o.x, P.inSize.x), source(o.y, P.inSize.y), source(o.z, P.inSize.z));
  let spos = (s.x * P.inSize.y + s.y) * P.inSize.z + s.z;
  Y[e] = X[${src}];
}
`;
}
