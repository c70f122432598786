/**
 * Every backend an op runs on, as one call shape: the wasm builds (SIMD128, relaxed, 2 threads) and the js
 * backend through a plan on their own context, and WebGPU (Dawn on lavapipe in CI) through its context. Without
 * an adapter WebGPU is left out with a warning, or fails the suite under SIMDCONV_REQUIRE_WEBGPU=1.
 */
import * as sc from '../../src/index.js';
import type { Tensor } from '../../src/types.js';
import { type GpuContext, initWebGPU } from '../../src/webgpu.js';

/** Runs op `name` ('conv2d', 'convTranspose1d', ...) as `sc[name](x, w, b, options)` would. */
export type Runner = (op: string, x: Tensor, w: Tensor, b: Tensor | null, options: object) => Promise<Tensor>;

export interface Backends {
  readonly runners: Record<string, Runner>;
  readonly gpu: GpuContext | null;
  destroy(): void;
}

const createName = (op: string) => `create${op[0]!.toUpperCase()}${op.slice(1)}`;

export async function allBackends(): Promise<Backends> {
  await sc.init();
  const runners: Record<string, Runner> = {};
  for (const [name, options] of [
    ['simd128', { build: 'simd128' }],
    ['relaxed', { build: 'relaxed' }],
    ['threads', { threads: 2 }],
    ['js', { backend: 'js' }],
  ] as const) {
    const ctx = await sc.createContext(options);
    runners[name] = async (op, x, w, b, o) => {
      const create = (sc as unknown as Record<string, (...a: unknown[]) => sc.ConvPlan>)[createName(op)]!;
      const plan = create(w, b, o, ctx);
      try {
        return plan.run(x);
      } finally {
        plan.dispose();
      }
    };
  }
  let gpu: GpuContext | null = null;
  try {
    gpu = await initWebGPU({ fallback: 'none' });
    runners.webgpu = (op, x, w, b, o) => (gpu![op as 'conv2d'] as (...a: unknown[]) => Promise<Tensor>)(x, w, b, o);
  } catch (e) {
    if (process.env.SIMDCONV_REQUIRE_WEBGPU === '1') throw e;
    console.warn(`WebGPU left out of these tests: ${(e as Error).message}`);
  }
  return { runners, gpu, destroy: () => gpu?.destroy() };
}
