// Separable resampling (F.interpolate's nearest, nearest-exact, linear, bilinear, bicubic, trilinear): per axis
// and output position up to four taps (input index, float32 weight), from src/interpolate-shape.ts. Tables,
// tap-major so that a tap's entries for consecutive outputs are contiguous: for the D, H, W axes in turn,
// index[taps][O] (i32) then weight[taps][O] (f32). An output is PyTorch's nested sum, innermost axis first:
// sum_d wd * (sum_h wh * (sum_w ww * x)), each sum the first product then `+= value * weight`.

// @ts-ignore: decorator
@inline
function tapIndex(table: usize, tap: i32, count: i32, o: i32): i32 {
  return load<i32>(table + ((<usize>tap * count + o) << 2));
}

// @ts-ignore: decorator
@inline
function tapWeight(table: usize, taps: i32, tap: i32, count: i32, o: i32): f32 {
  return load<f32>(table + ((<usize>(taps + tap) * count + o) << 2));
}

// Four floats of a row at the indices in `idx` (one W tap of four consecutive outputs): where they lie within
// x[i0 .. i0 + 3] (upsampling), one load and a byte swizzle, lane l taking float idx[l] - i0; else lane by lane.
// @ts-ignore: decorator
@inline
function gather4(row: usize, idx: v128, W: i32): v128 {
  const i0 = i32x4.extract_lane(idx, 0);
  const diff = i32x4.sub(idx, i32x4.splat(i0));
  if (i0 + 4 <= W && i32x4.all_true(i32x4.le_u(diff, i32x4.splat(3)))) {
    const mask = i32x4.add(i32x4.mul(diff, i32x4.splat(0x04040404)), i32x4.splat(0x03020100));
    return i8x16.swizzle(v128.load(row + (<usize>i0 << 2)), mask);
  }
  let v = f32x4.splat(load<f32>(row + (<usize>i0 << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(row + (<usize>i32x4.extract_lane(idx, 1) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(row + (<usize>i32x4.extract_lane(idx, 2) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(row + (<usize>i32x4.extract_lane(idx, 3) << 2)));
}

// One output row of a 1-D or 2-D resampling with at most two H taps (nearest, linear, bilinear): the rows and
// their weights fixed once, four outputs per vector (the last block overlapping), the same nested sums.
// @ts-ignore: decorator
@inline
function rowTwoTaps(r0: usize, r1: usize, wh0: f32, wh1: f32, tH: i32, TW: usize, tW: i32, W: i32, OW: i32, yrow: usize): void {
  const v0 = f32x4.splat(wh0), v1 = f32x4.splat(wh1);
  for (let ow = 0; ow < OW; ow += 4) {
    const o = ow + 4 <= OW ? ow : OW - 4;
    let a0 = f32x4.splat(0), a1 = a0;
    for (let c = 0; c < tW; c++) {
      const idx = v128.load(TW + ((<usize>c * OW + o) << 2));
      const w = v128.load(TW + ((<usize>(tW + c) * OW + o) << 2));
      const p0 = f32x4.mul(gather4(r0, idx, W), w);
      a0 = c == 0 ? p0 : f32x4.add(a0, p0);
      if (tH > 1) {
        const p1 = f32x4.mul(gather4(r1, idx, W), w);
        a1 = c == 0 ? p1 : f32x4.add(a1, p1);
      }
    }
    let h = f32x4.mul(a0, v0);
    if (tH > 1) h = f32x4.add(h, f32x4.mul(a1, v1));
    v128.store(yrow + (<usize>o << 2), h);
  }
}

// Channels-first: `planes` planes of D x H x W into OD x OH x OW; four outputs of a row per vector (their W taps
// gathered lane by lane), the row's last block overlapping the one before where the row is not a multiple of 4.
// @driver
export function interpolateCf(
  x: usize, y: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  tables: usize, tD: i32, tH: i32, tW: i32,
): void {
  const TD = tables, TH = TD + ((<usize>2 * tD * OD) << 2), TW = TH + ((<usize>2 * tH * OH) << 2);
  const inPlane = <usize>D * H * W, outPlane = <usize>OD * OH * OW;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + ((<usize>pl * inPlane) << 2);
    const yp = y + ((<usize>pl * outPlane) << 2);
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        const yrow = yp + ((<usize>(od * OH + oh) * OW) << 2);
        if (OW >= 4 && tD == 1 && tH <= 2) {
          // The common case (1-D and 2-D nearest, linear, bilinear): D's one tap has weight 1 (x * 1 is x).
          const wd = tapWeight(TD, tD, 0, OD, od);
          const plane = xp + ((<usize>tapIndex(TD, 0, OD, od) * H * W) << 2);
          const r0 = plane + ((<usize>tapIndex(TH, 0, OH, oh) * W) << 2);
          const r1 = tH > 1 ? plane + ((<usize>tapIndex(TH, 1, OH, oh) * W) << 2) : r0;
          const wh1 = tH > 1 ? tapWeight(TH, tH, 1, OH, oh) : 0;
          if (wd == 1) {
            rowTwoTaps(r0, r1, tapWeight(TH, tH, 0, OH, oh), wh1, tH, TW, tW, W, OW, yrow);
            continue;
          }
        }
        if (OW >= 4) {
          let ow = 0;
          while (ow < OW) {
            if (ow + 4 > OW) ow = OW - 4;
            let accD = f32x4.splat(0);
            for (let a = 0; a < tD; a++) {
              const id = tapIndex(TD, a, OD, od);
              let accH = f32x4.splat(0);
              for (let b = 0; b < tH; b++) {
                const row = xp + ((<usize>(id * H + tapIndex(TH, b, OH, oh)) * W) << 2);
                let accW = f32x4.splat(0);
                for (let c = 0; c < tW; c++) {
                  const v = gather4(row, v128.load(TW + ((<usize>c * OW + ow) << 2)), W);
                  const p = f32x4.mul(v, v128.load(TW + ((<usize>(tW + c) * OW + ow) << 2)));
                  accW = c == 0 ? p : f32x4.add(accW, p);
                }
                const q = f32x4.mul(accW, f32x4.splat(tapWeight(TH, tH, b, OH, oh)));
                accH = b == 0 ? q : f32x4.add(accH, q);
              }
              const r = f32x4.mul(accH, f32x4.splat(tapWeight(TD, tD, a, OD, od)));
              accD = a == 0 ? r : f32x4.add(accD, r);
            }
            v128.store(yrow + (<usize>ow << 2), accD);
            ow += 4;
          }
        } else {
          for (let ow = 0; ow < OW; ow++) {
            let accD: f32 = 0;
            for (let a = 0; a < tD; a++) {
              const id = tapIndex(TD, a, OD, od);
              let accH: f32 = 0;
              for (let b = 0; b < tH; b++) {
                const row = xp + ((<usize>(id * H + tapIndex(TH, b, OH, oh)) * W) << 2);
                let accW: f32 = 0;
                for (let c = 0; c < tW; c++) {
                  const p = load<f32>(row + (<usize>tapIndex(TW, c, OW, ow) << 2)) * tapWeight(TW, tW, c, OW, ow);
                  accW = c == 0 ? p : accW + p;
                }
                const q = accW * tapWeight(TH, tH, b, OH, oh);
                accH = b == 0 ? q : accH + q;
              }
              const r = accH * tapWeight(TD, tD, a, OD, od);
              accD = a == 0 ? r : accD + r;
            }
            store<f32>(yrow + (<usize>ow << 2), accD);
          }
        }
      }
    }
  }
}

// Channels-last: output pixels [p0, p1) of each of `images` images of D x H x W x C, four channels per vector.
// @driver
export function interpolateCl(
  x: usize, y: usize, images: i32, C: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  tables: usize, tD: i32, tH: i32, tW: i32, p0: i32, p1: i32,
): void {
  const TD = tables, TH = TD + ((<usize>2 * tD * OD) << 2), TW = TH + ((<usize>2 * tH * OH) << 2);
  const inImage = <usize>D * H * W * C, outImage = <usize>OD * OH * OW * C;
  for (let n = 0; n < images; n++) {
    const xi = x + ((<usize>n * inImage) << 2);
    for (let pix = p0; pix < p1; pix++) {
      const od = pix / (OH * OW), oh = (pix / OW) % OH, ow = pix % OW;
      const yo = y + ((<usize>n * outImage + <usize>pix * C) << 2);
      let c = 0;
      // Sixteen channels at a time: four vectors share each tap's address and weight.
      for (; c + 16 <= C; c += 16) {
        let d0 = f32x4.splat(0), d1 = d0, d2 = d0, d3 = d0;
        for (let a = 0; a < tD; a++) {
          const id = tapIndex(TD, a, OD, od);
          let h0 = f32x4.splat(0), h1 = h0, h2 = h0, h3 = h0;
          for (let b = 0; b < tH; b++) {
            const row = (id * H + tapIndex(TH, b, OH, oh)) * W;
            let w0 = f32x4.splat(0), w1 = w0, w2 = w0, w3 = w0;
            for (let t = 0; t < tW; t++) {
              const at = xi + ((<usize>(row + tapIndex(TW, t, OW, ow)) * C + c) << 2);
              const wt = f32x4.splat(tapWeight(TW, tW, t, OW, ow));
              const p0 = f32x4.mul(v128.load(at), wt), p1 = f32x4.mul(v128.load(at, 16), wt);
              const p2 = f32x4.mul(v128.load(at, 32), wt), p3 = f32x4.mul(v128.load(at, 48), wt);
              if (t == 0) {
                w0 = p0;
                w1 = p1;
                w2 = p2;
                w3 = p3;
              } else {
                w0 = f32x4.add(w0, p0);
                w1 = f32x4.add(w1, p1);
                w2 = f32x4.add(w2, p2);
                w3 = f32x4.add(w3, p3);
              }
            }
            const wh = f32x4.splat(tapWeight(TH, tH, b, OH, oh));
            const q0 = f32x4.mul(w0, wh), q1 = f32x4.mul(w1, wh), q2 = f32x4.mul(w2, wh), q3 = f32x4.mul(w3, wh);
            if (b == 0) {
              h0 = q0;
              h1 = q1;
              h2 = q2;
              h3 = q3;
            } else {
              h0 = f32x4.add(h0, q0);
              h1 = f32x4.add(h1, q1);
              h2 = f32x4.add(h2, q2);
              h3 = f32x4.add(h3, q3);
            }
          }
          const wd = f32x4.splat(tapWeight(TD, tD, a, OD, od));
          const r0 = f32x4.mul(h0, wd), r1 = f32x4.mul(h1, wd), r2 = f32x4.mul(h2, wd), r3 = f32x4.mul(h3, wd);
          if (a == 0) {
            d0 = r0;
            d1 = r1;
            d2 = r2;
            d3 = r3;
          } else {
            d0 = f32x4.add(d0, r0);
            d1 = f32x4.add(d1, r1);
            d2 = f32x4.add(d2, r2);
            d3 = f32x4.add(d3, r3);
          }
        }
        const yc = yo + (<usize>c << 2);
        v128.store(yc, d0);
        v128.store(yc, d1, 16);
        v128.store(yc, d2, 32);
        v128.store(yc, d3, 48);
      }
      for (; c < C; c += 4) {
        // The last block of a pixel overlaps the one before (C >= 4), or runs lane by lane (C < 4).
        const cc = c + 4 <= C ? c : C >= 4 ? C - 4 : -1;
        if (cc < 0) break;
        let accD = f32x4.splat(0);
        for (let a = 0; a < tD; a++) {
          const id = tapIndex(TD, a, OD, od);
          let accH = f32x4.splat(0);
          for (let b = 0; b < tH; b++) {
            const ih = tapIndex(TH, b, OH, oh);
            let accW = f32x4.splat(0);
            for (let t = 0; t < tW; t++) {
              const at = xi + ((<usize>((id * H + ih) * W + tapIndex(TW, t, OW, ow)) * C + cc) << 2);
              const p = f32x4.mul(v128.load(at), f32x4.splat(tapWeight(TW, tW, t, OW, ow)));
              accW = t == 0 ? p : f32x4.add(accW, p);
            }
            const q = f32x4.mul(accW, f32x4.splat(tapWeight(TH, tH, b, OH, oh)));
            accH = b == 0 ? q : f32x4.add(accH, q);
          }
          const r = f32x4.mul(accH, f32x4.splat(tapWeight(TD, tD, a, OD, od)));
          accD = a == 0 ? r : f32x4.add(accD, r);
        }
        v128.store(yo + (<usize>cc << 2), accD);
      }
      for (; c < C; c++) {
        let accD: f32 = 0;
        for (let a = 0; a < tD; a++) {
          const id = tapIndex(TD, a, OD, od);
          let accH: f32 = 0;
          for (let b = 0; b < tH; b++) {
            const ih = tapIndex(TH, b, OH, oh);
            let accW: f32 = 0;
            for (let t = 0; t < tW; t++) {
              const p = load<f32>(xi + ((<usize>((id * H + ih) * W + tapIndex(TW, t, OW, ow)) * C + c) << 2)) * tapWeight(TW, tW, t, OW, ow);
              accW = t == 0 ? p : accW + p;
            }
            const q = accW * tapWeight(TH, tH, b, OH, oh);
            accH = b == 0 ? q : accH + q;
          }
          const r = accH * tapWeight(TD, tD, a, OD, od);
          accD = a == 0 ? r : accD + r;
        }
        store<f32>(yo + (<usize>c << 2), accD);
      }
    }
  }
}
