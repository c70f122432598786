// Lowering a convolution's receptive fields into GEMM panels, bounded to one block of output pixels at a
// time so the panel stays in L2. Zero padding is applied here, in-kernel; other padding modes are copied
// out first by pad.ts. Spatial axes are always 3-D (D, H, W); 1-D and 2-D convolutions use size-1 axes.
import { copyFloats, zeroFloats } from './simd';

// Channels-first panel, packed for gemm_6x8_packed_a: micro-panels of 8 pixels, [ceil(cnt/8)][K][8], so the
// microkernel streams its B operand contiguously (32 bytes per reduction step) whatever the input's plane size.
// Reduction row r = (c, a, b, e); pixel j = p0 + j. x points at the group's first input channel.
// Element (r, j) lives at panel + ((j >> 3) * K + r) * 32 + (j & 7) * 4.
export function im2col_cf(
  x: usize, cinG: i32, D: i32, H: i32, W: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  OH: i32, OW: i32, p0: i32, cnt: i32, panel: usize,
): void {
  const K = cinG * KD * KH * KW;
  const chunk = <usize>K << 5; // bytes between consecutive 8-pixel micro-panels
  const plane = OH * OW;
  const od0 = p0 / plane;
  const oh0 = (p0 % plane) / OW;
  const ow0 = p0 % OW;
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    for (let a = 0; a < KD; a++) {
      for (let b = 0; b < KH; b++) {
        for (let e = 0; e < KW; e++) {
          const rowBase = panel + (<usize>r << 5);
          let od = od0, oh = oh0, ow = ow0;
          let j = 0;
          while (j < cnt) {
            const seg = min(OW - ow, cnt - j);
            const id = od * SD - PD + a * DD;
            const ih = oh * SH - PH + b * DH;
            const inside = <u32>id < <u32>D && <u32>ih < <u32>H;
            const row = x + ((<usize>((c * D + id) * H + ih) * W) << 2);
            const iw0 = ow * SW - PW + e * DW;
            // Valid t range [lo, hi): input column iw0 + t*SW inside [0, W).
            let lo = 0, hi = 0;
            if (inside) {
              if (SW == 1) {
                lo = min(max(-iw0, 0), seg);
                hi = max(min(W - iw0, seg), lo);
              } else {
                lo = min(iw0 < 0 ? (-iw0 + SW - 1) / SW : 0, seg);
                hi = max(min(iw0 < W ? (W - iw0 + SW - 1) / SW : 0, seg), lo);
              }
            }
            let t = 0;
            for (; t < lo; t++) {
              const jj = j + t;
              store<f32>(rowBase + <usize>(jj >> 3) * chunk + (<usize>(jj & 7) << 2), 0);
            }
            if (SW == 1) {
              while (t < hi) {
                const jj = j + t;
                if ((jj & 3) == 0 && t + 4 <= hi) {
                  v128.store(rowBase + <usize>(jj >> 3) * chunk + (<usize>(jj & 7) << 2), v128.load(row + (<usize>(iw0 + t) << 2)));
                  t += 4;
                } else {
                  store<f32>(rowBase + <usize>(jj >> 3) * chunk + (<usize>(jj & 7) << 2), load<f32>(row + (<usize>(iw0 + t) << 2)));
                  t++;
                }
              }
            } else {
              for (; t < hi; t++) {
                const jj = j + t;
                store<f32>(rowBase + <usize>(jj >> 3) * chunk + (<usize>(jj & 7) << 2), load<f32>(row + (<usize>(iw0 + t * SW) << 2)));
              }
            }
            for (; t < seg; t++) {
              const jj = j + t;
              store<f32>(rowBase + <usize>(jj >> 3) * chunk + (<usize>(jj & 7) << 2), 0);
            }
            j += seg;
            ow = 0;
            if (++oh == OH) {
              oh = 0;
              od++;
            }
          }
          r++;
        }
      }
    }
  }
}

// Channels-last panel: row j = output pixel p0 + j, columns = (a, b, e, c) of the reduction (K = taps*cinG),
// row stride `ldp` floats. x points at the group's first channel inside pixel 0; Cin is the pixel stride.
export function im2col_cl(
  x: usize, cin: i32, cinG: i32, D: i32, H: i32, W: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  OH: i32, OW: i32, p0: i32, cnt: i32, panel: usize, ldp: i32,
): void {
  const plane = OH * OW;
  const bytes = <usize>cinG << 2;
  // Output coordinates by counting, not dividing: TurboFan sank per-pixel divisions into the tap loop (three
  // idiv per tap, most of a grouped layer's time).
  let od = p0 / plane;
  let oh = (p0 % plane) / OW;
  let ow = p0 % OW;
  for (let j = 0; j < cnt; j++) {
    let dst = panel + (<usize>j * ldp << 2);
    for (let a = 0; a < KD; a++) {
      const id = od * SD - PD + a * DD;
      for (let b = 0; b < KH; b++) {
        const ih = oh * SH - PH + b * DH;
        const rowOk = <u32>id < <u32>D && <u32>ih < <u32>H;
        for (let e = 0; e < KW; e++) {
          const iw = ow * SW - PW + e * DW;
          if (rowOk && <u32>iw < <u32>W) {
            copyFloats(dst, x + (<usize>(((id * H + ih) * W + iw) * cin) << 2), cinG);
          } else {
            zeroFloats(dst, cinG);
          }
          dst += bytes;
        }
      }
    }
    if (++ow == OW) {
      ow = 0;
      if (++oh == OH) {
        oh = 0;
        od++;
      }
    }
  }
}
