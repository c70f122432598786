// One-thread speed of each CPU, measured by pinning a short run of one layer to it (Linux `taskset`).
// On this project's shared 2-vCPU machines the two CPUs are not always equal: the FMA peak is the same on
// both, but a kernel that works from the caches has run 20-45% slower on one of them than on the other for
// minutes at a time (resnet_3x3 pinned, relaxed 4.25 against 5.31 ms, SIMD128 5.48 against 7.84) and equally
// fast at other times, the slower side changing from run to run. Two threads can then reach at most
// 1 + fast / slow times a one-thread figure measured on the faster CPU, whatever the library does; the
// benchmark prints this bound, measured before and after its suite, above its table.
//   import { measureCoreSpeeds } from './core-speed.mjs'  ->  { layer, cpus: [{ cpu, ms }], bound } or { reason }
//   node bench/core-speed.mjs --child   (what each pinned process runs: prints its median ms as JSON)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { layers, makeTensors } from './layers.mjs';

const LAYER = 'resnet_3x3';

async function measureHere() {
  const simdconv = await import('simdconv');
  const l = layers.find((layer) => layer.name === LAYER);
  const { x, w } = makeTensors(l);
  // SIMD128: valid without flags on every Node the benchmark supports.
  const ctx = await simdconv.createContext({ build: 'simd128', threads: 1 });
  const plan = simdconv.createConv2d(w, null, { stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups }, ctx);
  const input = ctx.tensor(x.shape, x.data);
  const shape = plan.outputShape(x.shape);
  const out = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
  const burst = (ms) => {
    const times = [];
    for (const end = performance.now() + ms; performance.now() < end;) {
      const t0 = performance.now();
      plan.run(input, out);
      times.push(performance.now() - t0);
    }
    return median(times);
  };
  burst(400); // past V8's baseline tier
  return median(Array.from({ length: 7 }, () => burst(150)));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Each CPU's median ms on LAYER, one pinned process after another; a reason where it cannot be measured. */
export function measureCoreSpeeds() {
  const count = os.cpus().length;
  if (process.platform !== 'linux') return { reason: 'pinning needs Linux taskset' };
  if (count < 2) return { reason: 'one CPU' };
  const cpus = [];
  for (let cpu = 0; cpu < count; cpu++) {
    try {
      const text = execFileSync('taskset', ['-c', String(cpu), process.execPath, fileURLToPath(import.meta.url), '--child'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      cpus.push({ cpu, ms: JSON.parse(text.trim().split('\n').pop()).ms });
    } catch (error) {
      return { reason: error.code === 'ENOENT' ? 'taskset not found' : `pinned run on CPU ${cpu} failed: ${error.message.split('\n')[0]}` };
    }
  }
  const fastest = Math.min(...cpus.map((c) => c.ms));
  // Every CPU's rate in units of the fastest one's: what N threads could reach against one thread there.
  const bound = cpus.reduce((sum, c) => sum + fastest / c.ms, 0);
  return { layer: `${LAYER} simd128 1t`, cpus, bound };
}

export const describeCoreSpeeds = (s) =>
  s.reason
    ? `n/a (${s.reason})`
    : `${s.cpus.map((c) => `CPU ${c.cpu} ${c.ms.toFixed(2)} ms`).join(', ')} (${s.layer}, pinned): ${s.cpus.length} threads can reach at most ${s.bound.toFixed(2)}x a one-thread figure on the fastest`;

if (process.argv[2] === '--child') {
  console.log(JSON.stringify({ ms: await measureHere() }));
  process.exit(0);
}
