/**
 * The WebGPU backend's lowering (src/backends/webgpu/lower.ts), checked on the CPU, so these run everywhere,
 * GPU or not: a JavaScript port of each kernel's index math (shaders/gemm.ts, depthwise.ts, pad.ts) reads the
 * same uniform blocks, reduction table and packed weights the GPU gets, and must match the float64 reference.
 * Tiling is left out (it does not change which products are summed); the kernels themselves are tested on a
 * real adapter in test/webgpu.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TILE_K,
  chooseTileN,
  depthwiseUniforms,
  gemmUniforms,
  lowerDepthwiseWeights,
  lowerGemmShape,
  lowerGemmWeights,
  needsPadPass,
  padUniforms,
} from '../src/backends/webgpu/lower.js';
import { isDepthwise } from '../src/lowering.js';
import { convForward, convTransposeForward } from '../src/reference.js';
import { type ConvGeometry, type ConvParams, resolveConvGeometry, resolveConvParams, resolveConvTransposeParams, shapeSize } from '../src/shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';

const inBounds = (p: number[], size: ArrayLike<number>): boolean => p.every((v, a) => v >= 0 && v < size[a]!);

/** shaders/pad.ts on the CPU. */
function emulatePad(g: ConvGeometry, x: Float32Array): Float32Array {
  const u = new Int32Array(padUniforms(g).data);
  const inSize = u.subarray(0, 4);
  const outSize = u.subarray(4, 8);
  const before = u.subarray(8, 12);
  const [total, C, mode] = [u[12]!, u[13]!, u[14]!];
  const source = (i: number, n: number): number => {
    if (i >= 0 && i < n) return i;
    if (mode === 2) return i < 0 ? 0 : n - 1;
    if (mode === 1) return i < 0 ? -i : 2 * (n - 1) - i;
    return ((i % n) + n) % n;
  };
  const y = new Float32Array(total);
  const last = g.params.layout === 'channels-last';
  for (let e = 0; e < total; e++) {
    const sp = last ? Math.floor(e / C) % outSize[3]! : e % outSize[3]!;
    const ow = sp % outSize[2]!;
    const t = Math.floor(sp / outSize[2]!);
    const o = [Math.floor(t / outSize[1]!) - before[0]!, (t % outSize[1]!) - before[1]!, ow - before[2]!];
    const s = o.map((v, a) => source(v, inSize[a]!));
    const spos = (s[0]! * inSize[1]! + s[1]!) * inSize[2]! + s[2]!;
    y[e] = last ? x[(Math.floor(e / C / outSize[3]!) * inSize[3]! + spos) * C + (e % C)]! : x[Math.floor(e / outSize[3]!) * inSize[3]! + spos]!;
  }
  return y;
}

