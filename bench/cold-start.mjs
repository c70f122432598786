// Cold start: from loading the library to the result of a first convolution (ResNet's 64->64 3x3 on 56x56,
// bench/layers.mjs resnet_3x3), for simdconv, TF.js wasm and ONNX Runtime Web, in one run.
//   Node: a fresh process per sample; the clock starts just before the library's import.
//   Chromium (--browser): each library in a Vite app built with Vite's defaults (plus what each library's docs
//   ask for: TF.js's .wasm files copied and setWasmPaths; ONNX Runtime Web needs nothing more), loaded in a fresh
//   page with caching off; the page makes its data first, then starts the clock and imports the library.
// Prints medians and writes bench/results/cold-start.json.
//   node bench/cold-start.mjs [--runs 7] [--browser]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { layers, makeTensors } from './layers.mjs';
import { launchChromium, pack, pageFolder, serve, viteBuild } from './browser.mjs';
import { onnxModel } from './peers/onnx-model.mjs';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' }, browser: { type: 'boolean', default: false } } });
const RUNS = Number(args.runs);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAYER = layers.find((l) => l.name === 'resnet_3x3');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const layersUrl = pathToFileURL(join(ROOT, 'bench/layers.mjs')).href;

// ─── Node ────────────────────────────────────────────────────────────────────────────────────────────────────
// Each script makes its tensors (or model bytes) first, then times import + init + first result.
const NODE = {
  simdconv: `
    const { layers, makeTensors } = await import(${JSON.stringify(layersUrl)});
    const l = layers.find((l) => l.name === 'resnet_3x3'); const { x, w } = makeTensors(l);
    const t0 = performance.now();
    const sc = await import('simdconv');
    await sc.init();
    const y = sc.conv2d(x, w, null, { padding: 1 });
    console.log(JSON.stringify({ ms: performance.now() - t0, check: y.data[12345] }));`,
  'tfjs-wasm': `
    const { layers, makeTensors } = await import(${JSON.stringify(layersUrl)});
    const { createRequire } = await import('node:module');
    const l = layers.find((l) => l.name === 'resnet_3x3'); const { x, w } = makeTensors(l);
    const wasmDir = createRequire(${JSON.stringify(join(ROOT, 'package.json'))}).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm').replace(/[^/]*$/, '');
    const t0 = performance.now();
    const tf = await import('@tensorflow/tfjs-core');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(wasmDir);
    await tf.setBackend('wasm');
    const xt = tf.transpose(tf.tensor(x.data, x.shape), [0, 2, 3, 1]);
    const wt = tf.transpose(tf.tensor(w.data, w.shape), [2, 3, 1, 0]);
    const y = tf.conv2d(xt, wt, 1, 'same').dataSync();
    console.log(JSON.stringify({ ms: performance.now() - t0, check: y[0] }));`,
  'ort-web': `
    const { layers, makeTensors } = await import(${JSON.stringify(layersUrl)});
    const { onnxModel } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bench/peers/onnx-model.mjs')).href)});
    const l = layers.find((l) => l.name === 'resnet_3x3'); const { x, w } = makeTensors(l);
    const model = onnxModel(l, w);
    const t0 = performance.now();
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    const y = (await session.run({ x: new ort.Tensor('float32', x.data, x.shape) })).y.data;
    console.log(JSON.stringify({ ms: performance.now() - t0, check: y[0] }));`,
};

function nodeSamples(name) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', NODE[name]], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    ms.push(JSON.parse(out.trim().split('\n').at(-1)).ms);
  }
  return ms;
}

