// `npm run bench`: simdconv's layer suite against its peers and a measured wasm SIMD ceiling.
//   node bench/run.mjs [--layers a,b] [--quick] [--peers | --no-peers] [--backend wasm|webgpu]
// Each thread count runs in its own child process (bench/suite.mjs), started with
// --experimental-wasm-relaxed-simd where this Node needs it; the processes take turns round by round, so
// that a layer's thread counts are measured close together. Prints progress as results arrive, then a
// markdown table; writes bench/results/latest.json and latest.svg.
import { fork } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { vsPeersChart } from './chart.mjs';
import { OWN_CONFIGS, PEER_CONFIGS, THREADS } from './configs.mjs';
import { layers } from './layers.mjs';
import { relaxedSimdValidates } from './peers/wasm-peak.mjs';
import { describeCoreSpeeds, measureCoreSpeeds } from './core-speed.mjs';

if (process.argv.includes('--networks')) {
  // The network benchmark (bench/networks.mjs), in a process with relaxed SIMD and gc exposed.
  const { relaxedSimdValidates } = await import('./peers/wasm-peak.mjs');
  const flags = [...((await relaxedSimdValidates()) ? [] : ['--experimental-wasm-relaxed-simd']), '--expose-gc'];
  const child = fork(new URL('./networks.mjs', import.meta.url), process.argv.slice(2), { execArgv: [...process.execArgv, ...flags] });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  process.exit(code ?? 1);
}
const started = performance.now();
const startLoad = os.loadavg()[0];
// CPU time a hypervisor gave to other guests while this VM wanted it (Linux's steal counter, in clock ticks
// of 1/100 s): on a shared cloud machine, the usual reason two runs of the same code differ.
const stealTicks = () => {
  try {
    return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8]);
  } catch {
    return null;
  }
};
const startSteal = stealTicks();
const { values: args } = parseArgs({
  options: {
    layers: { type: 'string' },
    quick: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: true },
    'no-peers': { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    browser: { type: 'boolean', default: false },
  },
});
const layerNames = args.layers?.split(',') ?? layers.map((l) => l.name);
const unknown = layerNames.filter((name) => !layers.some((l) => l.name === name));
if (unknown.length) throw new Error(`unknown layer(s) ${unknown.join(', ')}; known: ${layers.map((l) => l.name).join(', ')}`);
if (args.backend === 'webgpu') {
  const { runWebGpuBench } = await import('./webgpu.mjs');
  await runWebGpuBench({ layerNames, quick: args.quick, peers: args.peers && !args['no-peers'], browser: args.browser });
  process.exit(0);
}
if (args.backend !== 'wasm') throw new Error(`--backend must be 'wasm' (default) or 'webgpu', got '${args.backend}'`);
const configs = [...(args.peers && !args['no-peers'] ? PEER_CONFIGS : []), ...OWN_CONFIGS];
const suiteLayers = layers.filter((l) => layerNames.includes(l.name));

const relaxedFlag = (await relaxedSimdValidates()) ? [] : ['--experimental-wasm-relaxed-simd'];
const peaks = [];
const results = []; // { layer, label, threads, status, ... } in arrival order

const shapeText = (l) => `${l.op} ${l.N > 1 ? `N${l.N} ` : ''}${l.Cin}->${l.Cout} ${l.spatial.join('x')} k${l.kernel.join('x')}`;
const configName = (r) => `${r.label} ${r.threads}t`;
const fixed = (v, digits) => (v == null ? '' : v.toFixed(digits));
const gflop = (l) => +(l.flops / 1e9).toPrecision(3);

