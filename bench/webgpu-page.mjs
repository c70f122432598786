// The WebGPU comparison in headless Chromium (bench/webgpu.mjs --browser): one page built with Vite's defaults
// holding simdconv (from `npm pack`, as a user installs it), TF.js with its WebGPU backend and ONNX Runtime Web's
// WebGPU build (its .wasm files served and named in env.wasm.wasmPaths, as its docs say), running
// bench/webgpu-run.mjs's loop in the page. Chromium gets WebGPU with --enable-unsafe-webgpu (SwiftShader on a
// machine without a GPU: a smoke check; with a GPU, the GPU).
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, pack, pageFolder, serve, viteBuild } from './browser.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const MAIN = `import { initWebGPU } from 'simdconv/webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import * as ort from 'onnxruntime-web/webgpu';
import { layers } from '../../bench/layers.mjs';
import { compareWebGpu } from '../../bench/webgpu-run.mjs';

const cfg = JSON.parse(new URLSearchParams(location.search).get('cfg'));
const log = [];
try {
  const gpu = await initWebGPU({ fallback: 'none' });
  const modules = { gpu };
  try {
    if (await tf.setBackend('webgpu')) modules.tf = tf;
    else log.push("tfjs-webgpu: tf.setBackend('webgpu') returned false");
  } catch (e) {
    log.push('tfjs-webgpu: ' + e.message);
  }
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  modules.ort = ort;
  const suite = layers.filter((l) => cfg.layers.includes(l.name));
  const rows = await compareWebGpu({ modules, layers: suite, batches: cfg.batches, ...cfg.runs, log: (line) => log.push(line) });
  const info = gpu.adapterInfo;
  window.result = { adapter: info ? info.name + (info.isFallbackAdapter ? ' (fallback adapter)' : '') : 'none', rows, log };
} catch (e) {
  window.result = { error: String(e && e.stack ? e.stack : e), log };
}
`;

function buildPage() {
  const dir = join(ROOT, '.fixtures/webgpu-page');
  rmSync(dir, { recursive: true, force: true });
  const packed = pack();
  pageFolder(dir, MAIN, packed.tarball);
  packed.done();
  mkdirSync(join(dir, 'public/ort'), { recursive: true });
  cpSync(join(ROOT, 'node_modules/onnxruntime-web/dist'), join(dir, 'public/ort'), { recursive: true, filter: (f) => !/\.(map|js)$/.test(f) });
  // Top-level await in the page: Vite's default targets (es2020) do not take it.
  writeFileSync(join(dir, 'vite.config.js'), "export default { build: { target: 'es2022' } };\n");
  return viteBuild(dir);
}

/** Builds and runs the page; resolves to { adapter, rows } (bench/webgpu-run.mjs's rows). */
export async function runInChromium({ layerNames, batches, runs }) {
  const dist = buildPage();
  const { browser, close } = await launchChromium({ webgpu: true });
  const { server, url } = await serve(dist);
  try {
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && console.log(`  [page] ${m.text()}`));
    await page.goto(`${url}?cfg=${encodeURIComponent(JSON.stringify({ layers: layerNames, batches, runs }))}`);
    const result = await (await page.waitForFunction(() => window.result, null, { timeout: 30 * 60_000, polling: 1000 })).jsonValue();
    for (const line of result.log) console.log(`  ${line}`);
    if (result.error) throw new Error(`the WebGPU page failed: ${result.error}`);
    return result;
  } finally {
    server.closeAllConnections();
    server.close();
    await close();
  }
}
