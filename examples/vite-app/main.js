import { init, conv2d } from 'simdconv';
import { SIZE, magnitude, sobel, testImage } from './image.js';

function draw(canvas, values, scale = 1) {
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext('2d');
  const pixels = ctx.createImageData(SIZE, SIZE);
  values.forEach((v, i) => {
    const g = Math.min(255, Math.round(v * scale * 255));
    pixels.data.set([g, g, g, 255], 4 * i);
  });
  ctx.putImageData(pixels, 0, 0);
}

const info = await init();
const image = testImage();
const t0 = performance.now();
const gradients = conv2d(image, sobel, null, { padding: 'same' }); // (1, 2, H, W): d/dx and d/dy
const ms = performance.now() - t0;
const edges = magnitude(gradients);

draw(document.getElementById('input'), image.data);
draw(document.getElementById('output'), edges, 0.25);
document.getElementById('status').textContent =
  `conv2d ${image.shape.join('x')} -> ${gradients.shape.join('x')} in ${ms.toFixed(2)} ms (${info.backend}, ${info.build} build)`;

// Read by the repository's test of this example (test/examples.test.ts).
window.simdconvResult = { ok: true, backend: info.backend, shape: gradients.shape, sum: edges.reduce((a, b) => a + b, 0) };
