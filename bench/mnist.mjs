// The lessons' CNN end to end (examples/mnist-cnn), images per second at batch 1 and 100: simdconv on wasm with
// 1 and 2 threads and on WebGPU, against ONNX Runtime Web running the same network as an ONNX model (built here
// from the same weights: Conv, Relu, MaxPool, Conv, Relu, MaxPool, Flatten, Gemm), in one command:
//   node bench/mnist.mjs [--quick]            (after `npm run build`)
// Each thread count runs in its own process (ONNX Runtime Web fixes its threads per process); every config's
// logits are checked against PyTorch's first. Results: results/mnist-latest.json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';

const quick = process.argv.includes('--quick');
const threadsArg = process.argv.indexOf('--threads');

if (threadsArg < 0) {
  // The parent: one child per thread count, then the table.
  const rows = [];
  for (const threads of [1, 2]) {
    const args = ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--threads', String(threads), ...(quick ? ['--quick'] : [])];
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    rows.push(...JSON.parse(out.trim().split('\n').at(-1)));
  }
  console.log('\nlessons CNN (28x28, 2 conv + 2 pool + linear), images per second');
  console.log(`${'config'.padEnd(26)} ${'batch 1'.padStart(10)} ${'batch 100'.padStart(10)}`);
  for (const r of rows)
    console.log(`${r.config.padEnd(26)} ${r.batch1.toFixed(0).padStart(10)} ${r.batch100.toFixed(0).padStart(10)}${r.note ? `  (${r.note})` : ''}`);
  const file = new URL('./results/mnist-latest.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(file)}`);
  process.exit(0);
}

const threads = Number(process.argv[threadsArg + 1]);
const sc = await import('../dist/node/index.js');
const { initWebGPU } = await import('../dist/node/webgpu.js');
const ort = await import('onnxruntime-web');
const { createNetwork, loadModel } = await import('../examples/mnist-cnn/network.mjs');
const { params, images, logits } = loadModel();

/** The images repeated to `n`. */
function batchOf(n) {
  const data = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) data.set(images.data.subarray((i % images.shape[0]) * 784, ((i % images.shape[0]) + 1) * 784), i * 784);
  return { data, shape: [n, 1, 28, 28] };
}
const batches = { 1: batchOf(1), 100: batchOf(100) };

function check(name, y, n) {
  for (let i = 0; i < n * 10; i++) {
    const want = logits[i % (images.shape[0] * 10)];
    if (!(Math.abs(y[i] - want) <= 1e-3 * (1 + Math.abs(want)))) throw new Error(`${name}: logit ${i} ${y[i]} vs PyTorch ${want}`);
  }
}

/** Median images per second over rounds of ~ROUND_MS. */
async function rate(run, n) {
  const rounds = quick ? 3 : 7;
  const roundMs = quick ? 100 : 300;
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    let count = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < roundMs) {
      await run();
      count++;
    }
    samples.push((count * n * 1000) / (performance.now() - t0));
  }
  return samples.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

function onnxModel() {
  const { onnx } = onnxProto;
  const A = onnx.AttributeProto.AttributeType;
  const ints = (name, v) => ({ name, type: A.INTS, ints: v });
  const init = (name) => {
    const t = params[name];
    return { name, dataType: 1, dims: t.shape, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  };
  const conv = (i, x, y) => ({
    opType: 'Conv',
    input: [x, `conv${i}.weight`, `conv${i}.bias`],
    output: [y],
    attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])],
  });
  const pool = (x, y) => ({ opType: 'MaxPool', input: [x], output: [y], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] });
  const info = (name, dims) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const graph = {
    name: 'mnist-cnn',
    node: [
      conv(1, 'x', 'c1'),
      { opType: 'Relu', input: ['c1'], output: ['r1'] },
      pool('r1', 'p1'),
      conv(2, 'p1', 'c2'),
      { opType: 'Relu', input: ['c2'], output: ['r2'] },
      pool('r2', 'p2'),
      { opType: 'Flatten', input: ['p2'], output: ['f'] },
      { opType: 'Gemm', input: ['f', 'fc.weight', 'fc.bias'], output: ['y'], attribute: [{ name: 'transB', type: A.INT, i: 1 }] },
    ],
    initializer: ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias'].map(init),
    input: [info('x', ['N', 1, 28, 28])],
    output: [info('y', ['N', 10])],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

const rows = [];
// simdconv on wasm
const ctx = await sc.createContext({ threads });
const net = createNetwork(params, ctx);
const row = { config: `simdconv wasm ${ctx.build}, ${threads}T` };
for (const n of [1, 100]) {
  check(row.config, net.forward(batches[n]).data, n);
  row[`batch${n}`] = await rate(() => net.forward(batches[n]), n);
}
rows.push(row);
net.dispose();
// ONNX Runtime Web, same thread count
ort.env.wasm.numThreads = threads;
const session = await ort.InferenceSession.create(onnxModel(), { executionProviders: ['wasm'] });
const ortRow = { config: `onnxruntime-web wasm, ${threads}T` };
if (ort.env.wasm.numThreads !== threads) ortRow.note = `ran with ${ort.env.wasm.numThreads} thread(s)`;
for (const n of [1, 100]) {
  const feeds = { x: new ort.Tensor('float32', batches[n].data, batches[n].shape) };
  check(ortRow.config, (await session.run(feeds)).y.data, n);
  ortRow[`batch${n}`] = await rate(async () => (await session.run(feeds)).y.data, n);
}
rows.push(ortRow);
await session.release();
// WebGPU (with the 1-thread process): plans chained on the device, one readback
if (threads === 1) {
  try {
    const gpu = await initWebGPU({ fallback: 'none' });
    const layers = [
      gpu.createConv2d(params['conv1.weight'], params['conv1.bias'], { padding: 1, activation: 'relu' }),
      gpu.createMaxPool2d({ kernelSize: 2 }),
      gpu.createConv2d(params['conv2.weight'], params['conv2.bias'], { padding: 1, activation: 'relu' }),
    ];
    const pool2 = gpu.createMaxPool2d({ kernelSize: 2 });
    const fc = gpu.createLinear(params['fc.weight'], params['fc.bias']);
    const forward = async (x) => {
      let h = x;
      const held = [];
      for (const layer of layers) held.push((h = layer.runResident(h)));
      const pooled = await pool2.run(h);
      for (const t of held) t.dispose();
      return fc.run({ data: pooled.data, shape: [x.shape[0], 3136] });
    };
    const gpuRow = { config: `simdconv webgpu`, note: gpu.adapterInfo?.description || gpu.adapterInfo?.architecture || gpu.adapterInfo?.vendor || 'adapter' };
    for (const n of [1, 100]) {
      check(gpuRow.config, (await forward(batches[n])).data, n);
      gpuRow[`batch${n}`] = await rate(() => forward(batches[n]), n);
    }
    rows.push(gpuRow);
    gpu.destroy();
  } catch (e) {
    rows.push({ config: 'simdconv webgpu', batch1: 0, batch100: 0, note: `unavailable: ${e.message}` });
  }
}
ctx.dispose();
console.log(JSON.stringify(rows));
process.exit(0);
