import { copyFloats } from './simd';

// Copies an image into a larger buffer with reflect / replicate / circular padding (PyTorch's F.pad rules),
// so the convolution kernels only ever see zero padding. The image is viewed as [outer][D][H][W][inner]:
// channels-first has outer = C, inner = 1; channels-last has outer = 1, inner = C.

export const MODE_REFLECT: i32 = 1;
export const MODE_REPLICATE: i32 = 2;
export const MODE_CIRCULAR: i32 = 3;

// @ts-ignore: decorator
@inline
function source(mode: i32, i: i32, n: i32): i32 {
  if (<u32>i < <u32>n) return i;
  if (mode == MODE_REPLICATE) return i < 0 ? 0 : n - 1;
  if (mode == MODE_REFLECT) return i < 0 ? -i : 2 * (n - 1) - i;
  return ((i % n) + n) % n;
}

// @driver
export function padImage(
  x: usize, y: usize, outer: i32, inner: i32, D: i32, H: i32, W: i32,
  PD0: i32, PD1: i32, PH0: i32, PH1: i32, PW0: i32, PW1: i32, mode: i32,
): void {
  const YD = D + PD0 + PD1, YH = H + PH0 + PH1, YW = W + PW0 + PW1;
  const bytes = <usize>inner << 2; // one pixel
  for (let o = 0; o < outer; o++) {
    const xo = x + (<usize>o * D * H * W * inner << 2);
    for (let d = 0; d < YD; d++) {
      const sd = source(mode, d - PD0, D);
      for (let h = 0; h < YH; h++) {
        const sh = source(mode, h - PH0, H);
        const srow = xo + (<usize>((sd * H + sh) * W * inner) << 2);
        for (let w = 0; w < YW; w++) {
          const sw = source(mode, w - PW0, W);
          copyFloats(y, srow + (<usize>(sw * inner) << 2), inner);
          y += bytes;
        }
      }
    }
  }
}
