// TensorFlow.js on its WebAssembly backend (XNNPACK). TF.js is NHWC with HWIO filters: layouts are
// converted once, outside the timed call, which is the conv op (NHWC in, NHWC out) + dataSync.
// XNNPACK serves Conv2D and DepthwiseConv2dNative; Conv3D and Conv2DBackpropInput (conv2dTranspose)
// are plain C++ loops in tfjs-backend-wasm 4.22, so those layers measure its slow paths.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeTensors, outputShape } from '../layers.mjs';

let ready;
function initBackend() {
  // Load the .wasm files from node_modules through the file system (no fetch, no network).
  const wasmFile = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  setWasmPaths(path.dirname(wasmFile) + path.sep);
  return tf.setBackend('wasm');
}

const toChannelsLast = (t) => tf.transpose(t, [0, ...t.shape.slice(2).map((_, i) => i + 2), 1]);
const toChannelsFirst = (t) => tf.transpose(t, [0, t.rank - 1, ...t.shape.slice(1, -1).map((_, i) => i + 1)]);

// Why a layer cannot be expressed with TF.js ops, or null.
function unsupported(l) {
  const depthwise = l.groups > 1 && l.groups === l.Cin;
  if (l.groups > 1 && !(depthwise && l.op === 'conv2d')) {
    return `TF.js has no grouped ${l.op} (groups=${l.groups}); only groups == Cin maps to tf.depthwiseConv2d`;
  }
  if (l.op === 'convTranspose2d' && l.dilation.some((d) => d !== 1)) return 'tf.conv2dTranspose has no dilation';
  if (l.op === 'conv3d' && l.padding.some((p) => p !== 0) && l.padding.some((p, i) => l.stride[i] !== 1 || 2 * p !== l.dilation[i] * (l.kernel[i] - 1))) {
    return "tf.conv3d takes only 'valid' or 'same' padding, and this padding is neither";
  }
  return null;
}

// TF.js's filter layout, from PyTorch's weight tensor.
function filterOf(l, w) {
  if (l.op === 'conv3d') return tf.transpose(w, [2, 3, 4, 1, 0]); // (Cout, Cin, kD, kH, kW) -> DHWIO
  // depthwise: (Cin * m, 1, kH, kW) -> (kH, kW, Cin, m); output channel c * m + j in both layouts.
  if (l.groups > 1) return tf.transpose(tf.reshape(w, [l.Cin, l.Cout / l.Cin, ...l.kernel]), [2, 3, 0, 1]);
  return tf.transpose(w, [2, 3, 1, 0]); // conv (Cout, Cin, kH, kW) -> HWIO; transposed (Cin, Cout, kH, kW) -> (kH, kW, Cout, Cin)
}

// The timed op: (channels-last input, filter) => channels-last output.
function convOp(l) {
  const strides = l.stride,
    dilations = l.dilation;
  const pad = [[0, 0], ...l.padding.map((p) => [p, p]), [0, 0]];
  if (l.op === 'conv3d') {
    const same = l.padding.some((p) => p !== 0);
    return (x, f) => tf.conv3d(x, f, strides, same ? 'same' : 'valid', 'NDHWC', dilations);
  }
  if (l.op === 'convTranspose2d') {
    const [N, Cout, OH, OW] = outputShape(l);
    return (x, f) => tf.conv2dTranspose(x, f, [N, OH, OW, Cout], strides, pad);
  }
  if (l.groups > 1) return (x, f) => tf.depthwiseConv2d(x, f, strides, pad, 'NHWC', dilations);
  return (x, f) => tf.conv2d(x, f, strides, pad, 'NHWC', dilations);
}

export async function createPeer(l, { threads }) {
  const name = 'tfjs-wasm';
  if (threads !== 1) {
    return { name, unavailable: 'single-threaded under Node: tfjs-backend-wasm turns WASM_HAS_MULTITHREAD_SUPPORT off when IS_NODE (tensorflow/tfjs#3830)' };
  }
  const reason = unsupported(l);
  if (reason) return { name, unavailable: reason };
  await (ready ??= initBackend());
  const { x, w } = makeTensors(l);
  const input = tf.tidy(() => toChannelsLast(tf.tensor(x.data, x.shape)));
  const filter = tf.tidy(() => filterOf(l, tf.tensor(w.data, w.shape)));
  const conv = convOp(l);
  const outShape = outputShape(l);
  const channelsLastShape = [outShape[0], ...outShape.slice(2), outShape[1]];
  return {
    name,
    run() {
      const y = conv(input, filter);
      const data = y.dataSync();
      y.dispose();
      return data;
    },
    toNCHW: (data) => tf.tidy(() => toChannelsFirst(tf.tensor(data, channelsLastShape)).dataSync()),
    dispose: () => tf.dispose([input, filter]),
  };
}
