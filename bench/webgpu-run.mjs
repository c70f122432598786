// The WebGPU comparison's measuring loop, shared by Node (bench/webgpu.mjs) and the headless Chromium page
// (bench/webgpu-page/main.js): each library runs one layer end to end, host tensor in and host tensor out
// (upload, compute, readback: what a caller of each library's conv gets), after its output was checked against
// a float64 reference at sampled positions. Libraries:
//   simdconv:    initWebGPU, a plan per layer (plan.run awaits the result);
//   tfjs-webgpu: TF.js's WebGPU backend (NHWC; conv2d_mm_webgpu's implicit GEMM, 1x1 as MatMul), data() to read;
//   ort-webgpu:  ONNX Runtime Web's WebGPU execution provider on a one-node Conv model (NCHW in and out).
// No environment-specific import here: the caller passes each library's module (Node's or the page's bundle).
import { compareSampled, sampledReference } from './check.mjs';
import { makeTensors, outputShape } from './layers.mjs';
import { onnxModel } from './peers/onnx-model.mjs';

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const toChannelsLast = (tf, t) => tf.transpose(t, [0, ...t.shape.slice(2).map((_, i) => i + 2), 1]);

/** Each library's runner for a layer: { run(): Promise<Float32Array NCHW>, dispose() } or { unavailable }. */
const LIBRARIES = {
  async simdconv({ gpu }, l, x, w) {
    const create = gpu[`create${l.op[0].toUpperCase()}${l.op.slice(1)}`];
    const { stride, padding, dilation, groups } = l;
    const plan = create.call(gpu, w, null, { stride, padding, dilation, groups });
    return {
      run: async () => (await plan.run(x)).data,
      kernel: () => plan.info.kernel,
      dispose: () => plan.dispose(),
    };
  },
  async 'tfjs-webgpu'({ tf }, l, x, w) {
    if (l.op !== 'conv2d') return { unavailable: `TF.js's WebGPU backend has no ${l.op} kernel` };
    const depthwise = l.groups > 1 && l.groups === l.Cin;
    if (l.groups > 1 && !depthwise) return { unavailable: `TF.js has no grouped conv2d (groups=${l.groups})` };
    const channelsLast = tf.tidy(() => toChannelsLast(tf, tf.tensor(x.data, x.shape)));
    const hostInput = { data: await channelsLast.data(), shape: channelsLast.shape };
    channelsLast.dispose();
    const filter = tf.tidy(() =>
      depthwise
        ? tf.transpose(tf.reshape(tf.tensor(w.data, w.shape), [l.Cin, l.Cout / l.Cin, ...l.kernel]), [2, 3, 0, 1])
        : tf.transpose(tf.tensor(w.data, w.shape), [2, 3, 1, 0]),
    );
    const pad = [[0, 0], ...l.padding.map((p) => [p, p]), [0, 0]];
    const [N, C, OH, OW] = outputShape(l);
    return {
      async run() {
        // The host input goes up each call, as for the others; the result comes back NHWC and is reordered on
        // the host (outside what TF.js computes, but inside the timing: the others return NCHW themselves).
        const y = tf.tidy(() => {
          const xin = tf.tensor(hostInput.data, hostInput.shape);
          return depthwise ? tf.depthwiseConv2d(xin, filter, l.stride, pad, 'NHWC', l.dilation) : tf.conv2d(xin, filter, l.stride, pad, 'NHWC', l.dilation);
        });
        const nhwc = await y.data();
        y.dispose();
        const out = new Float32Array(nhwc.length);
        for (let n = 0; n < N; n++)
          for (let p = 0; p < OH * OW; p++) for (let c = 0; c < C; c++) out[(n * C + c) * OH * OW + p] = nhwc[(n * OH * OW + p) * C + c];
        return out;
      },
      dispose: () => filter.dispose(),
    };
  },
  async 'ort-webgpu'({ ort }, l, x, w) {
    const session = await ort.InferenceSession.create(onnxModel(l, w), { executionProviders: ['webgpu'] });
    const feeds = { x: new ort.Tensor('float32', x.data, x.shape) };
    return {
      run: async () => (await session.run(feeds)).y.data,
      dispose: () => session.release(),
    };
  },
};

