// Lowering a convolution's receptive fields into GEMM panels, bounded to one block of output pixels at a
// time so the panel stays in L2. Zero padding is applied here, in-kernel; other padding modes are copied
// out first by pad.ts. Spatial axes are always 3-D (D, H, W); 1-D and 2-D convolutions use size-1 axes.

// Channels-first panel: row r = (c, a, b, e) of the reduction, columns = `cnt` consecutive output pixels
// starting at pixel p0, row stride `ldp` floats. x points at the group's first input channel.
export function im2col_cf(
  x: usize, cinG: i32, D: i32, H: i32, W: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  OH: i32, OW: i32, p0: i32, cnt: i32, panel: usize, ldp: i32,
): void {
  const plane = OH * OW;
  const od0 = p0 / plane;
  const oh0 = (p0 % plane) / OW;
  const ow0 = p0 % OW;
  let dst = panel;
  for (let c = 0; c < cinG; c++) {
    for (let a = 0; a < KD; a++) {
      for (let b = 0; b < KH; b++) {
        for (let e = 0; e < KW; e++) {
          let od = od0, oh = oh0, ow = ow0;
          let j = 0;
          while (j < cnt) {
            const seg = min(OW - ow, cnt - j);
            const id = od * SD - PD + a * DD;
            const ih = oh * SH - PH + b * DH;
            const out = dst + (<usize>j << 2);
            if (id < 0 || id >= D || ih < 0 || ih >= H) {
              memory.fill(out, 0, <usize>seg << 2);
            } else {
              const row = x + ((<usize>((c * D + id) * H + ih) * W) << 2);
              const iw0 = ow * SW - PW + e * DW;
              if (SW == 1) {
                // Contiguous: zero head, copy the valid run, zero tail.
                const lo = min(max(-iw0, 0), seg);
                const hi = max(min(W - iw0, seg), lo);
                if (lo > 0) memory.fill(out, 0, <usize>lo << 2);
                if (hi > lo) memory.copy(out + (<usize>lo << 2), row + (<usize>(iw0 + lo) << 2), <usize>(hi - lo) << 2);
                if (seg > hi) memory.fill(out + (<usize>hi << 2), 0, <usize>(seg - hi) << 2);
              } else {
                for (let t = 0; t < seg; t++) {
                  const iw = iw0 + t * SW;
                  store<f32>(out + (<usize>t << 2), <u32>iw < <u32>W ? load<f32>(row + (<usize>iw << 2)) : 0);
                }
              }
            }
            j += seg;
            ow = 0;
            if (++oh == OH) {
              oh = 0;
              od++;
            }
          }
          dst += <usize>ldp << 2;
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
  for (let j = 0; j < cnt; j++) {
    const p = p0 + j;
    const od = p / plane;
    const oh = (p % plane) / OW;
    const ow = p % OW;
    let dst = panel + (<usize>j * ldp << 2);
    for (let a = 0; a < KD; a++) {
      const id = od * SD - PD + a * DD;
      for (let b = 0; b < KH; b++) {
        const ih = oh * SH - PH + b * DH;
        const rowOk = <u32>id < <u32>D && <u32>ih < <u32>H;
        for (let e = 0; e < KW; e++) {
          const iw = ow * SW - PW + e * DW;
          if (rowOk && <u32>iw < <u32>W) {
            memory.copy(dst, x + (<usize>(((id * H + ih) * W + iw) * cin) << 2), bytes);
          } else {
            memory.fill(dst, 0, bytes);
          }
          dst += bytes;
        }
      }
    }
  }
}