// ─── Chromium ────────────────────────────────────────────────────────────────────────────────────────────────
// The page makes its tensors first (as Node's scripts do), then imports the library: the import becomes a chunk
// of its own, fetched when the clock has started. `sinceNavigation` adds the page's own loading.
const PAGE_HEAD = `import { layers, makeTensors } from './layers.mjs';
const l = layers.find((l) => l.name === 'resnet_3x3');
const { x, w } = makeTensors(l);
const t0 = performance.now();
const done = (y) => { window.coldStart = { ms: performance.now() - t0, sinceNavigation: performance.now(), check: y[0] }; };
`;
const PAGES = {
  simdconv: `${PAGE_HEAD}const { init, conv2d } = await import('simdconv');
await init();
done(conv2d(x, w, null, { padding: 1 }).data);`,
  'tfjs-wasm': `${PAGE_HEAD}const tf = await import('@tensorflow/tfjs-core');
const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
setWasmPaths('/tfjs/'); // TF.js's docs: serve its .wasm files and say where
await tf.setBackend('wasm');
const xt = tf.transpose(tf.tensor(x.data, x.shape), [0, 2, 3, 1]);
const wt = tf.transpose(tf.tensor(w.data, w.shape), [2, 3, 1, 0]);
done(tf.conv2d(xt, wt, 1, 'same').dataSync());`,
  'ort-web': `const [model, input] = await Promise.all(['/model.onnx', '/input.bin'].map((u) => fetch(u).then((r) => r.arrayBuffer())));
const t0 = performance.now();
const done = (y) => { window.coldStart = { ms: performance.now() - t0, sinceNavigation: performance.now(), check: y[0] }; };
const ort = await import('onnxruntime-web/wasm');
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(new Uint8Array(model), { executionProviders: ['wasm'] });
done((await session.run({ x: new ort.Tensor('float32', new Float32Array(input), [1, 64, 56, 56]) })).y.data);`,
};

/** Builds each page with Vite (simdconv from `npm pack`, as a user installs it) and returns the dist folders. */
function buildPages() {
  const work = join(ROOT, '.fixtures/cold-start');
  rmSync(work, { recursive: true, force: true });
  const packed = pack();
  const dists = {};
  for (const [name, main] of Object.entries(PAGES)) {
    const dir = join(work, name);
    pageFolder(dir, main, name === 'simdconv' ? packed.tarball : null);
    cpSync(join(ROOT, 'bench/layers.mjs'), join(dir, 'layers.mjs'));
    if (name === 'tfjs-wasm')
      cpSync(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), join(dir, 'public/tfjs'), {
        recursive: true,
        filter: (f) => !/\.(js|map|ts)$/.test(f),
      });
    if (name === 'ort-web') {
      const { x, w } = makeTensors(LAYER);
      writeFileSync(join(dir, 'public/model.onnx'), onnxModel(LAYER, w));
      writeFileSync(join(dir, 'public/input.bin'), x.data);
    }
    dists[name] = viteBuild(dir);
  }
  packed.done();
  return dists;
}

async function browserSamples() {
  const dists = buildPages();
  const { browser, close } = await launchChromium();
  const out = {};
  try {
    for (const [name, dist] of Object.entries(dists)) {
      const { server, url } = await serve(dist);
      out[name] = [];
      for (let i = 0; i < RUNS; i++) {
        const page = await browser.newPage();
        await page.route('**/*', (route) => route.continue()); // request interception turns the HTTP cache off
        await page.goto(url);
        const r = await page.waitForFunction(() => window.coldStart, null, { timeout: 60_000 });
        out[name].push(await r.jsonValue());
        await page.close();
      }
      server.closeAllConnections();
      server.close();
    }
  } finally {
    await close();
  }
  return out;
}

const results = { date: new Date().toISOString(), node: process.version, layer: 'resnet_3x3 (64->64, 3x3, 56x56)', runs: RUNS, medianMs: {} };
results.medianMs.node = Object.fromEntries(Object.keys(NODE).map((name) => [name, median(nodeSamples(name))]));
if (args.browser) {
  const samples = Object.entries(await browserSamples());
  results.medianMs.chromium = Object.fromEntries(samples.map(([k, v]) => [k, median(v.map((s) => s.ms))]));
  results.medianMs.chromiumSinceNavigation = Object.fromEntries(samples.map(([k, v]) => [k, median(v.map((s) => s.sinceNavigation))]));
}

const cell = (v) => (v === undefined ? '' : v.toFixed(0));
console.log(`Cold start from the library's import to a first ${results.layer} result, median of ${RUNS} (ms):`);
console.log('| library | Node | Chromium (Vite build) | Chromium, from navigation |\n|---|---:|---:|---:|');
for (const name of Object.keys(NODE)) {
  const m = results.medianMs;
  console.log(`| ${name} | ${cell(m.node[name])} | ${cell(m.chromium?.[name])} | ${cell(m.chromiumSinceNavigation?.[name])} |`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/cold-start.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
