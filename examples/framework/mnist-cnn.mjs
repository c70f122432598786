// The CNN of our lessons' last chapter, in tiny-nn: Conv2d(1, 32, 3, padding=1), ReLU, MaxPool2d(2),
// Conv2d(32, 64, 3, padding=1), ReLU, MaxPool2d(2), Linear(7*7*64, 10), on one 28x28 image. The weights are
// random (a trained network would load its own); the point is the plumbing.
// Run: node examples/framework/mnist-cnn.mjs
import { Conv2d, Linear, MaxPool2d, ReLU, Sequential, init } from './tiny-nn.mjs';

await init();

let seed = 1;
const random = (shape, scale) => {
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32 - 0.5) * 2 * scale;
  });
  return { data, shape };
};

const net = new Sequential(
  new Conv2d(random([32, 1, 3, 3], 1 / 3), random([32], 0.1), { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(random([64, 32, 3, 3], 1 / 17), random([64], 0.1), { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Linear(random([10, 7 * 7 * 64], 1 / 56), random([10], 0.1)),
);

// A "7": a horizontal bar and a diagonal stroke.
const image = new Float32Array(28 * 28);
for (let x = 6; x < 22; x++) image[6 * 28 + x] = 1;
for (let y = 7; y < 24; y++) image[y * 28 + Math.round(21 - (y - 7) * 0.55)] = 1;

const logits = net.forward({ data: image, shape: [1, 1, 28, 28] });
console.log(`layers: ${net.layers.map((l) => l.constructor.name + (l.options?.activation ? '+ReLU' : '')).join(' -> ')}`);
console.log(`logits ${logits.shape.join('x')}: [${Array.from(logits.data, (v) => v.toFixed(3)).join(', ')}]`);
net.dispose();
