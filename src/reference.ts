/**
 * Float64 reference convolutions written straight from the definitions (direct sums, no im2col, no tiling).
 * They are the test oracle and the engine of the `js` backend, the fallback where WebAssembly SIMD is missing.
 * Every rank is handled as 3-D with leading size-1 axes, so one loop nest serves conv1d/2d/3d.
 */
import {
  type ConvGeometry,
  type ConvOp,
  type ConvTransposeOp,
  resolveConvGeometry,
  resolveConvParams,
  resolveConvTransposeParams,
  sourceIndex,
  readTensor,
  to3d,
} from './shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from './types.js';

export interface Tensor64 {
  readonly shape: number[];
  readonly data: Float64Array;
}

/** Element offsets of a (batch, channel, d, h, w) tensor in either layout. */
function strides(channels: number, size: readonly [number, number, number], channelsLast: boolean) {
  const [D, H, W] = size;
  const spatial = D * H * W;
  if (channelsLast) return { n: spatial * channels, c: 1, d: H * W * channels, h: W * channels, w: channels };
  return { n: channels * spatial, c: spatial, d: H * W, h: W, w: 1 };
}

/** A geometry on 3-D axes, with both tensors' element strides and a zeroed float64 output. */
function lowered(g: ConvGeometry) {
  const p = g.params;
  const last = p.layout === 'channels-last';
  const inS = to3d(g.inSize, 1);
  const outS = to3d(g.outSize, 1);
  const [k, st, dl, pb] = [to3d(p.kernel, 1), to3d(p.stride, 1), to3d(p.dilation, 1), to3d(p.padBefore, 0)];
  const y = new Float64Array(g.batch * p.outChannels * outS[0] * outS[1] * outS[2]);
  const xs = strides(p.inChannels, inS, last);
  const ys = strides(p.outChannels, outS, last);
  return { p, inS, outS, k, st, dl, pb, cinG: p.inChannels / p.groups, coutG: p.outChannels / p.groups, xs, ys, w: p.weight.data, y };
}

export function referenceConv(op: ConvOp, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options?: ConvOptions): Tensor64 {
  const params = resolveConvParams(op, weight, bias, options);
  input = readTensor('input', input);
  return convForward(resolveConvGeometry(params, input.shape), input.data);
}

export function referenceConvTranspose(
  op: ConvTransposeOp,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options?: ConvTransposeOptions,
): Tensor64 {
  const params = resolveConvTransposeParams(op, weight, bias, options);
  input = readTensor('input', input);
  return convTransposeForward(resolveConvGeometry(params, input.shape), input.data);
}

/**
 * Direct convolution in float64 for a resolved geometry. `x` may be float64 (chains of stages in tests). Zero
 * padding takes part in the sum, as in PyTorch's reference paths: 0 x Inf is NaN (docs/ARCHITECTURE.md,
 * "Non-finite values"). Only the output channels flagged in `only` are computed when it is given.
 */
export function convForward(g: ConvGeometry, x: Float32Array | Float64Array, only: Uint8Array | null = null): Tensor64 {
  const { p, inS, outS, k, st, dl, pb, cinG, coutG, xs, ys, w, y } = lowered(g);
  const { min, max } = p.clamp;
  // Source index per axis and output/kernel position, -1 where the padded value is zero.
  const src = [0, 1, 2].map((a) => {
    const table = new Int32Array(outS[a]! * k[a]!);
    for (let o = 0; o < outS[a]!; o++) {
      for (let t = 0; t < k[a]!; t++) table[o * k[a]! + t] = sourceIndex(p.paddingMode, o * st[a]! - pb[a]! + t * dl[a]!, inS[a]!);
    }
    return table;
  });
  for (let n = 0; n < g.batch; n++) {
    for (let co = 0; co < p.outChannels; co++) {
      if (only && !only[co]) continue;
      const group = Math.floor(co / coutG);
      for (let od = 0; od < outS[0]; od++) {
        for (let oh = 0; oh < outS[1]; oh++) {
          for (let ow = 0; ow < outS[2]; ow++) {
            let acc = p.bias === null ? 0 : p.bias[co]!;
            for (let cl = 0; cl < cinG; cl++) {
              const ci = group * cinG + cl;
              const wBase = (co * cinG + cl) * k[0] * k[1] * k[2];
              for (let kd = 0; kd < k[0]; kd++) {
                const id = src[0]![od * k[0] + kd]!;
                for (let kh = 0; kh < k[1]; kh++) {
                  const ih = src[1]![oh * k[1] + kh]!;
                  for (let kw = 0; kw < k[2]; kw++) {
                    const iw = src[2]![ow * k[2] + kw]!;
                    const xv = id < 0 || ih < 0 || iw < 0 ? 0 : x[n * xs.n + ci * xs.c + id * xs.d + ih * xs.h + iw * xs.w]!;
                    acc += xv * w[wBase + (kd * k[1] + kh) * k[2] + kw]!;
                  }
                }
              }
            }
            y[n * ys.n + co * ys.c + od * ys.d + oh * ys.h + ow * ys.w] = clamp(acc, min, max);
          }
        }
      }
    }
  }
  return { shape: [...g.outputShape], data: y };
}

