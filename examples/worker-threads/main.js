// The page only starts the Worker: a browser's main thread may not block, and wasm threads wait in Atomics.wait.
const status = document.getElementById('status');
if (!crossOriginIsolated) status.textContent = 'not cross-origin isolated: serve the page with COOP/COEP headers (vite.config.js)';

const worker = new Worker(new URL('./conv-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => {
  status.textContent = data.error ?? `32->64 3x3 on 112x112: ${data.one.toFixed(1)} ms on 1 thread, ${data.many.toFixed(1)} ms on ${data.threads} threads`;
  // Read by the repository's test of this example (test/examples.test.ts).
  window.simdconvResult = { ok: !data.error, crossOriginIsolated, ...data };
};
