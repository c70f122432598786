// `npm run bench -- --networks` (or `node --experimental-wasm-relaxed-simd bench/networks.mjs`): every
// convolution layer of nine real networks (bench/networks/networks.json, extracted from torchvision by
// bench/networks/extract.py), batch 1, timed for simdconv's configs and the wasm peers (TF.js wasm, ONNX
// Runtime Web) in one process and one run. Prints per network the total conv time of each config (each
// distinct layer's median times its count), the ratio to the best wasm peer (the faster peer on each layer),
// the layers slower than that peer and the weakest layers; writes results/networks-latest.json and .svg.
//   [--only a,b] [--quick] [--no-peers] [--rounds N]
// A layer shared by several networks is timed once. Every config's output is checked first against a float64
// reference at sampled positions (check.mjs sampledReference: the full reference of a 9 GFLOP layer would take
// a minute). Timing: after the checking call and a warm-up to a steady state, ROUNDS interleaved rounds, each
// config running calls for at least ROUND_MS per round; a config's figure is the median of its rounds' means. A
// config slower than SLOW_MS a call runs one timed round, and one slower than VERY_SLOW_MS is timed by its
// checking call (TF.js's scalar Conv3D takes 25 s a call on R3D-18's largest layer).
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ratioChart } from './chart.mjs';
import { compareSampled, sampledReference } from './check.mjs';
import { layer as defineLayer, makeTensors } from './layers.mjs';
import { createPeakMeter } from './peers/wasm-peak.mjs';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: '' },
    networks: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
    rounds: { type: 'string' },
  },
  strict: false,
});
const ROUNDS = Number(args.rounds ?? (args.quick ? 2 : 5));
const ROUND_MS = args.quick ? 15 : 40;
const SLOW_MS = 1000;
const WARM_ROUNDS = 6;
const VERY_SLOW_MS = 5000;

// Config labels; `peer` names a module in ./peers/, `baseline` marks the wasm peers every ratio is against;
// `bound` widens the output check for algorithms with a larger error bound of their own.
const CONFIGS = [
  ...(args['no-peers']
    ? []
    : [
        { label: 'tfjs-wasm', peer: 'tfjs-wasm', baseline: true },
        { label: 'ort-web', peer: 'ort-web', baseline: true },
      ]),
  { label: 'relaxed', peer: 'simdconv', options: { build: 'relaxed' } },
  { label: 'simd128', peer: 'simdconv', options: { build: 'simd128' } },
  { label: 'relaxed fast', peer: 'simdconv', options: { build: 'relaxed', algorithm: 'fast' }, bound: 8 },
  { label: 'simd128 fast', peer: 'simdconv', options: { build: 'simd128', algorithm: 'fast' }, bound: 8 },
  { label: 'relaxed 2t', peer: 'simdconv', threads: 2, options: { build: 'relaxed' } },
  // The output left in wasm memory (as a network run as a chain leaves it), at one and two threads: thread
  // scaling without the copy out, which only the calling thread can do (docs/PERFORMANCE.md has the bound).
  { label: 'relaxed resident', peer: 'simdconv', options: { build: 'relaxed', resident: true } },
  { label: 'relaxed 2t resident', peer: 'simdconv', threads: 2, options: { build: 'relaxed', resident: true } },
];
const OURS = CONFIGS.filter((c) => !c.baseline).map((c) => c.label);

const spec = JSON.parse(readFileSync(new URL('./networks/networks.json', import.meta.url), 'utf8'));
const wanted = args.only ? args.only.split(',') : spec.networks.map((n) => n.name);
const unknown = wanted.filter((n) => !spec.networks.some((s) => s.name === n));
if (unknown.length) throw new Error(`unknown network(s) ${unknown.join(', ')}; known: ${spec.networks.map((n) => n.name).join(', ')}`);
const networks = spec.networks.filter((n) => wanted.includes(n.name));

