// The lessons' CNN as simdconv plans: Conv2d(1, 32, 3, padding=1) + ReLU (fused), MaxPool2d(2, 2),
// Conv2d(32, 64, 3, padding=1) + ReLU (fused), MaxPool2d(2, 2), Linear(7*7*64, 10). Weights trained by train.py.
import { readFileSync } from 'node:fs';
import { createConv2d, createLinear, createMaxPool2d } from 'simdconv';

const here = new URL('./', import.meta.url);

/** The trained parameters, the sample images (N, 1, 28, 28) and PyTorch's logits for them. */
export function loadModel() {
  const meta = JSON.parse(readFileSync(new URL('weights.json', here), 'utf8'));
  const blob = readFileSync(new URL('weights.bin', here));
  const floats = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  const params = Object.fromEntries(
    meta.params.map((p) => {
      const size = p.shape.reduce((a, b) => a * b, 1);
      return [p.name, { data: floats.slice(p.offset, p.offset + size), shape: p.shape }];
    }),
  );
  const images = readFileSync(new URL('images.bin', here));
  const x = { data: new Float32Array(images.buffer.slice(images.byteOffset, images.byteOffset + images.byteLength)), shape: [meta.images, 1, 28, 28] };
  return { params, images: x, labels: meta.labels, logits: Float32Array.from(meta.logits), accuracy: meta.accuracy };
}

/**
 * The network's plans on `context` (a wasm or js context: createContext()). `forward(x)` gives (N, 10) logits.
 * The activations between layers live in the context's memory (`context.tensor`): each plan reads its input and
 * writes its output there in place, with no copy through JavaScript; they are made once per batch size.
 */
export function createNetwork(params, context) {
  const layers = [
    createConv2d(params['conv1.weight'], params['conv1.bias'], { padding: 1, activation: 'relu' }, context),
    createMaxPool2d({ kernelSize: 2 }, context),
    createConv2d(params['conv2.weight'], params['conv2.bias'], { padding: 1, activation: 'relu' }, context),
    createMaxPool2d({ kernelSize: 2 }, context),
  ];
  const fc = createLinear(params['fc.weight'], params['fc.bias'], context);
  const activations = new Map(); // batch size -> the four intermediate tensors
  const between = (n) => {
    if (!activations.has(n)) {
      const shapes = [
        [n, 32, 28, 28],
        [n, 32, 14, 14],
        [n, 64, 14, 14],
        [n, 64, 7, 7],
      ];
      activations.set(
        n,
        shapes.map((shape) => context.tensor(shape)),
      );
    }
    return activations.get(n);
  };
  return {
    names: ['Conv2d+ReLU', 'MaxPool2d', 'Conv2d+ReLU', 'MaxPool2d', 'Linear'],
    forward(x) {
      const n = x.shape[0];
      const h = between(n);
      let input = x;
      layers.forEach((layer, i) => {
        layer.run(input, h[i]);
        input = h[i];
      });
      // Flatten: (N, 64, 7, 7) is (N, 3136) in memory. (A resident tensor's `data` is read when used.)
      return fc.run({ data: h[3].data, shape: [n, 7 * 7 * 64] });
    },
    dispose() {
      for (const layer of [...layers, fc]) layer.dispose();
      for (const tensors of activations.values()) for (const t of tensors) t.dispose();
    },
  };
}
