// onnxruntime-web on its WebAssembly backend (MLAS kernels, SIMD128), running a one-node model.
// Its thread count is fixed, process-wide, by the first session: the runner runs each thread count
// in its own process. Under Node its threads are worker_threads on a shared WebAssembly.Memory.
import * as ort from 'onnxruntime-web';
import { inputShape, makeTensors } from '../layers.mjs';
import { onnxModel } from './onnx-model.mjs';

let initThreads;

export async function createPeer(l, { threads }) {
  const name = 'ort-web';
  if (initThreads !== undefined && initThreads !== threads) {
    return { name, unavailable: `onnxruntime-web was initialised with ${initThreads} thread(s) in this process` };
  }
  initThreads = threads;
  ort.env.wasm.numThreads = threads;
  const { x, w } = makeTensors(l);
  const session = await ort.InferenceSession.create(onnxModel(l, w), { executionProviders: ['wasm'] });
  if (ort.env.wasm.numThreads !== threads) {
    await session.release();
    return { name, unavailable: `onnxruntime-web fell back to ${ort.env.wasm.numThreads} thread(s): no multi-threading here` };
  }
  const feeds = { x: new ort.Tensor('float32', x.data, inputShape(l)) };
  return {
    name,
    runAsync: async () => (await session.run(feeds)).y.data,
    dispose: () => session.release(),
  };
}
