// Pooling: max (with or without indices) and average, regular or adaptive, 1-D to 3-D, both layouts.
// The host (src/pool-shape.ts) resolves every pooling to per-axis window tables: for output position o on an
// axis, the first tap inside the input, the number of taps inside it (`dilation` apart), and a divisor factor.
// Table layout (i32): start[OD] count[OD] factor[OD] start[OH] count[OH] factor[OH] start[OW] count[OW] factor[OW].
//
// PyTorch's rules, exactly: taps in (d, h, w) order; a max takes a tap when `v > best || v != v` (so NaN wins,
// ties keep the first index, and an empty window gives -Inf at its first position); an average sums in float32
// (in tap order, but for long windows: four partial sums) and divides by the product of the factors, or by each
// in turn (adaptive), or by the override.

const MODE_MAX: i32 = 0;
const MODE_MAX_INDICES: i32 = 1;
const MODE_AVG: i32 = 2;
const MODE_AVG_SEQUENTIAL: i32 = 3;

// @ts-ignore: decorator
@inline
function at(table: usize, i: i32): i32 {
  return load<i32>(table + (<usize>i << 2));
}

// Four floats of a row at w, w + step, w + 2 step, w + 3 step (no read past the last of them).
// @ts-ignore: decorator
@inline
function load4(row: usize, w: i32, step: i32): v128 {
  const p = row + (<usize>w << 2);
  if (step == 1) return v128.load(p);
  if (step == 2) return i8x16.shuffle(v128.load(p), v128.load(p, 12), 0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31);
  const s = <usize>step << 2;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + s));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * s));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * s));
}

// The average's divisor for one output: the override, or the axes' factors.
// @ts-ignore: decorator
@inline
function average(sum: f32, fd: i32, fh: i32, fw: i32, mode: i32, divisor: f32): f32 {
  if (divisor != 0) return sum / divisor;
  if (mode == MODE_AVG_SEQUENTIAL) return sum / <f32>fd / <f32>fh / <f32>fw;
  return sum / <f32>(fd * fh * fw);
}

