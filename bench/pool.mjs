// Pooling and interpolation against the wasm peers, one thread: `node bench/pool.mjs [--quick]` (after
// `npm run build`). Both are memory-bound, so the figure is GB/s: (input + output bytes) / time per call. Each layer runs
// simdconv in both layouts, TF.js wasm (NHWC, its only layout) and ONNX Runtime Web (NCHW, a one-node model);
// every output is checked against simdconv's channels-first one first. Rounds of ~100 ms interleave the
// configs; the median per-call time of the rounds is printed, and the results go to results/pool-latest.json.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-web';
import onnxProto from 'onnx-proto';
import * as sc from '../dist/node/index.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 9;
const ROUND_MS = quick ? 40 : 100;

const LAYERS = [
  { name: 'lenet maxpool 2x2 (32x28x28)', op: 'max', shape: [1, 32, 28, 28], k: 2, s: 2, p: 0 },
  { name: 'resnet stem maxpool 3x3 s2 p1 (64x112x112)', op: 'max', shape: [1, 64, 112, 112], k: 3, s: 2, p: 1 },
  { name: 'avgpool 2x2 (256x56x56)', op: 'avg', shape: [1, 256, 56, 56], k: 2, s: 2, p: 0 },
  { name: 'global avgpool (512x7x7)', op: 'global', shape: [1, 512, 7, 7] },
  { name: 'global avgpool (1280x7x7)', op: 'global', shape: [1, 1280, 7, 7] },
  { name: 'upsample nearest x2 (64x56x56)', op: 'nearest', shape: [1, 64, 56, 56] },
  { name: 'upsample bilinear x2 (64x56x56)', op: 'bilinear', shape: [1, 64, 56, 56] },
];
const RESIZE = new Set(['nearest', 'bilinear']);

