// Float64 direct convolution (conv2d / conv3d / convTranspose2d, NC[D]HW, groups, stride, padding,
// dilation) used to verify each peer's output once, before it is timed.
import { outSpatial } from './layers.mjs';

// 2-D layers are run as 3-D ones with a depth of 1.
const as3d = (a, fill) => (a.length === 3 ? a : [fill, ...a]);

/** Returns { ref, absSum }: the exact-ish output and, per output, sum |w * x| over its terms. */
export function reference(l, x, w) {
  const [D, H, W] = as3d(l.spatial, 1);
  const [KD, KH, KW] = as3d(l.kernel, 1);
  const [sd, sh, sw] = as3d(l.stride, 1);
  const [pd, ph, pw] = as3d(l.padding, 0);
  const [dd, dh, dw] = as3d(l.dilation, 1);
  const [OD, OH, OW] = as3d(outSpatial(l), 1);
  const cig = l.Cin / l.groups,
    cog = l.Cout / l.groups,
    taps = KD * KH * KW;
  const ref = new Float64Array(l.N * l.Cout * OD * OH * OW);
  const absSum = new Float64Array(ref.length);
  const transposed = l.op === 'convTranspose2d';
  const xd = x.data,
    wd = w.data;
  // Output positions o with i = o * s - p + k * d inside [0, size): the contiguous range [lo, hi).
  const range = (s, p, k, d, size, outSize) => {
    const off = k * d - p;
    return [Math.max(0, Math.ceil(-off / s)), Math.min(outSize, Math.floor((size - 1 - off) / s) + 1)];
  };
  for (let n = 0; n < l.N; n++)
    for (let g = 0; g < l.groups; g++)
      for (let co = g * cog; co < (g + 1) * cog; co++)
        for (let c = 0; c < cig; c++) {
          const ci = g * cig + c;
          const xBase = (n * l.Cin + ci) * D * H * W;
          const yBase = (n * l.Cout + co) * OD * OH * OW;
          const wBase = transposed ? (ci * cog + (co - g * cog)) * taps : (co * cig + c) * taps;
          for (let kd = 0; kd < KD; kd++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const wv = wd[wBase + (kd * KH + kh) * KW + kw];
                if (transposed) {
                  // y[i * s - p + k * d] += x[i] * w
                  for (let id = 0; id < D; id++) {
                    const od = id * sd - pd + kd * dd;
                    if (od < 0 || od >= OD) continue;
                    for (let ih = 0; ih < H; ih++) {
                      const oh = ih * sh - ph + kh * dh;
                      if (oh < 0 || oh >= OH) continue;
                      const xRow = xBase + (id * H + ih) * W,
                        yRow = yBase + (od * OH + oh) * OW - pw + kw * dw;
                      for (let iw = 0; iw < W; iw++) {
                        const ow = iw * sw - pw + kw * dw;
                        if (ow < 0 || ow >= OW) continue;
                        const v = xd[xRow + iw] * wv;
                        ref[yRow + iw * sw] += v;
                        absSum[yRow + iw * sw] += Math.abs(v);
                      }
                    }
                  }
                } else {
                  // y[o] += x[o * s - p + k * d] * w
                  const [od0, od1] = range(sd, pd, kd, dd, D, OD);
                  const [oh0, oh1] = range(sh, ph, kh, dh, H, OH);
                  const [ow0, ow1] = range(sw, pw, kw, dw, W, OW);
                  for (let od = od0; od < od1; od++)
                    for (let oh = oh0; oh < oh1; oh++) {
                      const xRow = xBase + ((od * sd - pd + kd * dd) * H + oh * sh - ph + kh * dh) * W - pw + kw * dw;
                      const yRow = yBase + (od * OH + oh) * OW;
                      for (let ow = ow0; ow < ow1; ow++) {
                        const v = xd[xRow + ow * sw] * wv;
                        ref[yRow + ow] += v;
                        absSum[yRow + ow] += Math.abs(v);
                      }
                    }
                }
              }
        }
  return { ref, absSum };
}

/**
 * Compares a float32 NC[D]HW output with the reference. The bound is the classical one for a float32
 * reduction of K terms (K * u * sum|w*x|, u = 2^-24) with a 4x margin for other summation orders and
 * fused multiply-adds: |y - ref| <= K * 2^-22 * sum|w*x| + 1e-6, K = (Cin / groups) * prod(kernel).
 * Returns null when it agrees, else a description of the largest error.
 */
