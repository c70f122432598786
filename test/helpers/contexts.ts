/**
 * The contexts the op tests run on: the wasm builds (SIMD128, relaxed, 2 threads) and the js backend, and a
 * WebGPU context where there is an adapter (a failure under SIMDCONV_REQUIRE_WEBGPU=1, else a warning).
 */
import * as sc from '../../src/index.js';
import { type GpuContext, initWebGPU } from '../../src/webgpu.js';

export interface TestContexts {
  readonly contexts: Record<string, sc.Context>;
  readonly gpu: GpuContext | null;
  dispose(): void;
}

export async function testContexts(suite: string): Promise<TestContexts> {
  let gpu: GpuContext | null = null;
  try {
    gpu = await initWebGPU({ fallback: 'none' });
  } catch (e) {
    if (process.env.SIMDCONV_REQUIRE_WEBGPU === '1') throw e;
    console.warn(`${suite}: WebGPU left out (${(e as Error).message})`);
  }
  await sc.init();
  const contexts: Record<string, sc.Context> = {
    simd128: await sc.createContext({ build: 'simd128' }),
    relaxed: await sc.createContext({ build: 'relaxed' }),
    threads: await sc.createContext({ threads: 2 }),
    js: await sc.createContext({ backend: 'js' }),
  };
  return {
    contexts,
    gpu,
    dispose() {
      for (const c of Object.values(contexts)) c.dispose();
      gpu?.destroy();
    },
  };
}