/**
 * Transposed convolution in float64: every input element scatters its kernel into the output (only terms of
 * the true input take part, as in PyTorch). Only the output channels flagged in `only` when it is given.
 */
export function convTransposeForward(g: ConvGeometry, x: Float32Array | Float64Array, only: Uint8Array | null = null): Tensor64 {
  const { p, inS, outS, k, st, dl, pb, cinG, coutG, xs, ys, w, y } = lowered(g);
  for (let n = 0; n < g.batch; n++) {
    for (let co = 0; co < p.outChannels; co++) {
      const b = p.bias === null ? 0 : p.bias[co]!;
      for (let od = 0; od < outS[0]; od++)
        for (let oh = 0; oh < outS[1]; oh++) for (let ow = 0; ow < outS[2]; ow++) y[n * ys.n + co * ys.c + od * ys.d + oh * ys.h + ow * ys.w] = b;
    }
    for (let ci = 0; ci < p.inChannels; ci++) {
      const group = Math.floor(ci / cinG);
      for (let id = 0; id < inS[0]; id++)
        for (let ih = 0; ih < inS[1]; ih++)
          for (let iw = 0; iw < inS[2]; iw++) {
            const xv = x[n * xs.n + ci * xs.c + id * xs.d + ih * xs.h + iw * xs.w]!;
            for (let cl = 0; cl < coutG; cl++) {
              const co = group * coutG + cl;
              if (only && !only[co]) continue;
              const wBase = (ci * coutG + cl) * k[0] * k[1] * k[2];
              for (let kd = 0; kd < k[0]; kd++) {
                const od = id * st[0] - pb[0] + kd * dl[0];
                if (od < 0 || od >= outS[0]) continue;
                for (let kh = 0; kh < k[1]; kh++) {
                  const oh = ih * st[1] - pb[1] + kh * dl[1];
                  if (oh < 0 || oh >= outS[1]) continue;
                  for (let kw = 0; kw < k[2]; kw++) {
                    const ow = iw * st[2] - pb[2] + kw * dl[2];
                    if (ow < 0 || ow >= outS[2]) continue;
                    y[n * ys.n + co * ys.c + od * ys.d + oh * ys.h + ow * ys.w]! += xv * w[wBase + (kd * k[1] + kh) * k[2] + kw]!;
                  }
                }
              }
            }
          }
    }
  }
  const { min, max } = p.clamp;
  if (min !== -Infinity || max !== Infinity) for (let i = 0; i < y.length; i++) y[i] = clamp(y[i]!, min, max);
  return { shape: [...g.outputShape], data: y };
}

/** NaN-propagating clamp (Math.max/min return NaN for a NaN operand), as torch's relu/clamp do. */
function clamp(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), max);
}

/**
 * The output channels that a non-finite weight (Inf or NaN) feeds, flagged, or null when every weight is finite.
 * Plans compute those channels with the reference (patchNonFinite): a kernel's tiles may multiply such a weight
 * by a padding or inserted zero that PyTorch leaves out, or leave out one that PyTorch multiplies.
 */
export function nonFiniteChannels(p: ConvGeometry['params']): Uint8Array | null {
  const w = p.weight.data;
  let flags: Uint8Array | null = null;
  const taps = w.length / p.weight.shape[0]! / p.weight.shape[1]!;
  for (let i = 0; i < w.length; i++) {
    if (Number.isFinite(w[i]!)) continue;
    flags ??= new Uint8Array(p.outChannels);
    const row = Math.floor(i / taps);
    if (!p.transposed) flags[Math.floor(row / p.weight.shape[1]!)] = 1;
    else {
      // (Cin, Cout/groups, k...): input channel ci's group times Cout/groups, plus the column.
      const coutG = p.outChannels / p.groups;
      const ci = Math.floor(row / coutG);
      flags[Math.floor(ci / (p.inChannels / p.groups)) * coutG + (row % coutG)] = 1;
    }
  }
  return flags;
}

/** The reference of one kind, restricted to flagged output channels: convForward or convTransposeForward. */
export type ChannelReference = (g: ConvGeometry, x: Float32Array, only: Uint8Array) => Tensor64;

/**
 * Overwrites the flagged output channels of `out` (a run's output of input `x`) with `reference`'s values (a
 * plan passes the one of its kind, so that a bundle of one kind holds one loop nest).
 */
export function patchNonFinite(reference: ChannelReference, g: ConvGeometry, x: Float32Array, out: Float32Array, only: Uint8Array): void {
  const y = reference(g, x, only).data;
  const C = g.params.outChannels;
  const plane = y.length / g.batch / C;
  const last = g.params.layout === 'channels-last';
  for (let i = 0; i < y.length; i++) if (only[last ? i % C : Math.floor(i / plane) % C]) out[i] = y[i]!;
}
