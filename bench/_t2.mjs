import * as ort from 'onnxruntime-web';
import { layers, makeTensors, inputShape } from './layers.mjs';
import { onnxModel } from './peers/onnx-model.mjs';
const l = layers.find(l => l.name === 'resnet_3x3');
const { x, w } = makeTensors(l);
for (const t of [1, 2]) {
  ort.env.wasm.numThreads = t;
  const s = await ort.InferenceSession.create(onnxModel(l, w), { executionProviders: ['wasm'], intraOpNumThreads: t });
  const feeds = { x: new ort.Tensor('float32', x.data, inputShape(l)) };
  for (let i = 0; i < 5; i++) await s.run(feeds);
  let t0 = performance.now(); const R = 20;
  for (let i = 0; i < R; i++) await s.run(feeds);
  console.log(t, ((performance.now() - t0) / R).toFixed(2), 'ms', ort.env.wasm.numThreads);
}
