// onnxruntime-node: ONNX Runtime's native CPU build (MLAS with AVX2/AVX-512), the native ceiling.
import ort from 'onnxruntime-node';
import { inputShape, makeTensors } from '../layers.mjs';
import { onnxModel } from './onnx-model.mjs';

export async function createPeer(l, { threads }) {
  const { x, w } = makeTensors(l);
  const session = await ort.InferenceSession.create(onnxModel(l, w), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = { x: new ort.Tensor('float32', x.data, inputShape(l)) };
  return {
    name: 'ort-node',
    runAsync: async () => (await session.run(feeds)).y.data,
    dispose: () => session.release(),
  };
}