export function compare(l, y, { ref, absSum }) {
  if (!(y instanceof Float32Array) || y.length !== ref.length) {
    return `wrong result: expected ${ref.length} floats, got ${y?.length} (${y?.constructor?.name})`;
  }
  const K = (l.Cin / l.groups) * l.kernel.reduce((p, k) => p * k, 1);
  let worst = -1,
    worstErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(y[i] - ref[i]);
    if (!(err <= K * 2 ** -22 * absSum[i] + 1e-6) && !(err <= worstErr)) [worst, worstErr] = [i, err];
  }
  return worst < 0 ? null : `wrong result: max err ${worstErr.toExponential(2)} at ${worst}, |ref| ${Math.abs(ref[worst]).toExponential(2)}`;
}

/**
 * The reference at `count` output positions only (the first, the last and the rest spread by a fixed
 * stride), for layers whose full float64 convolution would take a minute in JS (the network benchmark's
 * 2-10 GFLOP layers). Returns { at, ref, absSum } for compare(): at[i] is the output index of ref[i].
 */
export function sampledReference(l, x, w, count = 384) {
  const spatial = l.spatial.length;
  const outS = outSpatial(l);
  const total = l.N * l.Cout * outS.reduce((p, v) => p * v, 1);
  const step = Math.max(1, Math.floor(total / count)) | 1; // odd: spreads over channels and positions alike
  const at = [];
  for (let i = 0; i < total && at.length < count - 1; i += step) at.push(i);
  if (at.at(-1) !== total - 1) at.push(total - 1);
  const cig = l.Cin / l.groups,
    cog = l.Cout / l.groups;
  const taps = l.kernel.reduce((p, k) => p * k, 1);
  const transposed = l.op.startsWith('convTranspose');
  const ref = new Float64Array(at.length);
  const absSum = new Float64Array(at.length);
  at.forEach((index, s) => {
    // index -> n, co, o[spatial]
    let rest = index;
    const o = new Array(spatial);
    for (let a = spatial - 1; a >= 0; a--) {
      o[a] = rest % outS[a];
      rest = Math.floor(rest / outS[a]);
    }
    const co = rest % l.Cout;
    const n = Math.floor(rest / l.Cout);
    const g = Math.floor(co / cog);
    let sum = 0,
      abs = 0;
    for (let c = 0; c < cig; c++) {
      const ci = g * cig + c;
      for (let t = 0; t < taps; t++) {
        // Tap t's kernel position per axis, and the input position it meets (or none).
        let tt = t,
          xi = 0,
          inside = true;
        const k = new Array(spatial);
        for (let a = spatial - 1; a >= 0; a--) {
          k[a] = tt % l.kernel[a];
          tt = Math.floor(tt / l.kernel[a]);
        }
        for (let a = 0; a < spatial && inside; a++) {
          let i;
          if (transposed) {
            const num = o[a] + l.padding[a] - k[a] * l.dilation[a];
            i = num / l.stride[a];
            if (num % l.stride[a] !== 0) inside = false;
          } else i = o[a] * l.stride[a] - l.padding[a] + k[a] * l.dilation[a];
          if (i < 0 || i >= l.spatial[a]) inside = false;
          xi = xi * l.spatial[a] + i;
        }
        if (!inside) continue;
        const xv = x.data[(n * l.Cin + ci) * l.spatial.reduce((p, v) => p * v, 1) + xi];
        const wv = w.data[(transposed ? ci * cog + (co - g * cog) : co * cig + c) * taps + t];
        sum += xv * wv;
        abs += Math.abs(xv * wv);
      }
    }
    ref[s] = sum;
    absSum[s] = abs;
  });
  return { at, ref, absSum };
}

/**
 * compare() at the sampled positions of sampledReference(); `factor` widens the bound for algorithms with
 * their own, larger one (Winograd's sums pass through its transforms: test/winograd.test.ts has the exact bound).
 */
export function compareSampled(l, y, { at, ref, absSum }, factor = 1) {
  const total = l.N * l.Cout * outSpatial(l).reduce((p, v) => p * v, 1);
  if (!(y instanceof Float32Array) || y.length !== total) return `wrong result: expected ${total} floats, got ${y?.length} (${y?.constructor?.name})`;
  const K = (l.Cin / l.groups) * l.kernel.reduce((p, k) => p * k, 1);
  let worst = -1,
    worstErr = 0;
  at.forEach((index, s) => {
    const err = Math.abs(y[index] - ref[s]);
    if (!(err <= factor * K * 2 ** -22 * absSum[s] + 1e-6) && !(err <= worstErr)) [worst, worstErr] = [index, err];
  });
  return worst < 0 ? null : `wrong result: max err ${worstErr.toExponential(2)} at ${worst} (of ${at.length} sampled)`;
}
