// One thread count's share of the benchmark, run in its own process (onnxruntime-web fixes its thread count
// per process) and driven by run.mjs over IPC: 'peak' measures the wasm ceiling; 'prepare', 'round' and
// 'finish' measure one layer; 'exit' ends it. run.mjs keeps one such process per thread count alive and has
// them take turns round by round, so a layer's 1-thread and 2-thread figures are measured in the same
// stretch of time (this shared machine's slow spells last minutes: with the thread counts run one after the
// other, a spell over one of them moved 2t / 1t between 1.2x and 1.9x on the same build; with each process
// running all of a layer's rounds in turn, r3's 2t / 1t read 1.30x in a full run against 1.88x in one
// process). For a layer, each config is created, verified once against the float64 reference and warmed
// up; then all of the layer's configs are timed with benchmark.js in interleaved rounds, and each reports
// the median of all its samples.
// Interleaving spreads the slow spells (steal time, or a busy neighbour on the host
// core: the same config measured 15 and 26 GFLOP/s a second apart) over every config alike, so the ratios
// between configs hold better than when each is timed in one stretch. Ten short rounds rather than three
// long ones: with three, a spell over two of a config's rounds set its median (seen as one config at half
// speed in rounds 2 and 3 while its neighbours were not). Configs slower than SLOW_MS a call (TF.js's
// conv3d takes seconds) stop after three rounds: their calls are long enough to average over spells. The
// wasm ceiling is sampled once per round too: a layer's fraction of the ceiling is against the ceiling
// of its own stretch of time (the median of its rounds' samples), not of the suite's best moment.
// Each layer's results go to the parent as soon as they are measured.
import Benchmark from 'benchmark';
import { compare, reference } from './check.mjs';
import { layers, makeTensors } from './layers.mjs';
import { createPeakMeter, measurePeak } from './peers/wasm-peak.mjs';

const { threads, configs, quick } = JSON.parse(process.argv[2]);
const timing = quick
  ? { warmUpSeconds: 0.1, maxTime: 0.1, minSamples: 3, rounds: 1 }
  : { warmUpSeconds: 0.25, maxTime: 0.05, minTime: 0.025, minSamples: 2, rounds: 10 };

const SETTLE_MS = 100;
const SLOW_MS = 400;
const SLOW_ROUNDS = 3;
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
      ...(timing.minTime && { minTime: timing.minTime }),
      onError: () => reject(bench.error),
      onComplete: () => resolve(bench.stats.sample),
    });
    bench.run();
  });
}

// Creates, verifies and warms up one config: { peer, call } ready to time, or a result saying why not.
async function prepare(l, config, ref) {
  let peer;
  try {
    const { createPeer } = await import(`./peers/${config.peer}.mjs`);
    peer = await createPeer(l, { threads, ...config.options });
    if (peer.unavailable) return { result: { status: 'n/a', reason: peer.unavailable }, peer };
    const call = peer.run ?? peer.runAsync;
    const y = await call();
    const wrong = compare(l, peer.toNCHW ? peer.toNCHW(y) : y, ref());
    if (wrong) return { result: { status: 'n/a', reason: wrong }, peer };
    await warmUp(call);
    return { peer, samples: [], roundMedians: [] };
  } catch (e) {
    return { result: { status: 'n/a', reason: e?.message ?? String(e) }, peer };
  }
}

// A layer's state between requests: its configs, prepared, and the ceilings sampled so far.
let current = null;
let meter;

async function prepareLayer(name) {
  const l = layers.find((layer) => layer.name === name);
  const { x, w } = makeTensors(l);
  let ref;
  const lazyRef = () => (ref ??= reference(l, x, w));
  const prepared = [];
  for (const config of configs) prepared.push(await prepare(l, config, lazyRef));
  // Collect the earlier layers' garbage (their outputs and tensors, megabytes each) now, so that no full
  // collection, whose concurrent marking takes the other CPU, falls into this layer's timing. The suspected
  // cause of what two full runs showed: a short, memory-bound layer (depthwise, 0.3-0.4 ms a call) 1.5-2x
  // slower over most of its rounds, once at one thread, once at two, and never when run alone.
  globalThis.gc?.();
  current = { l, prepared, ceilings: [] };
}

// One round: the ceiling, then every config still timed, one after another.
async function measureRound(round) {
  const { prepared, ceilings } = current;
  ceilings.push(meter.sample());
  // The other process (or this one's last config) may have left threads spinning.
  let spinning = true;
  for (const [i, p] of prepared.entries()) {
    if (p.result) continue;
    if (round >= SLOW_ROUNDS && median(p.samples) * 1e3 > SLOW_MS) continue;
    try {
      // ONNX Runtime's pool threads spin for a while after a run: let them go idle before the next config
      // is timed, or it would share the CPUs with them (at 2 threads it then measured at half speed).
      if (spinning) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      spinning = Boolean(configs[i].spins);
      const s = await samples(p.peer);
      p.samples.push(...s);
      p.roundMedians.push(median(s) * 1e3);
    } catch (e) {
      p.result = { status: 'n/a', reason: e?.message ?? String(e) };
    }
  }
}

async function finishLayer() {
  const { l, prepared, ceilings } = current;
  current = null;
  const results = prepared.map((p) => {
    if (p.result) return p.result;
    const medianMs = median(p.samples) * 1e3;
    return {
      status: 'ok',
      medianMs,
      gflops: l.flops / (medianMs * 1e6),
      samples: p.samples.length,
      roundMedians: p.roundMedians,
      ...(p.peer.wasmBytes && { wasmBytes: p.peer.wasmBytes() }),
    };
  });
  for (const p of prepared) {
    try {
      await p.peer?.dispose?.();
    } catch {
      // A peer that fails to dispose has already been measured.
    }
  }
  const ceiling = { simd128: median(ceilings.map((c) => c.simd128)), relaxed: ceilings[0].relaxed && median(ceilings.map((c) => c.relaxed)) };
  for (const [i, config] of configs.entries()) {
    await send({ type: 'result', layer: l.name, label: config.label, threads, ceiling, ...results[i] });
  }
}

// One request at a time: the parent waits for each reply before it sends the next.
process.on('message', async (m) => {
  if (m.type === 'peak') {
    const peak = await measurePeak();
    meter = await createPeakMeter();
    await send({ type: 'peak', peak });
  } else if (m.type === 'prepare') {
    await prepareLayer(m.name);
    await send({ type: 'prepared', rounds: timing.rounds });
  } else if (m.type === 'round') {
    await measureRound(m.round);
    await send({ type: 'round-done' });
  } else if (m.type === 'finish') {
    await finishLayer();
    await send({ type: 'layer-done' });
  } else if (m.type === 'exit') {
    // onnxruntime-web's worker threads outlive its sessions.
    process.exit(0);
  }
});
