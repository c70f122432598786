// Two chained convolutions on the GPU (the intermediate never leaves it), checked against the wasm backend.
import { initWebGPU } from 'simdconv/webgpu';
import { init, createConv2d } from 'simdconv';

const random = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 12.9898) * 0.5);
const w1 = { data: random(32 * 16 * 9, 1), shape: [32, 16, 3, 3] };
const w2 = { data: random(8 * 32 * 9, 2), shape: [8, 32, 3, 3] };
const x = { data: random(16 * 64 * 64, 3), shape: [1, 16, 64, 64] };

const gpu = await initWebGPU(); // falls back to wasm (with a warning) where there is no WebGPU
const conv1 = gpu.createConv2d(w1, null, { padding: 1, activation: 'relu' });
const conv2 = gpu.createConv2d(w2, null, { padding: 1 });
const t0 = performance.now();
const hidden = conv1.runResident(x); // a GpuTensor
const y = await conv2.run(hidden); // one readback
const ms = performance.now() - t0;

await init();
const reference = createConv2d(w2, null, { padding: 1 }).run(createConv2d(w1, null, { padding: 1, activation: 'relu' }).run(x));
let maxDiff = 0;
for (let i = 0; i < y.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y.data[i] - reference.data[i]));

const where = gpu.backend === 'webgpu' ? `WebGPU (${gpu.adapterInfo.name || 'adapter'})` : `the ${gpu.backend} fallback: ${gpu.fallbackReason}`;
document.getElementById('status').textContent = `two convs on ${where} in ${ms.toFixed(1)} ms; largest difference from wasm ${maxDiff.toExponential(2)}`;
// Read by the repository's test of this example (test/examples.test.ts).
window.simdconvResult = { ok: true, backend: gpu.backend, maxDiff, kernel: conv1.info.kernel };
hidden.dispose();
gpu.destroy();
