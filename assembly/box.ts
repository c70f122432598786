// Per-channel fills, box sums and clamps over channels-first images: the tap-split path's glue
// (src/backends/wasm/taps-conv-plan.ts), which computes each kernel tap's GEMM over only the box of outputs
// whose input for that tap lies inside the image, into a scratch block, and adds the block into the output.
import { clampv } from './simd';

// y[c][p] = bias[c] for c < C, p < P.
export function fill_channels(y: usize, bias: usize, C: i32, P: i32): void {
  for (let c = 0; c < C; c++) {
    const b = load<f32>(bias + (<usize>c << 2));
    const v = f32x4.splat(b);
    let p = 0;
    for (; p + 4 <= P; p += 4) v128.store(y + (<usize>p << 2), v);
    for (; p < P; p++) store<f32>(y + (<usize>p << 2), b);
    y += <usize>P << 2;
  }
}

// dst[c][d][h][w] += src[c][d][h][w] over a box of D x H x W outputs per channel: src is dense, dst is the
// box's first output inside channel planes of dstPlane floats with rows dstW and slices dstH x dstW floats.
export function add_box(src: usize, dst: usize, C: i32, D: i32, H: i32, W: i32, dstPlane: i32, dstH: i32, dstW: i32): void {
  const rowBytes = <usize>dstW << 2;
  const sliceBytes = <usize>dstH * rowBytes;
  for (let c = 0; c < C; c++) {
    const plane = dst + (<usize>c * dstPlane << 2);
    for (let d = 0; d < D; d++) {
      for (let h = 0; h < H; h++) {
        const o = plane + <usize>d * sliceBytes + <usize>h * rowBytes;
        let w = 0;
        for (; w + 4 <= W; w += 4) {
          const at = o + (<usize>w << 2);
          v128.store(at, f32x4.add(v128.load(at), v128.load(src)));
          src += 16;
        }
        for (; w < W; w++) {
          const at = o + (<usize>w << 2);
          store<f32>(at, load<f32>(at) + load<f32>(src));
          src += 4;
        }
      }
    }
  }
}

// y[i] = min(max(y[i], lo), hi) for i < n, NaN kept (simd.ts clampv).
export function clamp_floats(y: usize, n: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = y + (<usize>i << 2);
    v128.store(at, clampv(v128.load(at), vlo, vhi));
  }
  for (; i < n; i++) {
    const at = y + (<usize>i << 2);
    store<f32>(at, f32x4.extract_lane(clampv(f32x4.splat(load<f32>(at)), vlo, vhi), 0));
  }
}

// Transposed convolution's scatter (col2im), channels-first: y[co][o] += cols[co * taps + k][i] for every input
// position i and kernel tap k with o = i * stride - pad + k * dilation inside the output, per axis (D, H, W).
// cols: [Cout * taps][D * H * W], the GEMM W^T x; y: [Cout][OD][OH][OW], filled with the bias before.
export function col2im_add_cf(
  cols: usize, y: usize, cout: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, PD: i32, PH: i32, PW: i32, DD: i32, DH: i32, DW: i32,
): void {
  const pixels = <usize>D * H * W;
  const outPlane = <usize>OD * OH * OW;
  for (let co = 0; co < cout; co++) {
    const yc = y + (<usize>co * outPlane << 2);
    for (let a = 0; a < KD; a++) {
      for (let b = 0; b < KH; b++) {
        for (let e = 0; e < KW; e++) {
          const row = cols + (<usize>(((co * KD + a) * KH + b) * KW + e) * pixels << 2);
          // Input columns whose output column is inside: iw in [w0, w1).
          const offW = e * DW - PW;
          if (OW - 1 - offW < 0) continue;
          const w0 = offW >= 0 ? 0 : (-offW + SW - 1) / SW;
          const w1 = min(W, (OW - 1 - offW) / SW + 1);
          if (w1 <= w0) continue;
          for (let d = 0; d < D; d++) {
            const od = d * SD - PD + a * DD;
            if (<u32>od >= <u32>OD) continue;
            for (let h = 0; h < H; h++) {
              const oh = h * SH - PH + b * DH;
              if (<u32>oh >= <u32>OH) continue;
              const src = row + (<usize>((d * H + h) * W) << 2);
              const base = (od * OH + oh) * OW + offW;
              for (let w = w0; w < w1; w++) {
                const at = yc + (<usize>(base + w * SW) << 2);
                store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>w << 2)));
              }
            }
          }
        }
      }
    }
  }
}
