// The digits tab: the lessons' CNN (examples/mnist-cnn, trained in PyTorch on scikit-learn's digits) drawn on,
// run by simdconv, with its prediction and every layer's feature maps. At start it runs the first test digit
// and compares the logits with PyTorch's (published for test/demo.test.ts).
import { createConv2d, createLinear, createMaxPool2d } from 'simdconv';
import meta from '../examples/mnist-cnn/weights.json';
import { figures } from './render.js';

const SIZE = 28;
const MEAN = 0.1307;
const STD = 0.3081;

async function floats(url) {
  return new Float32Array(await (await fetch(url)).arrayBuffer());
}

/** The network's plans; `forward(x)` returns every layer's output and the logits. */
function network(params) {
  const conv1 = createConv2d(params['conv1.weight'], params['conv1.bias'], { padding: 1, activation: 'relu' });
  const pool = createMaxPool2d({ kernelSize: 2 });
  const conv2 = createConv2d(params['conv2.weight'], params['conv2.bias'], { padding: 1, activation: 'relu' });
  const fc = createLinear(params['fc.weight'], params['fc.bias']);
  return (x) => {
    const c1 = conv1.run(x);
    const p1 = pool.run(c1);
    const c2 = conv2.run(p1);
    const p2 = pool.run(c2);
    const logits = fc.run({ data: p2.data, shape: [1, 7 * 7 * 64] });
    return {
      layers: [
        ['Conv2d(1, 32, 3) + ReLU', c1],
        ['MaxPool2d(2)', p1],
        ['Conv2d(32, 64, 3) + ReLU', c2],
        ['MaxPool2d(2)', p2],
      ],
      logits: logits.data,
    };
  };
}

/** Gray levels for a feature map: 0 to its channel's maximum. */
function scaled(t) {
  const [, C, H, W] = t.shape;
  return Array.from({ length: C }, (_, c) => {
    let max = 0;
    for (let i = 0; i < H * W; i++) max = Math.max(max, t.data[c * H * W + i]);
    return { label: '', map: (v) => (max > 0 ? v / max : 0) };
  });
}

export async function digits(root) {
  const blob = await floats(new URL('../examples/mnist-cnn/weights.bin', import.meta.url));
  const params = Object.fromEntries(
    meta.params.map((p) => [p.name, { data: blob.slice(p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)), shape: p.shape }]),
  );
  const samples = await floats(new URL('../examples/mnist-cnn/images.bin', import.meta.url));
  const forward = network(params);

  // The drawing: 28 x 28 ink levels in [0, 1], shown 8x.
  const ink = new Float32Array(SIZE * SIZE);
  const pad = root.querySelector('canvas.pad');
  const g = pad.getContext('2d');
  const show = () => {
    const image = g.createImageData(SIZE, SIZE);
    for (let i = 0; i < SIZE * SIZE; i++) image.data.set([255 * (1 - ink[i]), 255 * (1 - ink[i]), 255 * (1 - ink[i]), 255], 4 * i);
    g.putImageData(image, 0, 0);
  };
  const run = () => {
    show();
    const x = { data: Float32Array.from(ink, (v) => (v - MEAN) / STD), shape: [1, 1, SIZE, SIZE] };
    const t0 = performance.now();
    const { layers, logits } = forward(x);
    const ms = performance.now() - t0;
    const best = logits.indexOf(Math.max(...logits));
    const exp = logits.map((v) => Math.exp(v - logits[best]));
    const sum = exp.reduce((a, b) => a + b, 0);
    root.querySelector('.prediction').textContent = `prediction: ${best} (${((100 * exp[best]) / sum).toFixed(1)}%), ${ms.toFixed(2)} ms`;
    const bars = root.querySelector('.bars');
    bars.replaceChildren(
      ...Array.from(exp, (e, d) => {
        const bar = document.createElement('div');
        bar.className = d === best ? 'bar best' : 'bar';
        bar.style.setProperty('--p', `${(100 * e) / sum}%`);
        bar.textContent = String(d);
        return bar;
      }),
    );
    const maps = root.querySelector('.maps');
    maps.replaceChildren(
      ...layers.map(([name, t]) => {
        const section = document.createElement('div');
        section.className = 'layer';
        const title = document.createElement('h3');
        title.textContent = `${name}: ${t.shape.slice(1).join(' x ')}`;
        const tiles = document.createElement('div');
        tiles.className = 'tiles';
        tiles.append(...figures(t, { show: scaled(t), scale: t.shape[2] > 14 ? 2 : 4 }));
        section.append(title, tiles);
        return section;
      }),
    );
    return { best, logits };
  };
  const load = (n) => {
    // The sample is normalised; back to ink levels.
    for (let i = 0; i < SIZE * SIZE; i++) ink[i] = Math.min(1, Math.max(0, samples[n * SIZE * SIZE + i] * STD + MEAN));
    return run();
  };

  let drawing = false;
  const paintAt = (e) => {
    const r = pad.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * SIZE;
    const cy = ((e.clientY - r.top) / r.height) * SIZE;
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2;
        ink[y * SIZE + x] = Math.max(ink[y * SIZE + x], Math.min(1, Math.exp(-d2 / 1.6) * 1.3));
      }
    run();
  };
  pad.onpointerdown = (e) => {
    drawing = true;
    paintAt(e);
  };
  pad.onpointermove = (e) => drawing && paintAt(e);
  window.addEventListener('pointerup', () => (drawing = false));
  root.querySelector('button.clear').onclick = () => {
    ink.fill(0);
    run();
  };
  const sampleButtons = root.querySelector('.samples');
  for (let n = 0; n < 10; n++) {
    const b = document.createElement('button');
    b.textContent = `test digit ${n + 1} (a ${meta.labels[n]})`;
    b.onclick = () => load(n);
    sampleButtons.append(b);
  }

  // The first test digit, exactly as PyTorch saw it: its logits against PyTorch's.
  const { logits } = forward({ data: samples.slice(0, SIZE * SIZE), shape: [1, 1, SIZE, SIZE] });
  let maxDiff = 0;
  for (let i = 0; i < 10; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i] - meta.logits[i]));
  const predicted = logits.indexOf(Math.max(...logits));
  load(0);
  root.querySelector('.check').textContent =
    `test digit 1: predicted ${predicted}, label ${meta.labels[0]}; largest difference from PyTorch's logits ${maxDiff.toExponential(1)}`;
  return { predicted, label: meta.labels[0], maxDiff };
}
