// The benchmark tab: the repository's layer suite (bench/layers.mjs) in the visitor's browser, on the relaxed and
// SIMD128 builds, with threads (in the Worker) and on WebGPU, as GFLOP/s per layer.
import { createContext, createConv2d, createConv3d, createConvTranspose2d } from 'simdconv';
import { layers, makeTensors } from '../bench/layers.mjs';

const CREATE = { conv2d: createConv2d, conv3d: createConv3d, convTranspose2d: createConvTranspose2d };
const GPU_CREATE = { conv2d: 'createConv2d', conv3d: 'createConv3d', convTranspose2d: 'createConvTranspose2d' };
const COLORS = ['#4e79a7', '#a0cbe8', '#f28e2b', '#59a14f'];
const QUICK = ['lenet_c1', 'resnet_3x3', 'depthwise', 'transposed'];

const options = (l) => ({ stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const frame = () => new Promise((r) => setTimeout(r, 0));

/**
 * Median ms of one call, over samples of enough calls to last 2 ms each (browsers round performance.now() to
 * 5-100 us) and at least `minMs` in all. Shared with the Worker (threads-worker.js).
 */
export function timeCalls(call, minMs) {
  call();
  let reps = 1;
  for (let t0 = performance.now(); performance.now() - t0 < 2; reps++) call();
  const times = [];
  for (let total = 0; total < minMs || times.length < 3;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) call();
    const dt = performance.now() - t0;
    times.push(dt / reps);
    total += dt;
  }
  return median(times);
}

async function timeGpu(gpu, l, x, w, minMs) {
  const plan = gpu[GPU_CREATE[l.op]](w, null, options(l));
  try {
    await plan.run(x);
    const times = [];
    for (let total = 0; total < minMs || times.length < 3;) {
      const t0 = performance.now();
      await plan.run(x);
      const dt = performance.now() - t0;
      times.push(dt);
      total += dt;
    }
    return median(times);
  } finally {
    plan.dispose();
  }
}

function chart(rows, configs) {
  const left = 120,
    bar = 10,
    gap = 10,
    plotW = 520;
  const rowH = configs.length * bar + gap;
  const max = Math.max(1, ...rows.flatMap((r) => r.values.filter((v) => v != null)));
  const x = (v) => left + (v / max) * plotW;
  const height = 30 + rows.length * rowH + 30;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + plotW + 80}" height="${height}" font-family="sans-serif" font-size="11">`];
  rows.forEach((r, ri) => {
    const y0 = 20 + ri * rowH;
    parts.push(`<text x="${left - 6}" y="${y0 + (configs.length * bar) / 2 + 4}" text-anchor="end">${r.name}</text>`);
    r.values.forEach((v, ci) => {
      if (v == null) return;
      parts.push(
        `<rect x="${left}" y="${y0 + ci * bar}" width="${x(v) - left}" height="${bar - 2}" fill="${COLORS[ci]}"/>`,
        `<text x="${x(v) + 3}" y="${y0 + ci * bar + bar - 3}" font-size="9">${v.toFixed(1)}</text>`,
      );
    });
  });
  const ly = 20 + rows.length * rowH + 14;
  configs.forEach((c, ci) =>
    parts.push(
      `<rect x="${left + ci * 140}" y="${ly - 9}" width="10" height="10" fill="${COLORS[ci]}"/><text x="${left + ci * 140 + 14}" y="${ly}">${c}</text>`,
    ),
  );
  parts.push('</svg>');
  return parts.join('');
}

/** Runs the suite (or a quick subset) into `root`; returns GFLOP/s per layer and config. */
export async function benchmark(root, { gpu, threads, quick, features }) {
  const minMs = quick ? 30 : 300;
  const suite = quick ? layers.filter((l) => QUICK.includes(l.name)) : layers;
  const builds = [...(features.relaxedSimd ? ['relaxed'] : []), 'simd128'];
  const contexts = Object.fromEntries(await Promise.all(builds.map(async (b) => [b, await createContext({ build: b })])));
  const configs = [
    ...builds.map((b) => `${b}, 1 thread`),
    ...(threads.ready ? [`${threads.build}, ${threads.count} threads`] : []),
    ...(gpu ? ['WebGPU'] : []),
  ];
  const status = root.querySelector('.status');
  const rows = [];
  for (const l of suite) {
    status.textContent = `running ${l.name} (${rows.length + 1} of ${suite.length})…`;
    await frame();
    const { x, w } = makeTensors(l);
    const values = [];
    for (const b of builds) {
      const plan = CREATE[l.op](w, null, options(l), contexts[b]);
      const out = { data: new Float32Array(plan.outputShape(x.shape).reduce((p, v) => p * v, 1)), shape: plan.outputShape(x.shape) };
      values.push(l.flops / timeCalls(() => plan.run(x, out), minMs) / 1e6);
      plan.dispose();
      await frame();
    }
    if (threads.ready) values.push(l.flops / (await threads.bench(l.op, x, w, options(l), minMs)).ms / 1e6);
    if (gpu) values.push(l.flops / (await timeGpu(gpu, l, x, w, minMs)) / 1e6);
    rows.push({ name: l.name, values });
    root.querySelector('.chart').innerHTML = chart(rows, configs);
  }
  for (const c of Object.values(contexts)) c.dispose();
  status.textContent = `GFLOP/s per layer (higher is faster), median of runs over at least ${minMs} ms each. WebGPU includes upload and readback.`;
  return { configs, rows };
}
