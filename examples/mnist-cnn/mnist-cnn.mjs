// The lessons' CNN end to end, trained in PyTorch (train.py) and run with simdconv: predictions and logits for
// 32 test digits, checked against PyTorch's logits. Run: node examples/mnist-cnn/mnist-cnn.mjs
import { createContext } from 'simdconv';
import { createNetwork, loadModel } from './network.mjs';

const context = await createContext();
const { params, images, labels, logits: torchLogits, accuracy } = loadModel();
const net = createNetwork(params, context);

const logits = net.forward(images); // a batch of 32
const predicted = Array.from({ length: labels.length }, (_, n) => {
  const row = logits.data.subarray(n * 10, n * 10 + 10);
  return row.indexOf(Math.max(...row));
});
const correct = predicted.filter((p, n) => p === labels[n]).length;
let maxDiff = 0;
for (let i = 0; i < logits.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits.data[i] - torchLogits[i]));

// One image at a time gives the same logits as the batch.
const one = net.forward({ data: images.data.subarray(0, 784), shape: [1, 1, 28, 28] });

console.log(`backend ${context.backend} (${context.build}), layers: ${net.names.join(' -> ')}`);
console.log(`predicted ${predicted.slice(0, 16).join(' ')} ... labels ${labels.slice(0, 16).join(' ')} ...`);
console.log(`correct ${correct}/${labels.length} (PyTorch's test accuracy ${(accuracy * 100).toFixed(1)}%)`);
console.log(`max |logit - PyTorch| ${maxDiff.toExponential(2)}; batch 1 logits of image 0: [${Array.from(one.data, (v) => v.toFixed(3)).join(', ')}]`);
net.dispose();
context.dispose();
