// simdconv with threads, inside a Worker. No top-level await: Vite emits workers as classic scripts by default.
import { createContext, createConv2d } from 'simdconv';

const random = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const weight = { data: random(64 * 32 * 9), shape: [64, 32, 3, 3] };
const input = { data: random(32 * 112 * 112), shape: [1, 32, 112, 112] };

function time(ctx) {
  const plan = createConv2d(weight, null, { padding: 1 }, ctx);
  plan.run(input); // first run: workspaces
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) plan.run(input);
  const ms = (performance.now() - t0) / 5;
  const threads = plan.info.threads ?? 1;
  plan.dispose();
  return { ms, threads };
}

async function main() {
  const one = await createContext({ threads: 1 });
  const many = await createContext({ threads: 'auto' }); // the core count, at most 8
  const a = time(one);
  const b = time(many);
  many.dispose();
  return { one: a.ms, many: b.ms, threads: b.threads, contextThreads: many.threads };
}

main().then(
  (result) => self.postMessage(result),
  (e) => self.postMessage({ error: `${e.name}: ${e.message}` }),
);