// One output of a channels-first plane, scalar: the edges, and windows whose neighbours differ.
// @ts-ignore: decorator
@inline
function poolOne(
  xp: usize, H: i32, W: i32, d0: i32, nd: i32, dD: i32, h0: i32, nh: i32, dH: i32, w0: i32, nw: i32, dW: i32,
  mode: i32, yo: usize, io: usize, fd: i32, fh: i32, fw: i32, divisor: f32,
): void {
  if (mode <= MODE_MAX_INDICES) {
    let best: f32 = -Infinity;
    let bi = (d0 * H + h0) * W + w0;
    for (let kd = 0; kd < nd; kd++) {
      for (let kh = 0; kh < nh; kh++) {
        const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0;
        const row = xp + (<usize>pos << 2);
        for (let t = 0; t < nw; t++) {
          const v = load<f32>(row + (<usize>(t * dW) << 2));
          if (v > best || v != v) {
            best = v;
            bi = pos + t * dW;
          }
        }
      }
    }
    store<f32>(yo, best);
    if (mode == MODE_MAX_INDICES) store<i32>(io, bi);
    return;
  }
  let sum: f32 = 0;
  if (nw >= 16 || (nw == W && nh * nw >= 16)) {
    // A long window (global pooling): four partial sums along contiguous input, a row or, where the window
    // spans whole rows, the rows together. A different order from PyTorch's scalar loop, within the same bound.
    let acc = f32x4.splat(0);
    const whole = nw == W;
    for (let kd = 0; kd < nd; kd++) {
      const rows = whole ? 1 : nh;
      const n = whole ? nh * W : nw;
      for (let kh = 0; kh < rows; kh++) {
        const row = xp + (<usize>(((d0 + kd) * H + h0 + kh) * W + w0) << 2);
        let t = 0;
        for (; t + 4 <= n; t += 4) acc = f32x4.add(acc, v128.load(row + (<usize>t << 2)));
        for (; t < n; t++) sum += load<f32>(row + (<usize>t << 2));
      }
    }
    sum += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else {
    for (let kd = 0; kd < nd; kd++) {
      for (let kh = 0; kh < nh; kh++) {
        const row = xp + (<usize>(((d0 + kd) * H + h0 + kh) * W + w0) << 2);
        for (let t = 0; t < nw; t++) sum += load<f32>(row + (<usize>t << 2));
      }
    }
  }
  store<f32>(yo, average(sum, fd, fh, fw, mode, divisor));
}

// Four outputs of a channels-first row whose windows are alike (`nw` taps, starts `step` apart from w0).
// @ts-ignore: decorator
@inline
function poolFour(
  xp: usize, H: i32, W: i32, d0: i32, nd: i32, dD: i32, h0: i32, nh: i32, dH: i32, w0: i32, nw: i32, dW: i32, step: i32,
  mode: i32, yo: usize, io: usize, fd: i32, fh: i32, fWat: usize, divisor: f32,
): void {
  const isMax = mode <= MODE_MAX_INDICES;
  if (mode == MODE_MAX) {
    // Without indices: pmax(best, v) is `v > best ? v : best` (PyTorch's rule for a number; ties and
    // +-0 keep the first), and NaN, which pmax never takes, is flagged and wins at the end.
    let best = f32x4.splat(-Infinity);
    let nan = i32x4.splat(0);
    for (let kd = 0; kd < nd; kd++) {
      for (let kh = 0; kh < nh; kh++) {
        const row = xp + (<usize>(((d0 + kd * dD) * H + h0 + kh * dH) * W) << 2);
        let t = 0;
        if (step == 2 && dW == 1) {
          // Taps t and t + 1 of four outputs two apart: the even and odd lanes of 8 floats.
          for (; t + 2 <= nw; t += 2) {
            const p = row + (<usize>(w0 + t) << 2);
            const a = v128.load(p), b = v128.load(p, 16);
            const even = i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
            const odd = i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
            best = f32x4.pmax(f32x4.pmax(best, even), odd);
            // The flag per output lane: the shuffled taps', not the loaded vectors' (whose lanes are inputs).
            nan = v128.or(nan, v128.or(f32x4.ne(even, even), f32x4.ne(odd, odd)));
          }
        }
        for (; t < nw; t++) {
          const v = load4(row, w0 + t * dW, step);
          best = f32x4.pmax(best, v);
          nan = v128.or(nan, f32x4.ne(v, v));
        }
      }
    }
    v128.store(yo, v128.bitselect(f32x4.splat(NaN), best, nan));
  } else if (isMax) {
    let best = f32x4.splat(-Infinity);
    const lanes = i32x4(0, step, 2 * step, 3 * step);
    let bi = i32x4.add(i32x4.splat((d0 * H + h0) * W + w0), lanes);
    for (let kd = 0; kd < nd; kd++) {
      for (let kh = 0; kh < nh; kh++) {
        const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0;
        const row = xp + (<usize>(pos - w0) << 2);
        for (let t = 0; t < nw; t++) {
          const v = load4(row, w0 + t * dW, step);
          const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
          best = v128.bitselect(v, best, take);
          if (mode == MODE_MAX_INDICES) bi = v128.bitselect(i32x4.add(i32x4.splat(pos + t * dW), lanes), bi, take);
        }
      }
    }
    v128.store(yo, best);
    if (mode == MODE_MAX_INDICES) v128.store(io, bi);
  } else {
    let sum = f32x4.splat(0);
    for (let kd = 0; kd < nd; kd++) {
      for (let kh = 0; kh < nh; kh++) {
        const row = xp + (<usize>(((d0 + kd) * H + h0 + kh) * W) << 2);
        let t = 0;
        if (step == 2) {
          for (; t + 2 <= nw; t += 2) {
            const p = row + (<usize>(w0 + t) << 2);
            const a = v128.load(p), b = v128.load(p, 16);
            sum = f32x4.add(f32x4.add(sum, i8x16.shuffle(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27)), i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31));
          }
        }
        for (; t < nw; t++) sum = f32x4.add(sum, load4(row, w0 + t, step));
      }
    }
    let v: v128;
    if (divisor != 0) v = f32x4.div(sum, f32x4.splat(divisor));
    else {
      const fw = f32x4.convert_i32x4_s(v128.load(fWat));
      if (mode == MODE_AVG_SEQUENTIAL) v = f32x4.div(f32x4.div(f32x4.div(sum, f32x4.splat(<f32>fd)), f32x4.splat(<f32>fh)), fw);
      else v = f32x4.div(sum, f32x4.convert_i32x4_s(i32x4.mul(v128.load(fWat), i32x4.splat(fd * fh))));
    }
    v128.store(yo, v);
  }
}

