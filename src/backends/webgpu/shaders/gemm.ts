/**
 * Tiled implicit-GEMM convolution (see ../lower.ts for the formulation shared by conv and transposed conv).
 *
 * One workgroup computes a TILE_M x TN block of Y (output pixels x output channels of one group) for one
 * dispatch (phase). Per step of TILE_K reductions it stages, in workgroup memory,
 *   As[TILE_K][TILE_M]: the im2col'd input, gathered on the fly (zero outside the input = zero padding);
 *   Bs[TILE_K][TN]:     the packed weights (vec4 loads, no bounds checks: packed B is zero padded);
 * and each invocation accumulates a 4 x 4 register tile (4 pixels x 4 channels) with fma. The tile's pixels
 * are decomposed (grid position, image) once per workgroup into `Mi`, so the gathers do no divisions; the
 * per-k offsets come from the `kinfo` table. Channels-last inputs with (Cin / groups) % 4 == 0 are gathered as
 * vec4 (4 channels of one tap). Tails in M, N and K are handled by bounds checks on the gather and the store.
 * The epilogue adds bias, applies the NaN-propagating clamp, and stores in either layout.
 *
 * Sizes are uniforms, so one pipeline per (TN, layout, vec4) serves every shape; `gemmShaderKey` names it.
 */
import { TILE_K, TILE_M, type TileN, gemmLoadPasses, gemmWorkgroupSize } from '../lower.js';
import { CLAMP_NAN_WGSL } from './common.js';

export interface GemmVariant {
  readonly tileN: TileN;
  readonly channelsLast: boolean;
  readonly vec4A: boolean;
}

export function gemmShaderKey(v: GemmVariant): string {
  return `gemm-${TILE_M}x${v.tileN}x${TILE_K}-${v.channelsLast ? 'cl' : 'cf'}${v.vec4A ? '-vec4' : ''}`;
}