/** shaders/gemm.ts on the CPU: every dispatch, every (pixel, channel) of every group, summed over K. */
function emulateGemm(g: ConvGeometry, x: Float32Array): Float64Array {
  const w = lowerGemmWeights(g.params);
  const s = lowerGemmShape(w, g);
  const y = new Float64Array(shapeSize(g.outputShape)).fill(NaN); // NaN: any output no phase writes shows up
  const last = g.params.layout === 'channels-last';
  const clamp = (v: number, lo: number, hi: number): number => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo), hi));
  const bias = g.params.bias ?? new Float32Array(g.params.outChannels);
  for (const d of s.dispatches) {
    const u = new Int32Array(gemmUniforms(w, g, s, d));
    const f = new Float32Array(u.buffer);
    const at = (i: number) => u.subarray(4 * i, 4 * i + 4);
    const [inSize, inStride, qGrid, outBase, outStride, outSize, dims, chans, tiles, np4] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(at) as Int32Array[];
    const [M, K, coutPG, cinPG] = dims!;
    const [Cin, Cout, kOffset, bOffset] = chans!;
    const decompose = (m: number): number[] => {
      const qw = m % qGrid![2]!;
      const t = Math.floor(m / qGrid![2]!);
      const qh = t % qGrid![1]!;
      const t2 = Math.floor(t / qGrid![1]!);
      return [t2 % qGrid![0]!, qh, qw, Math.floor(t2 / qGrid![0]!)];
    };
    for (let grp = 0; grp < tiles![2]!; grp++)
      for (let m = 0; m < M!; m++) {
        const [qd, qh, qw, n] = decompose(m) as [number, number, number, number];
        const base = [qd * inStride![0]!, qh * inStride![1]!, qw * inStride![2]!];
        const o = [outBase![0]! + qd * outStride![0]!, outBase![1]! + qh * outStride![1]!, outBase![2]! + qw * outStride![2]!];
        const opos = (o[0]! * outSize![1]! + o[1]!) * outSize![2]! + o[2]!;
        for (let co = 0; co < coutPG!; co++) {
          let acc = 0;
          for (let k = 0; k < K!; k++) {
            const info = w.kinfo.subarray(4 * (kOffset! + k), 4 * (kOffset! + k) + 4);
            const ip = [base[0]! + info[1]!, base[1]! + info[2]!, base[2]! + info[3]!];
            if (!inBounds(ip, inSize!)) continue;
            const pos = (ip[0]! * inSize![1]! + ip[1]!) * inSize![2]! + ip[2]!;
            const c = grp * cinPG! + info[0]!;
            const xv = last ? x[(n * inSize![3]! + pos) * Cin! + c]! : x[(n * Cin! + c) * inSize![3]! + pos]!;
            acc += xv * w.packedB[4 * (bOffset! + grp * tiles![3]!) + k * 4 * np4![0]! + co]!;
          }
          const cg = grp * coutPG! + co;
          y[last ? (n * outSize![3]! + opos) * Cout! + cg : (n * Cout! + cg) * outSize![3]! + opos] = clamp(acc + bias[cg]!, f[44]!, f[45]!);
        }
      }
  }
  return y;
}

/** shaders/depthwise.ts on the CPU. */
function emulateDepthwise(g: ConvGeometry, x: Float32Array): Float64Array {
  const dw = lowerDepthwiseWeights(g.params);
  const { data } = depthwiseUniforms(dw, g);
  const u = new Int32Array(data);
  const f = new Float32Array(data);
  const at = (i: number) => u.subarray(4 * i, 4 * i + 4);
  const [inSize, outSize, stride, pad, dil, kernel, dims] = [0, 1, 2, 3, 4, 5, 6].map(at) as Int32Array[];
  const [invocations, C, mult, Cin] = dims!;
  const lanes = dw.vec4 ? 4 : 1;
  const last = g.params.layout === 'channels-last';
  const y = new Float64Array(shapeSize(g.outputShape));
  const bias = g.params.bias ?? new Float32Array(C!);
  for (let e = 0; e < invocations!; e++)
    for (let lane = 0; lane < lanes; lane++) {
      const el = e * lanes + lane; // vec4: 4 consecutive channels of one position, as the scalar channels-last order
      const co = last ? el % C! : Math.floor(el / outSize![3]!) % C!;
      const sp = last ? Math.floor(el / C!) % outSize![3]! : el % outSize![3]!;
      const n = last ? Math.floor(el / C! / outSize![3]!) : Math.floor(el / outSize![3]! / C!);
      const t = Math.floor(sp / outSize![2]!);
      const o = [Math.floor(t / outSize![1]!), t % outSize![1]!, sp % outSize![2]!];
      const ci = Math.floor(co / mult!);
      let acc = 0;
      let j = 0;
      for (let kd = 0; kd < kernel![0]!; kd++)
        for (let kh = 0; kh < kernel![1]!; kh++)
          for (let kw = 0; kw < kernel![2]!; kw++, j++) {
            const ip = [kd, kh, kw].map((tap, a) => o[a]! * stride![a]! - pad![a]! + tap * dil![a]!);
            if (!inBounds(ip, inSize!)) continue;
            const pos = (ip[0]! * inSize![1]! + ip[1]!) * inSize![2]! + ip[2]!;
            const xv = last ? x[(n * inSize![3]! + pos) * Cin! + ci]! : x[(n * Cin! + ci) * inSize![3]! + pos]!;
            const wv = dw.vec4 ? dw.weights[j * C! + co]! : dw.weights[co * kernel![3]! + j]!;
            acc += xv * wv;
          }
      const v = acc + bias[co]!;
      y[el] = Number.isNaN(v) ? v : Math.min(Math.max(v, f[28]!), f[29]!);
    }
  return y;
}