// One long-lived suite process per thread count (bench/suite.mjs), asked for one thing at a time.
function startSuite(threads) {
  const child = fork(new URL('./suite.mjs', import.meta.url), [JSON.stringify({ threads, configs, quick: args.quick })], {
    // --expose-gc: each layer starts on a collected heap (suite.mjs prepareLayer).
    execArgv: [...process.execArgv, ...relaxedFlag, '--expose-gc'],
  });
  const suite = { threads, child, exitCode: null, pending: null };
  child.on('message', (m) => {
    if (m.type === 'peak') {
      peaks.push(m.peak);
      console.log(
        `wasm ceiling, 1 thread, measured in the ${threads}-thread process: SIMD128 ${fixed(m.peak.simd128, 1)} GFLOP/s, relaxed ${m.peak.relaxed ? `${fixed(m.peak.relaxed, 1)} GFLOP/s` : 'n/a'}`,
      );
    } else if (m.type === 'result') {
      const l = layers.find((layer) => layer.name === m.layer);
      if (!results.some((r) => r.layer === m.layer && r.threads === threads)) {
        const c = m.ceiling;
        const during = c ? `; ceiling meanwhile SIMD128 ${fixed(c.simd128, 1)}, relaxed ${c.relaxed ? fixed(c.relaxed, 1) : 'n/a'} GFLOP/s` : '';
        console.log(`${m.layer}, ${threads} thread${threads > 1 ? 's' : ''}  (${shapeText(l)}, ${gflop(l)} GFLOP${during})`);
      }
      results.push(m);
      const line = m.status === 'ok' ? `${fixed(m.medianMs, 3).padStart(10)} ms ${fixed(m.gflops, 1).padStart(7)} GFLOP/s` : `n/a (${m.reason})`;
      console.log(`  ${configName(m).padEnd(22)} ${line}`);
      return;
    }
    const done = suite.pending;
    suite.pending = null;
    done?.(m);
  });
  child.on('exit', (code) => {
    suite.exitCode = code ?? 1;
    const done = suite.pending;
    suite.pending = null;
    done?.();
  });
  return suite;
}

// Sends one request and waits for its reply (resolved with it), or for the process to end (undefined).
function ask(suite, message) {
  if (suite.exitCode != null) return Promise.resolve();
  return new Promise((resolve) => {
    suite.pending = resolve;
    suite.child.send(message);
  });
}

// Before and after the suite (the CPUs' difference drifts): bounds what "vs own 1t" can reach on this machine.
const coreSpeeds = { start: measureCoreSpeeds() };
console.log(`one-thread speed by CPU, before the suite: ${describeCoreSpeeds(coreSpeeds.start)}`);
const suites = THREADS.map(startSuite);
// The ceilings one process at a time, then each layer at every thread count before the next layer.
for (const suite of suites) await ask(suite, { type: 'peak' });
for (const l of suiteLayers) {
  let rounds = 0;
  for (const suite of suites) rounds = Math.max(rounds, (await ask(suite, { type: 'prepare', name: l.name }))?.rounds ?? 0);
  // Round by round, the processes in turn: one process's rounds never run while the other's plans sleep.
  for (let round = 0; round < rounds; round++) {
    for (const suite of suites) await ask(suite, { type: 'round', round });
  }
  for (const suite of suites) await ask(suite, { type: 'finish' });
}
for (const suite of suites) {
  if (suite.exitCode == null) suite.child.send({ type: 'exit' });
  // Whatever a crashed suite did not report is n/a.
  for (const l of suiteLayers) {
    for (const c of configs) {
      if (!results.some((r) => r.layer === l.name && r.label === c.label && r.threads === suite.threads)) {
        results.push({ layer: l.name, label: c.label, threads: suite.threads, status: 'n/a', reason: `suite process exited with code ${suite.exitCode}` });
      }
    }
  }
}

await Promise.all(suites.map((suite) => suite.exitCode == null && new Promise((resolve) => suite.child.once('exit', resolve))));
coreSpeeds.end = measureCoreSpeeds();
console.log(`one-thread speed by CPU, after the suite: ${describeCoreSpeeds(coreSpeeds.end)}`);

// Ratios: against the best wasm peer at the same thread count; ceilings: the single-thread peak of the
// config's instruction set sampled during the layer's own rounds (suite.mjs), times its thread count.
const peak = {
  simd128: Math.max(...peaks.map((p) => p.simd128)),
  relaxed: peaks.some((p) => p.relaxed) ? Math.max(...peaks.map((p) => p.relaxed ?? 0)) : null,
};
const configOf = (r) => configs.find((c) => c.label === r.label);
const report = suiteLayers.map((l) => {
  const rows = results.filter((r) => r.layer === l.name).sort((a, b) => a.threads - b.threads || configs.indexOf(configOf(a)) - configs.indexOf(configOf(b)));
  const ok = rows.filter((r) => r.status === 'ok');
  for (const r of ok) {
    const { isa } = configOf(r);
    const best = Math.max(0, ...ok.filter((b) => b.threads === r.threads && configOf(b).baseline).map((b) => b.gflops));
    const ceiling = r.ceiling?.[isa] && r.ceiling[isa] * r.threads;
    const single = r.threads > 1 && ok.find((b) => b.threads === 1 && b.label === r.label);
    Object.assign(r, {
      isa,
      vsBestWasmPeer: best ? r.gflops / best : null,
      ofCeiling: ceiling ? r.gflops / ceiling : null,
      vsOwnOneThread: single ? r.gflops / single.gflops : null,
    });
  }
  return { name: l.name, op: l.op, shape: shapeText(l), flops: l.flops, results: rows.map(({ type: _type, layer: _layer, ...rest }) => rest) };
});