export function gemmShader(v: GemmVariant): string {
  const TN = v.tileN;
  const WG = gemmWorkgroupSize(v.tileN);
  // A tile loads: element e of the tile is (pixel ml, reduction kl). Channels-first walks pixels fastest
  // (neighbouring invocations read neighbouring input columns); channels-last walks the reduction fastest
  // (neighbouring invocations read neighbouring channels of one pixel). vec4: 4 reductions per element.
  const kWidth = v.vec4A ? TILE_K / 4 : TILE_K;
  const [mlOf, klOf] = v.channelsLast ? [`e / ${kWidth}u`, `e % ${kWidth}u`] : [`e % ${TILE_M}u`, `e / ${TILE_M}u`];
  const address = v.channelsLast ? '(pix.w * P.inSize.w + pos) * P.chans.x + c' : '(pix.w * P.chans.x + c) * P.inSize.w + pos';
  const value = v.vec4A ? `X[(${address}) / 4]` : `X[${address}]`;
  const store = v.vec4A
    ? ['x', 'y', 'z', 'w'].map((lane, j) => `As[(4u * kl + ${j}u) * ${TILE_M / 4}u + ml / 4u][ml % 4u] = v.${lane};`).join('\n      ')
    : `As[kl * ${TILE_M / 4}u + ml / 4u][ml % 4u] = v;`;
  const loadA = /* wgsl */ `
    for (var i = 0u; i < u32(P.loops.x); i++) { // ${gemmLoadPasses(v)} passes
      let e = lid + i * ${WG}u;
      let ml = ${mlOf};
      let kl = ${klOf};
      let k = k0 + ${v.vec4A ? '4 * ' : ''}i32(kl);
      let pix = Mi[ml];
      var v = ${v.vec4A ? 'vec4<f32>(0.0)' : '0.0'};
      if (pix.w >= 0 && k < K) {
        let info = KI[P.chans.z + k];
        let ip = pix.xyz * P.inStride.xyz + info.yzw;
        if (all(vec3<u32>(ip) < vec3<u32>(P.inSize.xyz))) {
          let pos = (ip.x * P.inSize.y + ip.y) * P.inSize.z + ip.z;
          let c = cBase + info.x;
          v = ${value};
        }
      }
      ${store}
    }`;
  const outAddress = v.channelsLast ? '(n * P.outSize.w + opos) * P.chans.y + cg' : '(n * P.chans.y + cg) * P.outSize.w + opos';
  const epilogue = [0, 1, 2, 3]
    .map(
      (r) => /* wgsl */ `
  {
    let q = Mi[tx * 4u + ${r}u];
    if (q.w >= 0) {
      let n = q.w;
      let o = P.outBase.xyz + q.xyz * P.outStride.xyz;
      let opos = (o.x * P.outSize.y + o.y) * P.outSize.z + o.z;
${['x', 'y', 'z', 'w']
  .map(
    (lane, j) => `
      if (coBase + ${j} < P.dims.z) {
        let cg = g * P.dims.z + coBase + ${j};
        Y[${outAddress}] = clampNan(acc${r}.${lane} + BIAS[cg], P.clampv.x, P.clampv.y);
      }`,
  )
  .join('')}
    }
  }`,
    )
    .join('');

  return /* wgsl */ `
// ${gemmShaderKey(v)}
struct Params {
  inSize: vec4<i32>,    // padded input D, H, W, D*H*W
  inStride: vec4<i32>,  // input step per grid step, per axis
  qGrid: vec4<i32>,     // output grid of this dispatch D, H, W, product
  outBase: vec4<i32>,   // output position of grid point 0
  outStride: vec4<i32>, // output step per grid step
  outSize: vec4<i32>,   // full output D, H, W, D*H*W
  dims: vec4<i32>,      // M, K, Cout/groups, Cin/groups
  chans: vec4<i32>,     // Cin, Cout, kinfo offset, B offset (vec4)
  tiles: vec4<i32>,     // M tiles, N tiles, groups, B stride per group (vec4)
  np4: vec4<i32>,       // packed B row length (vec4)
  loops: vec4<i32>,     // A-tile passes, TILE_K / 4: constants passed as uniforms so that CPU drivers
                        // (lavapipe) do not fully unroll these loops, which made first compiles take ~20 s
  clampv: vec4<f32>,    // activation min, max
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<${v.vec4A ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> KI: array<vec4<i32>>;
@group(0) @binding(4) var<storage, read> BIAS: array<f32>;
@group(0) @binding(5) var<storage, read_write> Y: array<f32>;

var<workgroup> As: array<vec4<f32>, ${(TILE_K * TILE_M) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TILE_K * TN) / 4}>;
var<workgroup> Mi: array<vec4<i32>, ${TILE_M}>;
${CLAMP_NAN_WGSL}
// Output pixel index -> (grid d, h, w, batch n).
fn decompose(m: i32) -> vec4<i32> {
  let w = m % P.qGrid.z;
  let t = m / P.qGrid.z;
  let h = t % P.qGrid.y;
  let t2 = t / P.qGrid.y;
  return vec4<i32>(t2 % P.qGrid.x, h, w, t2 / P.qGrid.x);
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let tile = i32(wid.x + wid.y * nwg.x);
  if (tile >= P.tiles.x * P.tiles.y * P.tiles.z) { return; }
  let mTile = tile % P.tiles.x;
  let rest = tile / P.tiles.x;
  let nTile = rest % P.tiles.y;
  let g = rest / P.tiles.y;
  let M = P.dims.x;
  let K = P.dims.y;

  // The tile's pixels, decomposed once for the gathers and the epilogue: grid position (d, h, w) and
  // image (-1: past M).
  if (lid < ${TILE_M}u) {
    let m = mTile * ${TILE_M} + i32(lid);
    Mi[lid] = select(vec4<i32>(0, 0, 0, -1), decompose(m), m < M);
  }
  workgroupBarrier();
  let cBase = g * P.dims.w;
  let bBase = P.chans.w + g * P.tiles.w + nTile * ${TN / 4};

  // Register tile: pixels tx*4 .. tx*4+3, channels ty*4 .. ty*4+3.
  let tx = lid % ${TILE_M / 4}u;
  let ty = lid / ${TILE_M / 4}u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);

  for (var k0 = 0; k0 < K; k0 = k0 + ${TILE_K}) {
    ${loadA}
    {
      let kb = lid / ${TN / 4}u;
      let nb = lid % ${TN / 4}u;
      Bs[lid] = B[bBase + (k0 + i32(kb)) * P.np4.x + i32(nb)];
    }
    workgroupBarrier();
    for (var k4 = 0u; k4 < u32(P.loops.y); k4++) {${[0, 1, 2, 3]
      .map(
        (j) => `
      {
        let a = As[(4u * k4 + ${j}u) * ${TILE_M / 4}u + tx];
        let b = Bs[(4u * k4 + ${j}u) * ${TN / 4}u + ty];
        acc0 = fma(vec4<f32>(a.x), b, acc0);
        acc1 = fma(vec4<f32>(a.y), b, acc1);
        acc2 = fma(vec4<f32>(a.z), b, acc2);
        acc3 = fma(vec4<f32>(a.w), b, acc3);
      }`,
      )
      .join('')}
    }
    workgroupBarrier();
  }

  let coBase = nTile * ${TN} + i32(ty) * 4;
  ${epilogue}
}
`;
}
