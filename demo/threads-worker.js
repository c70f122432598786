// The playground's wasm-threads runs: simdconv with threads inside a Worker (a page's main thread may not block,
// and threads wait in Atomics.wait). It runs a variant's steps as plain convolutions and reports the time.
// No top-level await: Vite emits workers as classic scripts.
import { channelShuffle, createContext, createConv2d, createConv3d, createConvTranspose2d } from 'simdconv';
import { timeCalls } from './bench.js';

const CREATE = { conv2d: createConv2d, conv3d: createConv3d, convTranspose2d: createConvTranspose2d };
let context = null;

/** One call of the steps as a user makes it (each plan made, run once, disposed), timed as the page times its calls. */
function runSteps(steps, input) {
  let threads = 1;
  const once = () =>
    steps.reduce((x, s) => {
      if (s.shuffle) return channelShuffle(x, s.shuffle);
      const plan = CREATE[s.op](s.weight, null, s.options, context);
      const y = plan.run(x);
      threads = Math.max(threads, plan.info.threads ?? 1);
      plan.dispose();
      return y;
    }, input);
  let y = once();
  const times = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    y = once();
    times.push(performance.now() - t0);
  }
  return { y, ms: times.sort((a, b) => a - b)[2], threads };
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      context = await createContext({ threads: 'auto', build: data.build });
      self.postMessage({ type: 'ready', threads: context.threads });
      return;
    }
    if (data.type === 'bench') {
      const { op, x, w, options, minMs } = data;
      const plan = CREATE[op](w, null, options, context);
      const out = { data: new Float32Array(plan.outputShape(x.shape).reduce((a, b) => a * b, 1)), shape: plan.outputShape(x.shape) };
      const ms = timeCalls(() => plan.run(x, out), minMs);
      const threads = plan.info.threads ?? 1;
      plan.dispose();
      self.postMessage({ id: data.id, ms, threads });
      return;
    }
    const { y, ms, threads } = runSteps(data.steps, data.input);
    self.postMessage({ id: data.id, y, ms, threads });
  } catch (e) {
    self.postMessage({ id: data.id, type: data.type === 'init' ? 'ready' : undefined, error: `${e.name}: ${e.message}` });
  }
};