const load = os.loadavg()[0];
const stealSeconds = startSteal == null ? null : (stealTicks() - startSteal) / 100;
console.log(`\n## Results (${args.quick ? 'quick, ' : ''}backend ${args.backend}, Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} CPUs)\n`);
console.log(
  `wasm ceiling, 1 thread, best moment: SIMD128 ${fixed(peak.simd128, 1)} GFLOP/s, relaxed ${peak.relaxed ? `${fixed(peak.relaxed, 1)} GFLOP/s` : 'n/a'}. "of wasm ceiling" is against the ceiling sampled while the layer ran (the "ceiling" column, 1 thread; 2-thread configs against twice it).`,
);
console.log(
  `Load average (1 min) before the run ${fixed(startLoad, 2)}${startLoad > 0.5 ? ' (other processes were busy)' : ''}, after it ${fixed(load, 2)} (the run's own load included). ` +
    (stealSeconds == null
      ? 'Steal time not available here.'
      : `Steal time during the run: ${fixed(stealSeconds, 1)} s of ${fixed((performance.now() - started) / 1e3, 0)} s${stealSeconds > 1 ? ' (the hypervisor ran other guests on these CPUs: figures, 2-thread ones most, are less reliable)' : ''}.`),
);
console.log(
  `One-thread speed by CPU (bench/core-speed.mjs), before the suite: ${describeCoreSpeeds(coreSpeeds.start)}; after it: ${describeCoreSpeeds(coreSpeeds.end)}.\n`,
);
console.log('| layer | GFLOP | config | median ms | GFLOP/s | vs best wasm peer | of wasm ceiling | ceiling | vs own 1t | wasm MiB |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
const shown = (r) => r.status === 'ok' || !configOf(r).optional;
for (const l of report) {
  l.results.filter(shown).forEach((r, i) => {
    const head = i === 0 ? `| ${l.name} | ${gflop(l)} ` : '| | ';
    const cells =
      r.status === 'ok'
        ? [
            fixed(r.medianMs, 3),
            fixed(r.gflops, 1),
            r.vsBestWasmPeer == null ? '' : `${fixed(r.vsBestWasmPeer, 2)}x`,
            r.ofCeiling == null ? '' : `${fixed(100 * r.ofCeiling, 0)}%`,
            r.ofCeiling == null ? '' : fixed(r.ceiling[r.isa], 1),
            r.vsOwnOneThread == null ? '' : `${fixed(r.vsOwnOneThread, 2)}x`,
            r.wasmBytes == null ? '' : fixed(r.wasmBytes / 2 ** 20, 1),
          ]
        : [`n/a (${r.reason.replaceAll('|', '\\|')})`, '', '', '', '', '', ''];
    console.log(`${head}| ${configName(r)} | ${cells.join(' | ')} |`);
  });
}

const hidden = [...new Set(report.flatMap((l) => l.results.filter((r) => !shown(r)).map((r) => r.label)))];
if (hidden.length) console.log(`\n${hidden.join(', ')}: shown only for the layers they apply to (the others are n/a in latest.json, with the reason).`);

const seconds = (performance.now() - started) / 1e3;
const versions = Object.fromEntries(
  ['@tensorflow/tfjs-backend-wasm', 'onnxruntime-web', 'onnxruntime-node', 'benchmark'].map((name) => {
    const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return [name, JSON.parse(readFileSync(file, 'utf8')).version];
  }),
);
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0].model,
  cpus: os.cpus().length,
  loadavg: { start: startLoad, end: load },
  stealSeconds,
  coreSpeeds,
  versions,
  seconds,
};
const options = { layers: layerNames, quick: args.quick, peers: configs.some((c) => PEER_CONFIGS.includes(c)), backend: args.backend };

// Written through a .tmp file and a rename, so an interrupted run leaves the last results intact.
const write = (name, text) => {
  const url = new URL(`./results/${name}`, import.meta.url);
  writeFileSync(new URL(`${url.href}.tmp`), text);
  renameSync(new URL(`${url.href}.tmp`), url);
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
write('latest.json', `${JSON.stringify({ meta, options, peak, layers: report }, null, 2)}\n`);
write('latest.svg', `${vsPeersChart({ meta, layers: report })}\n`);
console.log(`\nWrote bench/results/latest.json and latest.svg in ${fixed(seconds, 0)} s.`);