function emulate(params: ConvParams, input: Tensor): Tensor {
  const g = resolveConvGeometry(params, input.shape);
  const x = needsPadPass(params) ? emulatePad(g, input.data) : input.data;
  const y = isDepthwise(params) ? emulateDepthwise(g, x) : emulateGemm(g, x);
  return { data: Float32Array.from(y), shape: [...g.outputShape] };
}

function check(params: ConvParams, input: Tensor): void {
  const g = resolveConvGeometry(params, input.shape);
  const reference = params.transposed ? convTransposeForward : convForward;
  const absParams = { ...params, weight: absTensor(params.weight), bias: params.bias && params.bias.map(Math.abs) };
  const bound = reference(resolveConvGeometry(absParams, input.shape), input.data.map(Math.abs)).data;
  expectConvClose(emulate(params, input), reference(g, input.data), bound, (params.inChannels / params.groups) * shapeSize(params.kernel));
}

/** Small integers (exact in float32) keep the float64 sums exact too. */
const ints = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (((i * 7919 + seed * 104729) % 13) - 6) / 4);
const tensor = (shape: number[], seed: number): Tensor => ({ shape, data: ints(shapeSize(shape), seed) });

describe('WebGPU lowering (CPU emulation of the kernels)', () => {
  it('chooses the N tile from the output channels per group', () => {
    expect([1, 16, 17, 32, 33, 512].map(chooseTileN)).toEqual([16, 16, 32, 32, 64, 64]);
  });

  it('packs B zero-padded to the K and N tiles, and one phase per stride residue for transposed', () => {
    const p = resolveConvTransposeParams('convTranspose2d', tensor([6, 5, 3, 4], 1), null, { stride: [2, 3], groups: 2 });
    const w = lowerGemmWeights(p);
    expect(w.phases.length).toBe(6);
    // kernel 3 along a stride-2 axis: residues take taps {0, 2} and {1}; kernel 4 along stride 3: {0, 3}, {1}, {2}.
    expect(w.phases.map((ph) => ph.K / w.cinPerGroup)).toEqual([4, 2, 2, 2, 1, 1]);
    const total = w.phases.reduce((s, ph) => s + w.groups * Math.ceil(ph.K / TILE_K) * TILE_K * w.Np, 0);
    expect(w.packedB.length).toBe(total);
  });

  it.for([
    ['conv2d cf', 'conv2d', [2, 3, 9, 13], [5, 3, 3, 3], { padding: 1, stride: [2, 1] }],
    ['conv2d cl vec4', 'conv2d', [2, 9, 7, 8], [6, 8, 3, 2], { padding: 'same', layout: 'channels-last', dilation: 2 }],
    ['conv2d groups reflect', 'conv2d', [1, 6, 7, 9], [4, 3, 3, 3], { groups: 2, padding: [2, 1], paddingMode: 'reflect', activation: 'relu' }],
    ['conv2d circular cl', 'conv2d', [1, 5, 4, 3], [4, 3, 3, 3], { padding: [3, 2], paddingMode: 'circular', layout: 'channels-last' }],
    ['conv1d replicate', 'conv1d', [2, 3, 5], [4, 3, 4], { padding: 'same', paddingMode: 'replicate', activation: { min: -1, max: 1 } }],
    ['conv3d', 'conv3d', [1, 2, 4, 5, 6], [3, 2, 2, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] }],
    ['depthwise cf mult2', 'conv2d', [2, 3, 7, 8], [6, 1, 3, 3], { groups: 3, stride: 2, padding: 1 }],
    ['depthwise cl vec4', 'conv2d', [1, 7, 6, 8], [8, 1, 3, 3], { groups: 8, padding: 'same', layout: 'channels-last' }],
    ['depthwise cl mult3', 'conv1d', [2, 9, 2], [6, 1, 3], { groups: 2, padding: 2, layout: 'channels-last', paddingMode: 'reflect' }],
  ] as const)('%s', ([, op, xs, ws, options]) => {
    const bias = tensor([ws[0]], 9);
    check(resolveConvParams(op, tensor([...ws], 2), bias, options as ConvOptions), tensor([...xs], 3));
  });

  it.for([
    ['stride 2 pad 1', 'convTranspose2d', [2, 4, 5, 7], [4, 3, 3, 3], { stride: 2, padding: 1 }],
    ['stride 3x2 outpad', 'convTranspose2d', [1, 2, 5, 7], [2, 3, 3, 5], { stride: [3, 2], padding: [1, 2], outputPadding: [2, 1] }],
    ['dilation 2 stride 2 (empty phases)', 'convTranspose1d', [1, 2, 6], [2, 3, 3], { stride: 4, dilation: 2, padding: 1 }],
    ['groups cl', 'convTranspose2d', [1, 5, 7, 6], [6, 2, 3, 3], { groups: 2, stride: 2, padding: 1, layout: 'channels-last' }],
    ['3d output size', 'convTranspose3d', [1, 2, 3, 4, 3], [2, 2, 3, 3, 3], { stride: 2, padding: 1, outputSize: [6, 7, 5] }],
    ['kernel smaller than stride', 'convTranspose2d', [1, 3, 4, 4], [3, 2, 1, 2], { stride: 3, activation: 'relu6' }],
  ] as const)('transposed: %s', ([, op, xs, ws, options]) => {
    const p = resolveConvTransposeParams(
      op,
      tensor([...ws], 4),
      tensor([ws[1] * ((options as ConvTransposeOptions).groups ?? 1)], 5),
      options as ConvTransposeOptions,
    );
    check(p, tensor([...xs], 6));
  });

  it('matches the reference on random configurations (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          rank: fc.integer({ min: 1, max: 3 }),
          transposed: fc.boolean(),
          last: fc.boolean(),
          groups: fc.integer({ min: 1, max: 3 }),
          cin: fc.integer({ min: 1, max: 5 }),
          cout: fc.integer({ min: 1, max: 5 }),
          k: fc.integer({ min: 1, max: 3 }),
          s: fc.integer({ min: 1, max: 3 }),
          d: fc.integer({ min: 1, max: 2 }),
          pad: fc.integer({ min: 0, max: 2 }),
          size: fc.integer({ min: 3, max: 7 }),
          batch: fc.integer({ min: 1, max: 2 }),
          mode: fc.constantFrom('zeros', 'reflect', 'replicate', 'circular'),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (c) => {
          const spatial = Array.from({ length: c.rank }, (_, i) => c.size + i);
          const kernel = Array.from({ length: c.rank }, () => c.k);
          const cin = c.cin * c.groups;
          const cout = c.cout * c.groups;
          const layout = c.last ? 'channels-last' : 'channels-first';
          const xs = c.last ? [c.batch, ...spatial, cin] : [c.batch, cin, ...spatial];
          const input = tensor(xs, c.seed);
          const op = (c.transposed ? ['convTranspose1d', 'convTranspose2d', 'convTranspose3d'] : ['conv1d', 'conv2d', 'conv3d'])[c.rank - 1]!;
          if (c.transposed) {
            const p = resolveConvTransposeParams(op as 'convTranspose2d', tensor([cin, c.cout, ...kernel], c.seed + 1), tensor([cout], c.seed + 2), {
              stride: c.s,
              dilation: c.d,
              padding: Math.min(c.pad, c.k - 1),
              groups: c.groups,
              layout,
            });
            check(p, input);
          } else {
            const pad = c.mode === 'reflect' ? Math.min(c.pad, c.size - 1) : c.pad;
            const p = resolveConvParams(op as 'conv2d', tensor([cout, c.cin, ...kernel], c.seed + 1), tensor([cout], c.seed + 2), {
              stride: c.s,
              dilation: c.d,
              padding: pad,
              groups: c.groups,
              paddingMode: c.mode,
              layout,
            });
            if (spatial.some((n) => n + 2 * pad < c.d * (c.k - 1) + 1)) return;
            check(p, input);
          }
        },
      ),
      { numRuns: 150, seed: 20251122 },
    );
  });
});