const { onnx } = onnxProto;
function onnxModel(l, outShape) {
  const info = (name, shape) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  const ints = (name, values) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const str = (name, value) => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) });
  const node = RESIZE.has(l.op)
    ? {
        // PyTorch's nearest is asymmetric with floor; its bilinear (align_corners=False) is half-pixel.
        opType: 'Resize',
        input: ['x', '', 'scales'],
        output: ['y'],
        attribute:
          l.op === 'nearest'
            ? [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]
            : [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')],
      }
    : l.op === 'global'
      ? { opType: 'GlobalAveragePool', input: ['x'], output: ['y'] }
      : {
          opType: l.op === 'max' ? 'MaxPool' : 'AveragePool',
          input: ['x'],
          output: ['y'],
          attribute: [ints('kernel_shape', [l.k, l.k]), ints('strides', [l.s, l.s]), ints('pads', [l.p, l.p, l.p, l.p])],
        };
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'pool',
      node: [node],
      input: [info('x', l.shape)],
      output: [info('y', outShape)],
      initializer: RESIZE.has(l.op) ? [{ name: 'scales', dataType: 1, dims: [4], floatData: [1, 1, 2, 2] }] : [],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

async function main() {
  await sc.init({ build: 'auto' });
  const wasmFile = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  setWasmPaths(path.dirname(wasmFile) + path.sep);
  await tf.setBackend('wasm');
  ort.env.wasm.numThreads = 1;
  const results = [];
  for (const l of LAYERS) {
    const size = l.shape.reduce((a, b) => a * b, 1);
    const x = { data: Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37) * 3), shape: l.shape };
    const [N, C, H, W] = l.shape;
    const xl = { data: new Float32Array(size), shape: [N, H, W, C] };
    for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) xl.data[i * C + c] = x.data[c * H * W + i];
    const options = l.op === 'global' || RESIZE.has(l.op) ? null : { kernelSize: l.k, stride: l.s, padding: l.p };
    const make = (layout, context) =>
      RESIZE.has(l.op)
        ? sc.createInterpolate({ scaleFactor: 2, mode: l.op, ...(l.op === 'bilinear' && { alignCorners: false }), layout }, context)
        : l.op === 'global'
          ? sc.createAdaptiveAvgPool2d(1, { layout }, context)
          : (l.op === 'max' ? sc.createMaxPool2d : sc.createAvgPool2d)({ ...options, layout }, context);
    const ctx = await sc.createContext();
    const cf = make('channels-first', ctx);
    const cl = make('channels-last', ctx);
    const ref = cf.run(x);
    const outBytes = ref.data.length * 4;
    const cfOut = { data: new Float32Array(ref.data.length), shape: ref.shape };
    const clOut = { data: new Float32Array(ref.data.length), shape: cl.outputShape(xl.shape) };
    // TF.js: NHWC; `pad` a number is explicit symmetric padding (-Infinity for max, excluded from averages).
    const tx = tf.tensor(xl.data, xl.shape);
    // resizeNearestNeighbor without half-pixel centres is PyTorch's nearest; resizeBilinear with them its bilinear.
    const tfRun = {
      global: () => tf.mean(tx, [1, 2], true),
      max: () => tf.maxPool(tx, l.k, l.s, l.p),
      avg: () => tf.avgPool(tx, l.k, l.s, l.p),
      nearest: () => tf.image.resizeNearestNeighbor(tx, [2 * H, 2 * W], false, false),
      bilinear: () => tf.image.resizeBilinear(tx, [2 * H, 2 * W], false, true),
    }[l.op];
    const session = await ort.InferenceSession.create(onnxModel(l, ref.shape), { executionProviders: ['wasm'] });
    const feeds = { x: new ort.Tensor('float32', x.data, l.shape) };
    // As the conv bench (peers/simdconv.mjs) and the peers run: the input lives in wasm memory already (TF.js's
    // tensor does too), the output is copied out to a preallocated JS array each call.
    const xr = ctx.tensor(x.shape, x.data);
    const xlr = ctx.tensor(xl.shape, xl.data);
    const configs = {
      'simdconv cf': () => cf.run(xr, cfOut).data,
      'simdconv cl': () => cl.run(xlr, clOut).data,
      'tfjs-wasm (NHWC)': () => {
        const y = tfRun();
        const d = y.dataSync();
        y.dispose();
        return d;
      },
      'ort-web (NCHW)': async () => (await session.run(feeds)).y.data,
    };
    // Every output checked against simdconv's channels-first one (NHWC outputs transposed back).
    for (const [name, run] of Object.entries(configs)) {
      let y = await run();
      if (name.includes('cl') || name.includes('NHWC')) {
        const back = new Float32Array(y.length);
        const plane = y.length / C;
        for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) back[c * plane + i] = y[i * C + c];
        y = back;
      }
      const bad = ref.data.findIndex((v, i) => !(Math.abs(v - y[i]) <= 1e-5 * (1 + Math.abs(v))));
      if (bad >= 0) throw new Error(`${l.name}: ${name} differs at ${bad}: ${y[bad]} vs ${ref.data[bad]}`);
    }
    const times = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, run] of Object.entries(configs)) {
        let n = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < ROUND_MS) {
          await run();
          n++;
        }
        times[name].push((performance.now() - t0) / n);
      }
    }
    const row = { layer: l.name, configs: {} };
    for (const [name, t] of Object.entries(times)) {
      const ms = t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
      row.configs[name] = { ms, gbps: (size * 4 + outBytes) / (ms * 1e6) };
    }
    const best = Math.min(row.configs['tfjs-wasm (NHWC)'].ms, row.configs['ort-web (NCHW)'].ms);
    console.log(`\n${l.name}`);
    for (const [name, c] of Object.entries(row.configs)) {
      const ratio = name.startsWith('simdconv') ? `  ${(best / c.ms).toFixed(2)}x the best peer` : '';
      console.log(`  ${name.padEnd(18)} ${c.ms.toFixed(4).padStart(9)} ms  ${c.gbps.toFixed(2).padStart(6)} GB/s${ratio}`);
    }
    results.push(row);
    cf.dispose();
    cl.dispose();
    ctx.dispose();
    tx.dispose();
    await session.release();
  }
  const file = new URL('./results/pool-latest.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file.pathname)}`);
}

await main();