// Channels-first: `planes` planes of D x H x W (each a channel of an image) into OD x OH x OW, four outputs of a
// row at once where their windows are alike (same taps, starts `step` apart), else one by one.
// @driver
export function poolCf(
  x: usize, y: usize, ind: usize, planes: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  tables: usize, dD: i32, dH: i32, dW: i32, mode: i32, divisor: f32,
): void {
  const sD = tables, cD = sD + (<usize>OD << 2), fD = cD + (<usize>OD << 2);
  const sH = fD + (<usize>OD << 2), cH = sH + (<usize>OH << 2), fH = cH + (<usize>OH << 2);
  const sW = fH + (<usize>OH << 2), cW = sW + (<usize>OW << 2), fW = cW + (<usize>OW << 2);
  const inPlane = <usize>D * H * W, outPlane = <usize>OD * OH * OW;
  // The longest run of W outputs whose windows are alike (the same taps, starts `step` apart), found once: four
  // outputs per vector there (the run's last block overlapping the one before), one by one elsewhere (edges).
  let lo = 0, hi = 0, step = 0;
  for (let ow = 0; ow + 1 < OW; ) {
    const s = at(sW, ow + 1) - at(sW, ow), c = at(cW, ow);
    let e = ow;
    if (s >= 1) while (e + 1 < OW && at(sW, e + 1) - at(sW, e) == s && at(cW, e + 1) == c) e++;
    if (e + 1 - ow > hi - lo) {
      lo = ow;
      hi = e + 1;
      step = s;
    }
    ow = e + 1;
  }
  if (hi - lo < 4) hi = lo = 0;
  for (let pl = 0; pl < planes; pl++) {
    const xp = x + ((<usize>pl * inPlane) << 2);
    for (let od = 0; od < OD; od++) {
      const d0 = at(sD, od), nd = at(cD, od), fd = at(fD, od);
      for (let oh = 0; oh < OH; oh++) {
        const h0 = at(sH, oh), nh = at(cH, oh), fh = at(fH, oh);
        const rowOut = (<usize>pl * outPlane + <usize>(od * OH + oh) * OW) << 2;
        const yr = y + rowOut, ir = ind + rowOut;
        let ow = 0;
        for (; ow < lo; ow++) {
          poolOne(xp, H, W, d0, nd, dD, h0, nh, dH, at(sW, ow), at(cW, ow), dW, mode, yr + (<usize>ow << 2), ir + (<usize>ow << 2), fd, fh, at(fW, ow), divisor);
        }
        if (hi > lo) {
          const nw = at(cW, lo), first = at(sW, lo);
          for (let b = lo; b < hi; b += 4) {
            const bb = b + 4 <= hi ? b : hi - 4;
            const o = <usize>bb << 2;
            poolFour(xp, H, W, d0, nd, dD, h0, nh, dH, first + (bb - lo) * step, nw, dW, step, mode, yr + o, ir + o, fd, fh, fW + o, divisor);
          }
          ow = hi;
        }
        for (; ow < OW; ow++) {
          poolOne(xp, H, W, d0, nd, dD, h0, nh, dH, at(sW, ow), at(cW, ow), dW, mode, yr + (<usize>ow << 2), ir + (<usize>ow << 2), fd, fh, at(fW, ow), divisor);
        }
      }
    }
  }
}