/**
 * Runs every layer at every batch on every library: warm-up runs (the first compiles the pipelines), then the
 * median of `iterations` end-to-end runs. `log(line)` gets a progress line per result. Returns the rows.
 */
export async function compareWebGpu({ modules, layers, batches, warmup, iterations, log }) {
  const rows = [];
  // A library whose session or plan failed to start is not tried again (ONNX Runtime Web's WebGPU EP then
  // refuses every later session: "another WebGPU EP inference session is being created").
  const broken = {};
  for (const base of layers) {
    for (const N of batches) {
      const l = { ...base, N, name: `${base.name}-b${N}`, flops: (base.flops / base.N) * N };
      const { x, w } = makeTensors(l);
      const sample = sampledReference(l, x, w, 128);
      const row = { layer: base.name, batch: N, gflop: l.flops / 1e9, results: {} };
      for (const [name, make] of Object.entries(LIBRARIES)) {
        let peer;
        try {
          if (!modules[name === 'simdconv' ? 'gpu' : name === 'tfjs-webgpu' ? 'tf' : 'ort']) throw new Error('not loaded here');
          if (broken[name]) throw new Error(`failed on an earlier layer: ${broken[name]}`);
          try {
            peer = await make(modules, l, x, w);
          } catch (e) {
            broken[name] = String(e?.message ?? e).split('\n')[0];
            throw e;
          }
          if (peer.unavailable) {
            row.results[name] = { na: peer.unavailable };
            continue;
          }
          const wrong = compareSampled(l, await peer.run(), sample, 4);
          if (wrong) {
            row.results[name] = { na: wrong };
            continue;
          }
          for (let i = 1; i < warmup; i++) await peer.run();
          const times = [];
          for (let i = 0; i < iterations; i++) {
            const t = performance.now();
            await peer.run();
            times.push(performance.now() - t);
          }
          const ms = median(times);
          row.results[name] = { ms, gflops: l.flops / (ms * 1e6), ...(peer.kernel && { kernel: peer.kernel() }) };
        } catch (e) {
          row.results[name] = { na: String(e?.message ?? e).split('\n')[0] };
        } finally {
          try {
            await peer?.dispose?.();
          } catch {
            // measured already
          }
        }
        const r = row.results[name];
        log(`${l.name} ${name}: ${r.na ? `n/a (${r.na})` : `${r.ms.toFixed(2)} ms, ${r.gflops.toFixed(2)} GFLOP/s`}`);
      }
      const peers = ['tfjs-webgpu', 'ort-webgpu'].map((p) => row.results[p]).filter((r) => r && !r.na);
      const ours = row.results.simdconv;
      if (peers.length && ours && !ours.na) row.vsBestPeer = Math.min(...peers.map((p) => p.ms)) / ours.ms;
      rows.push(row);
    }
  }
  return rows;
}

/** The markdown table of compareWebGpu's rows. */
export function webGpuTable(rows) {
  const cell = (r) => (!r ? '' : r.na ? 'n/a' : `${r.ms.toFixed(2)} (${r.gflops.toFixed(1)})`);
  const lines = [
    '| layer | batch | GFLOP | simdconv ms (GFLOP/s) | TF.js WebGPU | ORT-web WebGPU | simdconv vs best peer |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.layer} | ${row.batch} | ${row.gflop.toPrecision(3)} | ${cell(row.results.simdconv)} | ${cell(row.results['tfjs-webgpu'])} | ${cell(row.results['ort-webgpu'])} | ${row.vsBestPeer ? `${row.vsBestPeer.toFixed(2)}x` : ''} |`,
    );
  }
  return lines.join('\n');
}
