// A test picture drawn by code (so the example ships no image): rings and a bright square on a gradient.
export const SIZE = 192;

export function testImage() {
  const data = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const r = Math.hypot(x - 70, y - 80);
      let v = 0.25 * (x / SIZE) + (Math.sin(r / 4) > 0.6 && r < 60 ? 0.6 : 0);
      if (x > 120 && x < 170 && y > 110 && y < 160) v = 0.95;
      data[y * SIZE + x] = v;
    }
  }
  return { data, shape: [1, 1, SIZE, SIZE] };
}

/** Sobel x and y as one conv2d weight: two output channels, (2, 1, 3, 3). */
export const sobel = {
  data: new Float32Array([-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1]),
  shape: [2, 1, 3, 3],
};

/** Gradient magnitude from the two channels. */
export function magnitude({ data, shape: [, , H, W] }) {
  const out = new Float32Array(H * W);
  for (let i = 0; i < H * W; i++) out[i] = Math.hypot(data[i], data[H * W + i]);
  return out;
}
