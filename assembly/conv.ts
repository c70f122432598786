// Convolution drivers: one call per image (or per pixel range [pBegin, pEnd) of an image, one per thread),
// tiling inside wasm so the JS boundary is crossed once per image.
// A convolution is a GEMM per group: (output channels) x (output pixels) x (Cin/groups * kernel taps).
// Weights arrive prepacked by the plan (gemm.ts pack_a / pack_b_8); `panel` is the plan's bounded workspace.
import { gemm_packed_a } from './gemm';
import { gemm_6x8_packed_b } from './gen/tiles';
import { gemv_packed_b } from './gemv';
import { im2col_cf, im2col_cl } from './im2col';
import { chunkEnd, firstChunk, nextChunk } from './schedule';
import { copyFloats } from './simd';

// Channels-first. The panel always holds packed micro-panels (see im2col_cf); for a 1x1 kernel that is a plain
// repack of the input, which pays for itself: reading B in place would touch one page per input channel.
// Pixels [pBegin, pEnd) of one image; with a `queue` (assembly/schedule.ts) the threads claim 8-pixel blocks of
// that range as they go, each into its own panel.
// @driver
export function convGemmCf(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, D: i32, H: i32, W: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  groups: i32, rows: i32, panel: usize, nc: i32, lo: f32, hi: f32, pBegin: i32, pEnd: i32, queue: usize,
): void {
  const blocks = (pEnd - pBegin + 7) >> 3;
  for (let b = firstChunk(queue, 0, blocks); b < blocks; b = nextChunk(queue, blocks)) {
    const e = chunkEnd(queue, b, blocks);
    gemmCfPixels(x, w, bias, y, cin, D, H, W, cout, OD, OH, OW, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, groups, rows, panel, nc, lo, hi,
      pBegin + (b << 3), min(pEnd, pBegin + (e << 3)));
  }
}

function gemmCfPixels(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, D: i32, H: i32, W: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  groups: i32, rows: i32, panel: usize, nc: i32, lo: f32, hi: f32, pBegin: i32, pEnd: i32,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  const K = cinG * KD * KH * KW;
  const P = OD * OH * OW;
  const inPlane = <usize>D * H * W;
  const chunk = <usize>K << 5;
  const mTiles = (coutG + rows - 1) / rows;
  const panelA = <usize>K * rows << 2; // bytes of one packed panel of `rows` output channels
  const ldc = <usize>P << 2;
  for (let g = 0; g < groups; g++) {
    const xg = x + ((<usize>g * cinG * inPlane) << 2);
    for (let p0 = pBegin; p0 < pEnd; p0 += nc) {
      const cnt = min(nc, pEnd - p0);
      im2col_cf(xg, cinG, D, H, W, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, OH, OW, p0, cnt, panel);
      for (let mt = 0; mt < mTiles; mt++) {
        const m0 = mt * rows;
        const mr = min(rows, coutG - m0);
        const co = g * coutG + m0;
        const a = w + (<usize>(g * mTiles + mt) * panelA);
        const crow = y + ((<usize>co * P + p0) << 2);
        const brow = bias + (<usize>co << 2);
        for (let n0 = 0; n0 < cnt; n0 += 8) {
          const b = panel + <usize>(n0 >> 3) * chunk;
          const c = crow + (<usize>n0 << 2);
          gemm_packed_a(rows, mr, min(8, cnt - n0), K, a, b, 32, c, ldc, brow, lo, hi);
        }
      }
    }
  }
}

// Channels-last. `direct` = 1 when the reduction is the input itself (1x1 kernel, stride 1, no padding): A is
// then read in place, one row per pixel with stride Cin (rows are contiguous, so no repack is needed).
// Pixels [pBegin, pEnd) of one image; with a `queue` the threads claim 6-pixel blocks of it as they go.
// @driver
export function convGemmCl(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, D: i32, H: i32, W: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  groups: i32, panel: usize, mc: i32, direct: i32, lo: f32, hi: f32, pBegin: i32, pEnd: i32, queue: usize,
): void {
  const blocks = (pEnd - pBegin + 5) / 6;
  for (let b = firstChunk(queue, 0, blocks); b < blocks; b = nextChunk(queue, blocks)) {
    const e = chunkEnd(queue, b, blocks);
    gemmClPixels(x, w, bias, y, cin, D, H, W, cout, OD, OH, OW, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, groups, panel, mc, direct, lo, hi,
      pBegin + b * 6, min(pEnd, pBegin + e * 6));
  }
}

function gemmClPixels(
  x: usize, w: usize, bias: usize, y: usize,
  cin: i32, D: i32, H: i32, W: i32, cout: i32, OD: i32, OH: i32, OW: i32,
  KD: i32, KH: i32, KW: i32, SD: i32, SH: i32, SW: i32, DD: i32, DH: i32, DW: i32, PD: i32, PH: i32, PW: i32,
  groups: i32, panel: usize, mc: i32, direct: i32, lo: f32, hi: f32, pBegin: i32, pEnd: i32,
): void {
  const cinG = cin / groups;
  const coutG = cout / groups;
  const K = cinG * KD * KH * KW;
  const nTiles = (coutG + 7) >> 3;
  const panelB = <usize>K << 5; // bytes of one packed 8-column panel
  const ldc = <usize>cout << 2;
  for (let g = 0; g < groups; g++) {
    for (let p0 = pBegin; p0 < pEnd; p0 += mc) {
      const cnt = min(mc, pEnd - p0);
      let a: usize, lda: usize;
      // The microkernel reads six rows whatever it stores: the last tile's rows past cnt must exist. The
      // im2col panel has them (its height is a multiple of 6); input rows read in place may end with the
      // tensor, so a short last tile is copied into the panel (six rows of K).
      const full = cnt - cnt % 6;
      let tail: usize, tailLda: usize;
      if (direct) {
        a = x + ((<usize>p0 * cin + g * cinG) << 2);
        lda = <usize>cin << 2;
        tail = panel;
        tailLda = <usize>K << 2;
        // (A one-pixel tail is read in place: gemv_packed_b reads one row.)
        if (cnt - full > 1) for (let r = full; r < cnt; r++) copyFloats(panel + <usize>(r - full) * tailLda, a + <usize>r * lda, K);
      } else {
        im2col_cl(x + (<usize>(g * cinG) << 2), cin, cinG, D, H, W, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, OH, OW, p0, cnt, panel, K);
        a = panel;
        lda = <usize>K << 2;
        tail = a + <usize>full * lda;
        tailLda = lda;
      }
      for (let nt = 0; nt < nTiles; nt++) {
        const n0 = nt << 3;
        const nr = min(8, coutG - n0);
        const co = g * coutG + n0;
        const b = w + (<usize>(g * nTiles + nt) * panelB);
        const brow = bias + (<usize>co << 2);
        const yrow = y + ((<usize>p0 * cout + co) << 2);
        for (let m0 = 0; m0 < full; m0 += 6) {
          gemm_6x8_packed_b(6, nr, K, a + <usize>m0 * lda, lda, b, yrow + <usize>m0 * ldc, ldc, brow, lo, hi);
        }
        if (cnt - full == 1) gemv_packed_b(nr, K, a + <usize>full * lda, b, yrow + <usize>full * ldc, brow, lo, hi);
        else if (full < cnt) gemm_6x8_packed_b(cnt - full, nr, K, tail, tailLda, b, yrow + <usize>full * ldc, ldc, brow, lo, hi);
      }
    }
  }
}
