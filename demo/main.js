// The playground demo (`npm run demo`): two tabs, the convolution zoo and the benchmark. It publishes what it
// checked as window.simdconvResult for the repository's test (test/demo.test.ts).
import { init } from 'simdconv';
import { initWebGPU } from 'simdconv/webgpu';
import { benchmark } from './bench.js';
import { digits } from './digits.js';
import { playground } from './playground.js';

function startThreads() {
  if (!globalThis.crossOriginIsolated) return Promise.resolve({ ready: false, reason: 'the page is not cross-origin isolated (COOP/COEP headers)' });
  const worker = new Worker(new URL('./threads-worker.js', import.meta.url), { type: 'module' });
  const pending = new Map();
  let next = 0;
  const call = (message) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      worker.postMessage({ ...message, id });
    });
  return new Promise((resolve) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'ready') {
        if (data.error || data.threads < 2) return resolve({ ready: false, reason: data.error ?? 'the Worker could start only one thread' });
        return resolve({
          ready: true,
          count: data.threads,
          build: 'relaxed',
          run: (steps, input) => call({ steps, input }),
          bench: (op, x, w, options, minMs) => call({ type: 'bench', op, x, w, options, minMs }),
        });
      }
      pending.get(data.id)?.(data);
      pending.delete(data.id);
    };
    worker.postMessage({ type: 'init' });
  });
}

const info = await init();
const [threads, gpuResult] = await Promise.all([
  startThreads(),
  initWebGPU({ fallback: 'none' }).then(
    (gpu) => ({ gpu }),
    (e) => ({ gpu: null, reason: e.message }),
  ),
]);
if (threads.ready) threads.build = info.features.relaxedSimd ? 'relaxed' : 'simd128';
const { gpu } = gpuResult;

document.querySelector('#env').textContent = [
  `wasm ${info.build} build`,
  threads.ready ? `${threads.count} threads in a Worker` : `no threads (${threads.reason})`,
  gpu ? `WebGPU on ${gpu.adapterInfo?.name || 'an adapter'}${gpu.adapterInfo?.isFallbackAdapter ? ' (software)' : ''}` : `no WebGPU (${gpuResult.reason})`,
].join(' · ');

for (const tab of document.querySelectorAll('nav button')) {
  tab.onclick = () => {
    for (const t of document.querySelectorAll('nav button')) t.classList.toggle('active', t === tab);
    for (const p of document.querySelectorAll('main > .tab')) p.hidden = p.id !== tab.dataset.tab;
  };
}

const benchRoot = document.querySelector('#bench');
const runBench = (quick) => benchmark(benchRoot, { gpu, threads, quick, features: info.features });
benchRoot.querySelector('button.run').onclick = () => runBench(false);

const digitResult = await digits(document.querySelector('#digits'));
const results = await playground(document.querySelector('#playground .cards'), { gpu, gpuReason: gpuResult.reason, threads });
const ok = results.every((r) => r.wasm.ok && (r.threads?.ok ?? true) && (r.webgpu?.ok ?? true));
document.querySelector('#playground .summary').textContent = ok
  ? `All ${results.length} results agree with the float64 reference on every backend shown.`
  : 'Some results are outside the error bound of the reference: see ✗ marks.';

const params = new URLSearchParams(location.search);
const bench = params.has('bench') ? await runBench(params.get('bench') === 'quick') : null;
window.simdconvResult = { ok, results, threads: threads.ready ? threads.count : 0, webgpu: Boolean(gpu), bench, digits: digitResult };
