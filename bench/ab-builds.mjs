// A/B of two builds of the wasm kernels on the benchmark's layers, in one process, through the same JS API:
//   node bench/ab-builds.mjs --a DIR --b DIR [--layers resnet_3x3,dilated] [--builds relaxed,simd128]
//                            [--seconds 8] [--threads 1] [--algorithm winograd] [--offset 1]
// DIR holds a build's .wasm files (simdconv-relaxed.wasm, ...), e.g. the baseline's, saved before a change:
//   git stash && npm run build:wasm && cp -r wasm /tmp/wasm-a && git stash pop && npm run build:wasm
//   node bench/ab-builds.mjs --a /tmp/wasm-a --b wasm
// For a change to the TypeScript side too, DIR may instead be a copy of the whole built package (its dist/ and
// wasm/ folders): that side then runs its own dist/index.js on its own wasm.
//   git stash && npm run build && mkdir /tmp/pkg-a && cp -r dist wasm package.json /tmp/pkg-a && git stash pop
//   npm run build && node bench/ab-builds.mjs --a /tmp/pkg-a --b .
//
// Layers are the suite's (bench/layers.mjs) or its extraLayers. As in the suite, the input is a tensor in wasm
// memory and the output a JS array; with --offset N both are JS arrays starting N floats into larger buffers
// (a subarray, as for one image of a batch), so that the copies into and out of wasm memory are measured too.
//
// Why not two bench runs: on this project's shared 2-vCPU machines a kernel's speed moves by 25% or more from
// one minute to the next (the same microkernel measured 51% and 79% of the register-only ceiling in two runs
// a minute apart, the ceiling itself steady), because the other tenants' cache traffic changes. Here both
// builds run in alternating 30 ms bursts, and the reported ratio is the median of the per-round ratios
// b/a, which a slow spell shifts for both sides alike. Outputs are compared before timing.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { extraLayers, layers, makeTensors } from './layers.mjs';
import { relaxedSimdValidates } from './peers/wasm-peak.mjs';
import { factory } from './peers/simdconv.mjs';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    layers: { type: 'string', default: 'resnet_3x3,pointwise,dilated,sep_spatial,conv3d' },
    builds: { type: 'string', default: 'relaxed,simd128' },
    seconds: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
    algorithm: { type: 'string' },
    offset: { type: 'string' },
  },
});
if (!args.a || !args.b) throw new Error('ab-builds: --a DIR and --b DIR (folders of .wasm builds) are required');
const builds = args.builds.split(',');

// Node 20 validates relaxed SIMD only behind a V8 flag: rerun under it where needed.
if (builds.includes('relaxed') && !(await relaxedSimdValidates()) && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
  const child = fork(process.argv[1], process.argv.slice(2), { execArgv: [...process.execArgv, '--experimental-wasm-relaxed-simd'] });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}

async function main() {
  const simdconv = await import('simdconv'); // this checkout, through the package's node export condition
  const threads = Number(args.threads);
  const median = (xs) => {
    const s = [...xs].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  // A side's library: the package copy's own dist where DIR has one, else this checkout's.
  const libraryOf = async (dir) => {
    // Node's entry (dist/node/index.js) where the copy has one; older copies load Node's code themselves.
    const entry = ['dist/node/index.js', 'dist/index.js'].map((f) => path.resolve(dir, f)).find((f) => existsSync(f));
    return entry ? import(pathToFileURL(entry).href) : simdconv;
  };
  const sides = [];
  for (const build of builds) {
    for (const [side, dir] of [
      ['a', args.a],
      ['b', args.b],
    ]) {
      const lib = await libraryOf(dir);
      const wasmDir = existsSync(path.resolve(dir, 'dist/index.js')) ? path.resolve(dir, 'wasm') : dir;
      const file = path.resolve(wasmDir, `simdconv-${build}${threads > 1 ? '-mt' : ''}.wasm`);
      const artifact = threads > 1 ? `${build}-mt` : build;
      sides.push({ build, side, lib, ctx: await lib.createContext({ build, threads, wasm: { [artifact]: file } }) });
    }
  }
  for (const name of args.layers.split(',')) {
    const known = [...layers, ...extraLayers];
    const l = known.find((x) => x.name === name);
    if (!l) throw new Error(`ab-builds: unknown layer ${name}; known: ${known.map((x) => x.name).join(', ')}`);
    const { x, w } = makeTensors(l);
    // N floats into a buffer of n + N values.
    const placed = (n, values) => {
      const offset = Number(args.offset);
      const data = new Float32Array(n + offset).subarray(offset);
      if (values) data.set(values);
      return data;
    };
    const runs = sides.map(({ lib, ctx }) => {
      const plan = lib[factory[l.op]](
        w,
        null,
        { stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups, ...(args.algorithm && { algorithm: args.algorithm }) },
        ctx,
      );
      const input = args.offset === undefined ? ctx.tensor(x.shape, x.data) : { data: placed(x.data.length, x.data), shape: x.shape, dispose() {} };
      const shape = plan.outputShape(x.shape);
      const size = shape.reduce((p, v) => p * v, 1);
      const out = { data: args.offset === undefined ? new Float32Array(size) : placed(size), shape };
      return { run: () => plan.run(input, out), plan, input, out, times: [] };
    });
    for (const r of runs) for (let i = 0; i < 3; i++) r.run();
    const cells = [];
    for (let i = 0; i < runs.length; i += 2) {
      const [ra, rb] = [runs[i], runs[i + 1]];
      let maxDiff = 0;
      for (let j = 0; j < ra.out.data.length; j++) maxDiff = Math.max(maxDiff, Math.abs(ra.out.data[j] - rb.out.data[j]));
      // Both sides compute the same sums in the same build; a large difference means one of them is wrong.
      if (!(maxDiff <= 1e-3)) throw new Error(`ab-builds: ${name} ${sides[i].build}: outputs differ by ${maxDiff}`);
    }
    const until = performance.now() + Number(args.seconds) * 1000;
    while (performance.now() < until) {
      for (const r of runs) {
        const t0 = performance.now();
        let n = 0;
        do {
          r.run();
          n++;
        } while (performance.now() < t0 + 30);
        r.times.push((performance.now() - t0) / n);
      }
    }
    for (let i = 0; i < runs.length; i += 2) {
      const [ra, rb] = [runs[i], runs[i + 1]];
      const gflops = (r) => (l.flops / (median(r.times) * 1e6)).toFixed(1);
      const ratio = median(ra.times.map((t, k) => t / rb.times[k]));
      cells.push(`${sides[i].build}: a ${gflops(ra)} b ${gflops(rb)} GFLOP/s, b/a ${ratio.toFixed(3)} (${ra.times.length} rounds)`);
    }
    console.log(`${name.padEnd(14)} ${cells.join(' | ')}  [${runs[1].plan.info.kernel}]`);
    for (const r of runs) {
      r.plan.dispose();
      r.input.dispose();
    }
  }
  process.exit(0);
}
