// Runs in headless Chromium (see browser.test.ts): imports the built package as plain ES modules, runs conv2d on
// the wasm backend and on the WebGPU backend, and checks both against a float64 reference computed here.
import * as simdconv from '/dist/index.js';
import { initWebGPU } from '/dist/webgpu.js';

const U = 2 ** -24;

/** mulberry32: reproducible float32 values in [-1, 1). */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 8) / 2 ** 23 - 1;
  };
}
const tensor = (shape, seed) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, random(seed)) });

/** Direct NCHW conv2d in float64 (stride 1, symmetric zero padding, optional ReLU); `abs` sums |products|. */
function reference(x, w, b, pad, relu, abs) {
  const [N, C, H, W] = x.shape;
  const [K, , R, S] = w.shape;
  const OH = H + 2 * pad - R + 1;
  const OW = W + 2 * pad - S + 1;
  const f = abs ? Math.abs : (v) => v;
  const y = new Float64Array(N * K * OH * OW);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = b ? f(b.data[k]) : 0;
          for (let c = 0; c < C; c++)
            for (let r = 0; r < R; r++)
              for (let s = 0; s < S; s++) {
                const ih = oh - pad + r;
                const iw = ow - pad + s;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += f(x.data[((n * C + c) * H + ih) * W + iw]) * f(w.data[((k * C + c) * R + r) * S + s]);
              }
          y[((n * K + k) * OH + oh) * OW + ow] = relu && !abs ? Math.max(acc, 0) : acc;
        }
  return { shape: [N, K, OH, OW], data: y };
}

/** Largest |error| / bound over the output (the bound of test/helpers/tolerance.ts); <= 1 passes. */
function compare(actual, expected, absSum, K) {
  if (actual.shape.join() !== expected.shape.join()) return { ok: false, why: `shape ${actual.shape} vs ${expected.shape}` };
  const gamma = ((K + 2) * U) / (1 - (K + 2) * U);
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const bound = gamma * absSum.data[i] + 2 ** -126 + Math.abs(expected.data[i]) * U;
    worst = Math.max(worst, Math.abs(actual.data[i] - expected.data[i]) / bound);
  }
  return { ok: worst <= 1, worstErrorOverBound: worst };
}

async function check() {
  const x = tensor([2, 8, 13, 11], 1);
  const w = tensor([12, 8, 3, 3], 2);
  const b = tensor([12], 3);
  const expected = reference(x, w, b, 1, true, false);
  const absSum = reference(x, w, b, 1, true, true);
  const K = 8 * 9;
  const result = { userAgent: navigator.userAgent, hasNavigatorGpu: 'gpu' in navigator };

  const info = await simdconv.init();
  const y = simdconv.conv2d(x, w, b, { padding: 1, activation: 'relu' });
  result.wasm = { backend: info.backend, build: info.build, ...compare(y, expected, absSum, K) };

  try {
    const gpu = await initWebGPU({ fallback: 'none' });
    const yg = await gpu.conv2d(x, w, b, { padding: 1, activation: 'relu' });
    // A plan, chained on the GPU: an identity 1x1 conv after the first one must give the same result.
    const identity = { shape: [12, 12, 1, 1], data: Float32Array.from({ length: 144 }, (_, i) => (i % 13 === 0 ? 1 : 0)) };
    const p1 = gpu.createConv2d(w, b, { padding: 1, activation: 'relu' });
    const p2 = gpu.createConv2d(identity, null);
    const chained = await p2.run(p1.runResident(gpu.upload(x)));
    result.webgpu = {
      backend: gpu.backend,
      adapter: gpu.adapterInfo,
      kernel: p1.info.kernel,
      ...compare(yg, expected, absSum, K),
      chained: compare(chained, expected, absSum, K),
    };
    gpu.destroy();
  } catch (e) {
    result.webgpu = { ok: false, error: `${e.name}: ${e.message}` };
  }
  return result;
}

window.simdconvBrowserCheck = check;
document.getElementById('status').textContent = 'ready';
