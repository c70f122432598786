// `npm run bench -- --backend webgpu [--no-peers] [--browser]`: the layer suite on simdconv's WebGPU backend,
// at batch 1 and 16, with upload, compute (until onSubmittedWorkDone) and readback timed apart (medians); then
// the same layers end to end against TF.js's WebGPU backend and ONNX Runtime Web's WebGPU execution provider
// (bench/webgpu-run.mjs), in Node on Dawn and, with --browser, in headless Chromium (bench/webgpu-page.mjs).
// On a software adapter (lavapipe, SwiftShader) this is a smoke check, run with fewer iterations; GPU speed
// needs a real GPU. Writes bench/results/webgpu-latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { layers, makeTensors } from './layers.mjs';
import { compareWebGpu, webGpuTable } from './webgpu-run.mjs';

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * Times one layer on a GpuContext through the public API: upload (host -> GPU buffer), compute (dispatches on
 * a resident input until queue.onSubmittedWorkDone) and readback (copy, mapAsync, copy out), plus the end-to-end
 * `plan.run(hostInput)`. Medians over `iterations` after `warmup` runs (the first run compiles the pipeline).
 */
async function timeLayer(gpu, l, x, w, options, { warmup, iterations }) {
  const plan = gpu[`create${l.op[0].toUpperCase()}${l.op.slice(1)}`](w, null, options);
  try {
    const macs = l.flops / 2;
    const [upload, compute, readback, endToEnd] = [[], [], [], []];
    for (let i = 0; i < warmup + iterations; i++) {
      const timed = i >= warmup;
      let t = performance.now();
      await plan.run(x);
      if (timed) endToEnd.push(performance.now() - t);
      if (gpu.backend !== 'webgpu') continue;
      t = performance.now();
      const xs = gpu.upload(x);
      await gpu.synchronize();
      if (timed) upload.push(performance.now() - t);
      t = performance.now();
      const y = plan.runResident(xs);
      await gpu.synchronize();
      if (timed) compute.push(performance.now() - t);
      t = performance.now();
      await y.read();
      if (timed) readback.push(performance.now() - t);
      xs.dispose();
      y.dispose();
    }
    const e2e = median(endToEnd);
    const computeMs = compute.length ? median(compute) : e2e;
    return {
      backend: gpu.backend,
      kernel: plan.info.kernel,
      macs,
      uploadMs: upload.length ? median(upload) : 0,
      computeMs,
      readbackMs: readback.length ? median(readback) : 0,
      endToEndMs: e2e,
      computeGflops: (2 * macs) / (computeMs * 1e6),
      endToEndGflops: (2 * macs) / (e2e * 1e6),
    };
  } finally {
    plan.dispose();
  }
}

/**
 * The peers' modules in Node: Dawn's GPU as navigator.gpu (Node 20 has no navigator), TF.js with its WebGPU
 * backend, ONNX Runtime Web's WebGPU build. A peer that cannot load here is reported, not fatal.
 */
async function nodePeers(log) {
  const { create, globals } = await import('webgpu');
  for (const [key, value] of Object.entries(globals)) if (!(key in globalThis)) globalThis[key] = value;
  if (!globalThis.navigator?.gpu) Object.defineProperty(globalThis, 'navigator', { value: { ...globalThis.navigator, gpu: create([]) }, configurable: true });
  const modules = {};
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') returned false");
    modules.tf = tf;
  } catch (e) {
    log(`tfjs-webgpu: not available in Node (${String(e?.message ?? e).split('\n')[0]})`);
  }
  try {
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.numThreads = 1;
    modules.ort = ort;
  } catch (e) {
    log(`ort-webgpu: not available in Node (${String(e?.message ?? e).split('\n')[0]})`);
  }
  return modules;
}

export async function runWebGpuBench({ layerNames, quick, batches = [1, 16], peers = true, browser = false }) {
  const { initWebGPU } = await import('simdconv/webgpu');
  const gpu = await initWebGPU({ fallback: 'none' });
  const { name: adapter, isFallbackAdapter } = gpu.adapterInfo;
  const light = quick || isFallbackAdapter;
  const bench = light ? { warmup: 1, iterations: 1 } : { warmup: 3, iterations: 10 };
  console.log(`WebGPU adapter: ${adapter}${isFallbackAdapter ? ' (software fallback adapter: a smoke check, not GPU speed)' : ''}`);
  console.log('| layer | batch | upload ms | compute ms | readback ms | end-to-end ms | compute GFLOP/s | end-to-end GFLOP/s | kernel |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  const rows = [];
  for (const base of layers.filter((l) => layerNames.includes(l.name))) {
    for (const N of batches) {
      const l = { ...base, N, flops: (base.flops / base.N) * N };
      const { x, w } = makeTensors(l);
      const { stride, padding, dilation, groups } = l;
      try {
        const r = await timeLayer(gpu, l, x, w, { stride, padding, dilation, groups }, bench);
        rows.push({ layer: l.name, batch: N, adapter, ...r });
        const f = (v, d = 2) => v.toFixed(d);
        console.log(
          `| ${l.name} | ${N} | ${f(r.uploadMs)} | ${f(r.computeMs)} | ${f(r.readbackMs)} | ${f(r.endToEndMs)} | ${f(r.computeGflops, 1)} | ${f(r.endToEndGflops, 1)} | ${r.kernel} |`,
        );
      } catch (error) {
        rows.push({ layer: l.name, batch: N, adapter, status: 'n/a', reason: error.message });
        console.log(`| ${l.name} | ${N} | n/a (${error.message}) | | | | | | |`);
      }
    }
  }
  const suite = layers.filter((l) => layerNames.includes(l.name));
  // On a software adapter the peers' comparison is a smoke check of the harness: two small layers, once each.
  const compared = light ? suite.filter((l) => ['lenet_c1', 'resnet_3x3'].includes(l.name)) : suite;
  const runs = light ? { warmup: 1, iterations: 1 } : { warmup: 3, iterations: 10 };
  let node = null;
  if (peers) {
    console.log(`\nEnd to end (host in, host out), against TF.js WebGPU and ONNX Runtime Web's WebGPU EP, Node (Dawn: ${adapter}):`);
    const modules = { gpu, ...(await nodePeers(console.log)) };
    node = await compareWebGpu({ modules, layers: compared, batches, ...runs, log: (line) => console.log(`  ${line}`) });
    console.log(`\n${webGpuTable(node)}`);
  }
  gpu.destroy();
  let chromium = null;
  if (browser) {
    const { runInChromium } = await import('./webgpu-page.mjs');
    chromium = await runInChromium({ layerNames: compared.map((l) => l.name), batches, runs });
    console.log(`\nEnd to end in headless Chromium (${chromium.adapter}):\n\n${webGpuTable(chromium.rows)}`);
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, adapter, isFallbackAdapter, bench };
  const comparison = peers || browser ? { runs, node, chromium } : null;
  writeFileSync(new URL('./results/webgpu-latest.json', import.meta.url), `${JSON.stringify({ meta, rows, comparison }, null, 2)}\n`);
  console.log('\nWrote bench/results/webgpu-latest.json.');
}
