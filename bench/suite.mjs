// One thread count's share of the benchmark, run in its own process by run.mjs (onnxruntime-web
// fixes its thread count per process). Measures the wasm ceiling, then every config on every
// layer: create, verify once against the float64 reference, warm up, time with benchmark.js.
// Each result goes to the parent over IPC as soon as it is measured.
import Benchmark from 'benchmark';
import { compare, reference } from './check.mjs';
import { layers, makeTensors } from './layers.mjs';
import { measurePeak } from './peers/wasm-peak.mjs';

const { threads, layerNames, configs, quick } = JSON.parse(process.argv[2]);
const timing = quick
  ? { warmUpSeconds: 0.1, maxTime: 0.1, minSamples: 3 }
  : { warmUpSeconds: 0.25, maxTime: 0.5, minSamples: 5 };

const send = (message) => new Promise((resolve) => process.send(message, resolve));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

// V8 runs new wasm code in its baseline tier (Liftoff, 4-5x slower) until it tiers up, and a call
// never switches tier midway: after the verifying call, call again at least once and for at least
// warmUpSeconds.
async function warmUp(call) {
  const end = performance.now() + timing.warmUpSeconds * 1e3;
  do await call();
  while (performance.now() < end);
}

// benchmark.js's samples, in seconds per call.
function samples(peer) {
  return new Promise((resolve, reject) => {
    const fn = peer.run ?? ((deferred) => peer.runAsync().then(() => deferred.resolve(), reject));
    const bench = new Benchmark({
      fn,
      defer: !peer.run,
      maxTime: timing.maxTime,
      minSamples: timing.minSamples,
      onError: () => reject(bench.error),
      onComplete: () => resolve(bench.stats.sample),
    });
    bench.run();
  });
}

async function measure(l, config, ref) {
  let peer;
  try {
    const { createPeer } = await import(`./peers/${config.peer}.mjs`);
    peer = await createPeer(l, { threads, ...config.options });
    if (peer.unavailable) return { status: 'n/a', reason: peer.unavailable };
    const call = peer.run ?? peer.runAsync;
    const y = await call();
    const wrong = compare(l, peer.toNCHW ? peer.toNCHW(y) : y, ref());
    if (wrong) return { status: 'n/a', reason: wrong };
    await warmUp(call);
    const s = await samples(peer);
    const medianMs = median(s) * 1e3;
    return { status: 'ok', medianMs, gflops: l.flops / (medianMs * 1e6), samples: s.length, ...(peer.wasmBytes && { wasmBytes: peer.wasmBytes() }) };
  } catch (e) {
    return { status: 'n/a', reason: e?.message ?? String(e) };
  } finally {
    await peer?.dispose?.();
  }
}

await send({ type: 'peak', peak: await measurePeak() });
for (const l of layers.filter((layer) => layerNames.includes(layer.name))) {
  let ref;
  const { x, w } = makeTensors(l);
  const lazyRef = () => (ref ??= reference(l, x, w));
  for (const config of configs) {
    await send({ type: 'result', layer: l.name, label: config.label, threads, ...(await measure(l, config, lazyRef)) });
  }
}
// onnxruntime-web's worker threads outlive its sessions.
process.exit(0);
