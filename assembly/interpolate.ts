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
                  const idx = v128.load(TW + ((<usize>c * OW + ow) << 2));
                  let v = f32x4.splat(load<f32>(row + (<usize>i32x4.extract_lane(idx, 0) << 2)));
                  v = f32x4.replace_lane(v, 1, load<f32>(row + (<usize>i32x4.extract_lane(idx, 1) << 2)));
                  v = f32x4.replace_lane(v, 2, load<f32>(row + (<usize>i32x4.extract_lane(idx, 2) << 2)));
                  v = f32x4.replace_lane(v, 3, load<f32>(row + (<usize>i32x4.extract_lane(idx, 3) << 2)));
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
