// `npm run bench -- --backend webgpu`: the layer suite on simdconv's WebGPU backend, at batch 1 and 16,
// with upload, compute (until onSubmittedWorkDone) and readback timed apart (medians). On a software adapter
// (lavapipe, SwiftShader) this is a smoke check, run with fewer iterations; GPU speed needs a real GPU.
// Writes bench/results/webgpu-latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { layers, makeTensors } from './layers.mjs';

export async function runWebGpuBench({ layerNames, quick, batches = [1, 16] }) {
  const { initWebGPU, benchGpuConv } = await import('simdconv/webgpu');
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
        const r = await benchGpuConv(gpu, l.op, x, w, null, { stride, padding, dilation, groups }, bench);
        rows.push({ layer: l.name, batch: N, adapter, ...r });
        const f = (v, d = 2) => v.toFixed(d);
        console.log(`| ${l.name} | ${N} | ${f(r.uploadMs)} | ${f(r.computeMs)} | ${f(r.readbackMs)} | ${f(r.endToEndMs)} | ${f(r.computeGflops, 1)} | ${f(r.endToEndGflops, 1)} | ${r.kernel} |`);
      } catch (error) {
        rows.push({ layer: l.name, batch: N, adapter, status: 'n/a', reason: error.message });
        console.log(`| ${l.name} | ${N} | n/a (${error.message}) | | | | | | |`);
      }
    }
  }
  gpu.destroy();
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, adapter, isFallbackAdapter, bench };
  writeFileSync(new URL('./results/webgpu-latest.json', import.meta.url), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  console.log('\nWrote bench/results/webgpu-latest.json.');
}
