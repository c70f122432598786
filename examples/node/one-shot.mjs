// One call: a 3x3 edge filter over a synthetic 64x64 grayscale image.
// Run: node examples/node/one-shot.mjs
import { init, conv2d } from 'simdconv';

const info = await init();
console.log(`backend ${info.backend}, build ${info.build}`);

// A white square on black: the Laplacian lights up its outline only.
const H = 64,
  W = 64;
const image = new Float32Array(H * W);
for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) image[y * W + x] = 1;

const laplacian = new Float32Array([0, 1, 0, 1, -4, 1, 0, 1, 0]);
const edges = conv2d(
  { data: image, shape: [1, 1, H, W] }, // (N, C, H, W)
  { data: laplacian, shape: [1, 1, 3, 3] }, // (Cout, Cin, kH, kW)
  null,
  { padding: 'same' },
);

const lit = edges.data.filter((v) => v !== 0).length;
console.log(`output ${edges.shape.join('x')}: ${lit} edge pixels (the square's 124 border pixels and the 128 just outside it)`);
