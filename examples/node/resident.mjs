// Resident tensors live in wasm memory: plans read and write them in place, with no copy in or out. Here two
// layers run back to back and the intermediate never leaves wasm memory.
// Run: node examples/node/resident.mjs
import { init, getContext, createConv2d } from 'simdconv';

await init();
const ctx = getContext();

const random = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 0.5);
const pointwise = createConv2d({ data: random(96 * 16, 1), shape: [96, 16, 1, 1] }, null, { activation: 'relu6' });
const depthwise = createConv2d({ data: random(96 * 9, 2), shape: [96, 1, 3, 3] }, null, { groups: 96, padding: 1, activation: 'relu6' });

const x = ctx.tensor([1, 16, 112, 112], random(16 * 112 * 112, 3)); // copied in once
const hidden = ctx.tensor([1, 96, 112, 112]);
const y = ctx.tensor([1, 96, 112, 112]);

pointwise.run(x, hidden); // wasm memory to wasm memory
depthwise.run(hidden, y);

let sum = 0;
for (const v of y.data) sum += v; // `data` is a view on wasm memory: read it after the run, do not keep it
console.log(`${depthwise.info.kernel}: output ${y.shape.join('x')}, mean ${(sum / y.data.length).toFixed(4)}`);
console.log(`wasm memory in use: ${(ctx.memoryStats().bytesInUse / 2 ** 20).toFixed(1)} MiB`);

for (const t of [x, hidden, y]) t.dispose();
pointwise.dispose();
depthwise.dispose();