const keyOf = (l) => JSON.stringify([l.op, l.N, l.Cin, l.Cout, l.spatial, l.kernel, l.stride, l.padding, l.dilation, l.groups]);
// Distinct layers over all networks: the first network's name for it, and bench/layers.mjs's fields (flops).
const distinct = new Map();
for (const n of networks) {
  for (const l of n.layers) {
    const key = keyOf(l);
    if (!distinct.has(key)) {
      const d = defineLayer(l.name, l.op, l.N, l.Cin, l.Cout, l.spatial, l.kernel, {
        stride: l.stride,
        padding: l.padding,
        dilation: l.dilation,
        groups: l.groups,
      });
      distinct.set(key, d);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
const shapeText = (l) =>
  `${l.op} ${l.Cin}->${l.Cout} ${l.spatial.join('x')} k${l.kernel.join('x')}` +
  `${l.stride.some((s) => s > 1) ? ` s${l.stride.join('x')}` : ''}${l.dilation.some((d) => d > 1) ? ` d${l.dilation.join('x')}` : ''}${l.groups > 1 ? ` g${l.groups}` : ''}`;

async function timeCall(call) {
  const start = performance.now();
  let calls = 0;
  do {
    await call();
    calls++;
  } while (performance.now() - start < ROUND_MS);
  return (performance.now() - start) / calls;
}

/** Times one distinct layer on every config: { [label]: { ms, kernel } | { na } }. */
async function measureLayer(l) {
  const { x, w } = makeTensors(l);
  const sample = sampledReference(l, x, w);
  const prepared = [];
  for (const config of CONFIGS) {
    let peer;
    try {
      const { createPeer } = await import(`./peers/${config.peer}.mjs`);
      peer = await createPeer(l, { threads: config.threads ?? 1, ...config.options });
      if (peer.unavailable) {
        prepared.push({ config, na: peer.unavailable });
        continue;
      }
      const call = peer.run ?? peer.runAsync;
      const t0 = performance.now();
      const y = await call();
      const first = performance.now() - t0;
      const wrong = compareSampled(l, peer.toNCHW ? peer.toNCHW(y) : y, sample, config.bound ?? 1);
      if (wrong) {
        prepared.push({ config, na: wrong, peer });
        continue;
      }
      // The first call ran in V8's baseline tier: warm up unless one call is long enough to stand for itself.
      // A call of many seconds (TF.js's scalar Conv3D: 25 s) is measured by that first call alone. Warm-up runs
      // to a steady state (a round less than 5% faster than the one before, at most WARM_ROUNDS): a kernel
      // function a layer is the first to use tiers up while it runs, and with two threads busy the background
      // compile competes with both (docs/PERFORMANCE.md, 2026-12-07, third pass).
      if (first < SLOW_MS) {
        let previous = await timeCall(call);
        for (let r = 1; r < WARM_ROUNDS; r++) {
          const t = await timeCall(call);
          if (t > previous * 0.95) break;
          previous = t;
        }
      }
      const rounds = first >= VERY_SLOW_MS ? [first] : [];
      prepared.push({ config, peer, call, rounds, slow: first >= SLOW_MS, kernel: peer.kernel?.() });
    } catch (e) {
      prepared.push({ config, na: e?.message ?? String(e), peer });
    }
  }
  globalThis.gc?.();
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of prepared) {
      if (p.na || (p.slow && p.rounds.length >= 1)) continue;
      try {
        p.rounds.push(await timeCall(p.call));
        // ONNX Runtime's threads may spin a little after a run.
        if (p.config.peer === 'ort-web') await new Promise((resolve) => setTimeout(resolve, 20));
      } catch (e) {
        p.na = e?.message ?? String(e);
      }
    }
  }
  const out = {};
  for (const p of prepared) {
    out[p.config.label] = p.na ? { na: p.na } : { ms: median(p.rounds), ...(p.kernel && { kernel: p.kernel }) };
    try {
      await p.peer?.dispose?.();
    } catch {
      // measured already
    }
  }
  return out;
}

const started = performance.now();
console.log(
  `network benchmark: ${networks.map((n) => n.name).join(', ')}; ${distinct.size} distinct layers; ${CONFIGS.map((c) => c.label).join(', ')}; ` +
    `Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} vCPUs`,
);
const measured = new Map(); // key -> results
// The wasm ceiling (bench/peers/wasm-peak.mjs), sampled after each layer: what an exact kernel can reach.
const meter = await createPeakMeter();
const ceilings = new Map(); // key -> { simd128, relaxed } GFLOP/s
let done = 0;
for (const [key, l] of distinct) {
  const r = await measureLayer(l);
  measured.set(key, r);
  ceilings.set(key, meter.sample());
  done++;
  const peer = bestPeer(r);
  const cells = CONFIGS.map((c) => `${c.label} ${r[c.label].na ? 'n/a' : r[c.label].ms.toFixed(3)}`).join(', ');
  console.log(
    `[${done}/${distinct.size}] ${l.name} (${shapeText(l)}, ${(l.flops / 1e9).toPrecision(3)} GFLOP): ${cells}${peer ? `; relaxed ${(peer / r.relaxed.ms).toFixed(2)}x best peer` : ''}`,
  );
  for (const c of CONFIGS)
    if (r[c.label].na && !/^TF\.js has no|tf\.conv3d takes|single-threaded/.test(r[c.label].na)) console.log(`    ${c.label}: n/a (${r[c.label].na})`);
}

/** The faster wasm peer's ms on a layer, or null. */
function bestPeer(r) {
  const times = CONFIGS.filter((c) => c.baseline && !r[c.label].na).map((c) => r[c.label].ms);
  return times.length ? Math.min(...times) : null;
}

// Per network: totals (count x median) per config and for the best peer per layer.
const report = networks.map((n) => {
  const layers = n.layers.map((nl) => {
    const l = distinct.get(keyOf(nl));
    const r = measured.get(keyOf(nl));
    return { name: nl.name, shape: shapeText(l), count: nl.count, gflop: l.flops / 1e9, bestPeerMs: bestPeer(r), results: r };
  });
  const total = (label) => (layers.every((l) => !l.results[label].na) ? layers.reduce((s, l) => s + l.count * l.results[label].ms, 0) : null);
  const peerTotal = layers.every((l) => l.bestPeerMs != null) ? layers.reduce((s, l) => s + l.count * l.bestPeerMs, 0) : null;
  const totals = Object.fromEntries(CONFIGS.map((c) => [c.label, total(c.label)]));
  const gflop = layers.reduce((s, l) => s + l.count * l.gflop, 0);
  const samples = n.layers.map((nl) => ceilings.get(keyOf(nl)));
  const ceiling = { simd128: median(samples.map((c) => c.simd128)), relaxed: samples[0].relaxed ? median(samples.map((c) => c.relaxed)) : null };
  return { name: n.name, title: n.title, gflop, bestPeerMs: peerTotal, totals, ceiling, layers };
});

const fixed = (v, d = 2) => (v == null ? 'n/a' : v.toFixed(d));
const ratio = (a, b) => (a == null || b == null ? null : b / a);
const times = (v) => (v == null ? 'n/a' : `${v.toFixed(2)}x`);
console.log(`\n## Networks: total conv time, batch 1, one thread (${((performance.now() - started) / 1e3).toFixed(0)} s)\n`);
console.log(
  `| network | GFLOP | best peer ms | ${OURS.map((c) => `${c} ms`).join(' | ')} | relaxed vs peer | simd128 vs peer | fast vs peer | fast vs default | 2t vs 1t | 2t vs 1t, resident |`,
);
console.log(`|---|---:|---:|${OURS.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|`);
for (const n of report) {
  const t = n.totals;
  console.log(
    `| ${n.title} | ${n.gflop.toFixed(2)} | ${fixed(n.bestPeerMs, 1)} | ${OURS.map((c) => fixed(t[c], 1)).join(' | ')} | ` +
      `${times(ratio(t.relaxed, n.bestPeerMs))} | ${times(ratio(t.simd128, n.bestPeerMs))} | ${times(ratio(t['relaxed fast'], n.bestPeerMs))} | ` +
      `${times(ratio(t['relaxed fast'], t.relaxed))} | ${times(ratio(t['relaxed 2t'], t.relaxed))} | ${times(ratio(t['relaxed 2t resident'], t['relaxed resident']))} |`,
  );
}

// What an exact kernel can lead by: the ceiling over the best peer's rate on the network (a kernel at 100% of
// the ceiling on every layer). Winograd ('fast') does fewer multiplies and is not bound by it.
console.log("\nThe bound on an exact kernel: the wasm ceiling over the best peer's rate on the network\n");
console.log(
  '| network | best peer GFLOP/s | SIMD128 ceiling | relaxed ceiling | peer, of the SIMD128 ceiling | bound, relaxed | bound, SIMD128 | relaxed, of its bound | SIMD128, of its bound |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of report) {
  const peerRate = n.bestPeerMs && n.gflop / (n.bestPeerMs / 1e3);
  const boundRelaxed = n.ceiling.relaxed && peerRate && n.ceiling.relaxed / peerRate;
  const bound128 = peerRate && n.ceiling.simd128 / peerRate;
  const pct = (v) => (v == null ? 'n/a' : `${(100 * v).toFixed(0)}%`);
  console.log(
    `| ${n.title} | ${fixed(peerRate, 1)} | ${fixed(n.ceiling.simd128, 1)} | ${fixed(n.ceiling.relaxed, 1)} | ${pct(peerRate && peerRate / n.ceiling.simd128)} | ` +
      `${times(boundRelaxed)} | ${times(bound128)} | ${pct(boundRelaxed && ratio(n.totals.relaxed, n.bestPeerMs) / boundRelaxed)} | ${pct(bound128 && ratio(n.totals.simd128, n.bestPeerMs) / bound128)} |`,
  );
}

// Layers: below the best peer, and the weakest by ratio (relaxed, default path), each once.
const rows = [...distinct].map(([key, l]) => {
  const r = measured.get(key);
  const peer = bestPeer(r);
  const rel = r.relaxed.na ? null : r.relaxed.ms;
  return {
    name: l.name,
    shape: shapeText(l),
    gflops: rel && l.flops / (rel * 1e6),
    relaxed: ratio(rel, peer),
    simd128: ratio(r.simd128.na ? null : r.simd128.ms, peer),
    fast: ratio(r['relaxed fast'].na ? null : r['relaxed fast'].ms, peer),
    fastVsDefault: ratio(r['relaxed fast'].na ? null : r['relaxed fast'].ms, rel),
    kernel: r['relaxed fast'].kernel,
    // 'fast' chose another kernel than the default path's (else the two rows time the same code).
    fastDiffers: r['relaxed fast'].kernel !== r.relaxed.kernel,
  };
});
const show = (title, list) => {
  if (!list.length) return;
  console.log(`\n${title}\n`);
  console.log('| layer | shape | relaxed GFLOP/s | relaxed vs peer | simd128 vs peer | fast vs peer | fast vs default | fast kernel |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of list)
    console.log(
      `| ${r.name} | ${r.shape} | ${fixed(r.gflops, 1)} | ${times(r.relaxed)} | ${times(r.simd128)} | ${times(r.fast)} | ${times(r.fastVsDefault)} | ${r.kernel ?? ''} |`,
    );
};
const below = rows.filter((r) => r.relaxed != null && r.relaxed < 1);
show('Layers where the relaxed default path is slower than the best wasm peer', below);
show(
  'Weakest other layers (relaxed default vs best peer)',
  rows
    .filter((r) => r.relaxed != null && r.relaxed >= 1)
    .sort((a, b) => a.relaxed - b.relaxed)
    .slice(0, 8),
);
show(
  "Layers where 'fast' chose another kernel than the default path and ran slower",
  rows.filter((r) => r.fastDiffers && r.fastVsDefault != null && r.fastVsDefault < 1),
);

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0].model,
  cpus: os.cpus().length,
  rounds: ROUNDS,
  seconds: (performance.now() - started) / 1e3,
};
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const write = (name, text) => {
  writeFileSync(new URL(`${name}.tmp`, dir), text);
  renameSync(new URL(`${name}.tmp`, dir), new URL(name, dir));
};
write(
  'networks-latest.json',
  `${JSON.stringify({ meta, configs: CONFIGS.map(({ label, options, threads }) => ({ label, options, threads: threads ?? 1 })), networks: report }, null, 1)}\n`,
);
const series = [
  { name: 'relaxed, default (exact)', color: '#4e79a7', label: 'relaxed' },
  { name: 'SIMD128, default (exact)', color: '#a0cbe8', label: 'simd128' },
  { name: "relaxed, 'fast'", color: '#f28e2b', label: 'relaxed fast' },
];
write(
  'networks-latest.svg',
  `${ratioChart({
    title: 'simdconv against the best wasm peer, total conv time per network (higher is faster)',
    subtitle: [
      'batch 1, one thread; peers: TF.js wasm and ONNX Runtime Web, the faster on each layer',
      `${meta.date.slice(0, 10)}, Node ${meta.node}, ${meta.cpu} (${meta.cpus} vCPUs)`,
    ],
    series,
    rows: report.map((n) => ({ name: n.name, values: series.map((s) => ratio(n.totals[s.label], n.bestPeerMs)) })),
  })}\n`,
);
console.log('\nwrote bench/results/networks-latest.json and networks-latest.svg');
// onnxruntime-web's worker threads outlive its sessions.
process.exit(0);