// Channels-last: output pixels [p0, p1) of each of `images` images of D x H x W x C, four channels at once.
// @driver
export function poolCl(
  x: usize, y: usize, ind: usize, images: i32, C: i32, D: i32, H: i32, W: i32, OD: i32, OH: i32, OW: i32,
  tables: usize, dD: i32, dH: i32, dW: i32, p0: i32, p1: i32, mode: i32, divisor: f32,
): void {
  const sD = tables, cD = sD + (<usize>OD << 2), fD = cD + (<usize>OD << 2);
  const sH = fD + (<usize>OD << 2), cH = sH + (<usize>OH << 2), fH = cH + (<usize>OH << 2);
  const sW = fH + (<usize>OH << 2), cW = sW + (<usize>OW << 2), fW = cW + (<usize>OW << 2);
  const inImage = <usize>D * H * W * C, outImage = <usize>OD * OH * OW * C;
  const isMax = mode <= MODE_MAX_INDICES;
  for (let n = 0; n < images; n++) {
    const xi = x + ((<usize>n * inImage) << 2);
    for (let pix = p0; pix < p1; pix++) {
      const od = pix / (OH * OW), oh = (pix / OW) % OH, ow = pix % OW;
      const d0 = at(sD, od), nd = at(cD, od), h0 = at(sH, oh), nh = at(cH, oh), w0 = at(sW, ow), nw = at(cW, ow);
      const fd = at(fD, od), fh = at(fH, oh), fw = at(fW, ow);
      const out = (<usize>n * outImage + <usize>pix * C) << 2;
      const yo = y + out, io = ind + out;
      const first = (d0 * H + h0) * W + w0;
      let c = 0;
      if (mode != MODE_MAX_INDICES) {
        // Sixteen channels at a time: four vectors per tap share its address arithmetic.
        for (; c + 16 <= C; c += 16) {
          const cx = xi + (<usize>c << 2);
          const init = mode == MODE_MAX ? f32x4.splat(-Infinity) : f32x4.splat(0);
          let a0 = init, a1 = init, a2 = init, a3 = init;
          let nan = i32x4.splat(0);
          for (let kd = 0; kd < nd; kd++) {
            for (let kh = 0; kh < nh; kh++) {
              const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0;
              let p = cx + ((<usize>pos * C) << 2);
              const tapBytes = (<usize>dW * C) << 2;
              for (let t = 0; t < nw; t++) {
                const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
                if (mode == MODE_MAX) {
                  a0 = f32x4.pmax(a0, v0);
                  a1 = f32x4.pmax(a1, v1);
                  a2 = f32x4.pmax(a2, v2);
                  a3 = f32x4.pmax(a3, v3);
                  nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
                } else {
                  a0 = f32x4.add(a0, v0);
                  a1 = f32x4.add(a1, v1);
                  a2 = f32x4.add(a2, v2);
                  a3 = f32x4.add(a3, v3);
                }
                p += tapBytes;
              }
            }
          }
          const yc = yo + (<usize>c << 2);
          if (mode == MODE_MAX) {
            // A NaN anywhere in these 16 channels' windows: redo them exactly below (rare).
            if (v128.any_true(nan)) break;
            v128.store(yc, a0);
            v128.store(yc, a1, 16);
            v128.store(yc, a2, 32);
            v128.store(yc, a3, 48);
          } else {
            let dv: v128;
            if (divisor != 0) dv = f32x4.splat(divisor);
            else if (mode == MODE_AVG) dv = f32x4.splat(<f32>(fd * fh * fw));
            else dv = f32x4.splat(1);
            if (mode == MODE_AVG_SEQUENTIAL && divisor == 0) {
              const sd = f32x4.splat(<f32>fd), sh = f32x4.splat(<f32>fh), sw = f32x4.splat(<f32>fw);
              a0 = f32x4.div(f32x4.div(f32x4.div(a0, sd), sh), sw);
              a1 = f32x4.div(f32x4.div(f32x4.div(a1, sd), sh), sw);
              a2 = f32x4.div(f32x4.div(f32x4.div(a2, sd), sh), sw);
              a3 = f32x4.div(f32x4.div(f32x4.div(a3, sd), sh), sw);
            } else {
              a0 = f32x4.div(a0, dv);
              a1 = f32x4.div(a1, dv);
              a2 = f32x4.div(a2, dv);
              a3 = f32x4.div(a3, dv);
            }
            v128.store(yc, a0);
            v128.store(yc, a1, 16);
            v128.store(yc, a2, 32);
            v128.store(yc, a3, 48);
          }
        }
      }
      for (; c + 4 <= C; c += 4) {
        const cx = xi + (<usize>c << 2);
        if (isMax) {
          let best = f32x4.splat(-Infinity);
          let bi = i32x4.splat(first);
          for (let kd = 0; kd < nd; kd++) {
            for (let kh = 0; kh < nh; kh++) {
              const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0;
              for (let t = 0; t < nw; t++) {
                const v = v128.load(cx + ((<usize>(pos + t * dW) * C) << 2));
                const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
                best = v128.bitselect(v, best, take);
                if (mode == MODE_MAX_INDICES) bi = v128.bitselect(i32x4.splat(pos + t * dW), bi, take);
              }
            }
          }
          v128.store(yo + (<usize>c << 2), best);
          if (mode == MODE_MAX_INDICES) v128.store(io + (<usize>c << 2), bi);
        } else {
          let sum = f32x4.splat(0);
          for (let kd = 0; kd < nd; kd++) {
            for (let kh = 0; kh < nh; kh++) {
              const pos = ((d0 + kd) * H + h0 + kh) * W + w0;
              for (let t = 0; t < nw; t++) sum = f32x4.add(sum, v128.load(cx + ((<usize>(pos + t) * C) << 2)));
            }
          }
          let v: v128;
          if (divisor != 0) v = f32x4.div(sum, f32x4.splat(divisor));
          else if (mode == MODE_AVG_SEQUENTIAL) v = f32x4.div(f32x4.div(f32x4.div(sum, f32x4.splat(<f32>fd)), f32x4.splat(<f32>fh)), f32x4.splat(<f32>fw));
          else v = f32x4.div(sum, f32x4.splat(<f32>(fd * fh * fw)));
          v128.store(yo + (<usize>c << 2), v);
        }
      }
      for (; c < C; c++) {
        const cx = xi + (<usize>c << 2);
        if (isMax) {
          let best: f32 = -Infinity;
          let bi = first;
          for (let kd = 0; kd < nd; kd++) {
            for (let kh = 0; kh < nh; kh++) {
              const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0;
              for (let t = 0; t < nw; t++) {
                const v = load<f32>(cx + ((<usize>(pos + t * dW) * C) << 2));
                if (v > best || v != v) {
                  best = v;
                  bi = pos + t * dW;
                }
              }
            }
          }
          store<f32>(yo + (<usize>c << 2), best);
          if (mode == MODE_MAX_INDICES) store<i32>(io + (<usize>c << 2), bi);
        } else {
          let sum: f32 = 0;
          for (let kd = 0; kd < nd; kd++) {
            for (let kh = 0; kh < nh; kh++) {
              const pos = ((d0 + kd) * H + h0 + kh) * W + w0;
              for (let t = 0; t < nw; t++) sum += load<f32>(cx + ((<usize>(pos + t) * C) << 2));
            }
          }
          store<f32>(yo + (<usize>c << 2), average(sum, fd, fh, fw, mode, divisor));
        }
      }
    }
  }
}
