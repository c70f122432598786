// A plan packs the weights once and then runs many inputs with no allocation: how a layer of a network runs.
// Run: node examples/node/plan.mjs
import { init, createConv2d } from 'simdconv';

await init();

const random = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 9301 + i * 49297) * 0.5);
const weight = { data: random(64 * 32 * 3 * 3, 1), shape: [64, 32, 3, 3] };
const bias = { data: random(64, 2), shape: [64] };
const conv = createConv2d(weight, bias, { padding: 1, activation: 'relu' });

const input = { data: random(32 * 56 * 56, 3), shape: [1, 32, 56, 56] };
const out = { data: new Float32Array(64 * 56 * 56), shape: [1, 64, 56, 56] }; // reused by every run

conv.run(input, out); // the first run sizes the plan's workspaces for this shape
const runs = 20;
const t0 = performance.now();
for (let i = 0; i < runs; i++) conv.run(input, out);
const ms = (performance.now() - t0) / runs;
const gflops = (2 * 64 * 32 * 9 * 56 * 56) / ms / 1e6;

console.log(`kernel ${conv.info.kernel}, weights ${conv.info.weightBytes} bytes packed`);
console.log(`32->64 3x3 on 56x56: ${ms.toFixed(2)} ms a run, ${gflops.toFixed(1)} GFLOP/s`);
conv.dispose(); // frees the plan's wasm memory
