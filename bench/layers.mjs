// The benchmark's layer suite, as data, plus the shapes and deterministic tensors every peer uses.
// stride/padding/dilation are per spatial dimension; weights use PyTorch's layout:
// conv (Cout, Cin/groups, ...kernel), transposed conv (Cin, Cout/groups, ...kernel). No bias.

const prod = (a) => a.reduce((p, v) => p * v, 1);

export function outSpatial({ op, spatial, kernel, stride, padding, dilation }) {
  return spatial.map((n, i) => {
    const span = dilation[i] * (kernel[i] - 1) + 1;
    return op === 'convTranspose2d' ? (n - 1) * stride[i] - 2 * padding[i] + span : Math.floor((n + 2 * padding[i] - span) / stride[i]) + 1;
  });
}

export const inputShape = (l) => [l.N, l.Cin, ...l.spatial];
export const outputShape = (l) => [l.N, l.Cout, ...outSpatial(l)];
export const weightShape = (l) => (l.op === 'convTranspose2d' ? [l.Cin, l.Cout / l.groups, ...l.kernel] : [l.Cout, l.Cin / l.groups, ...l.kernel]);

export function layer(name, op, N, Cin, Cout, spatial, kernel, { stride = 1, padding = 0, dilation = 1, groups = 1 } = {}) {
  const perDim = (v) => (Array.isArray(v) ? v : spatial.map(() => v));
  const l = { name, op, N, Cin, Cout, spatial, kernel, stride: perDim(stride), padding: perDim(padding), dilation: perDim(dilation), groups };
  const macs =
    op === 'convTranspose2d' ? N * Cin * (Cout / groups) * prod(spatial) * prod(kernel) : N * Cout * prod(outSpatial(l)) * (Cin / groups) * prod(kernel);
  return { ...l, flops: 2 * macs };
}

export const layers = [
  layer('lenet_c1', 'conv2d', 1, 1, 6, [28, 28], [5, 5]),
  layer('resnet_stem', 'conv2d', 1, 3, 64, [224, 224], [7, 7], { stride: 2, padding: 3 }),
  layer('resnet_3x3', 'conv2d', 1, 64, 64, [56, 56], [3, 3], { padding: 1 }),
  layer('pointwise', 'conv2d', 1, 256, 256, [28, 28], [1, 1]),
  layer('depthwise', 'conv2d', 1, 144, 144, [56, 56], [3, 3], { padding: 1, groups: 144 }),
  layer('grouped', 'conv2d', 1, 128, 128, [56, 56], [3, 3], { padding: 1, groups: 32 }),
  layer('dilated', 'conv2d', 1, 64, 64, [64, 64], [3, 3], { padding: 2, dilation: 2 }),
  layer('sep_spatial', 'conv2d', 1, 32, 64, [214, 214], [3, 1]),
  layer('transposed', 'convTranspose2d', 1, 128, 64, [32, 32], [4, 4], { stride: 2, padding: 1 }),
  layer('conv3d', 'conv3d', 1, 64, 64, [8, 28, 28], [3, 3, 3], { padding: 1 }),
  layer('resnet_3x3_b8', 'conv2d', 8, 64, 64, [56, 56], [3, 3], { padding: 1 }),
];

// Not in the suite: layers whose channel planes are odd (147x147, 149x149, 55x55, 227x227 inputs), for A/B runs
// of the copies into and out of wasm memory (bench/ab-builds.mjs --offset; src/backends/wasm/output-bands.ts).
export const extraLayers = [
  layer('inception_stem', 'conv2d', 1, 3, 32, [299, 299], [3, 3], { stride: 2 }),
  layer('odd_147', 'conv2d', 1, 32, 64, [147, 147], [3, 3], { padding: 1 }),
  layer('depthwise_147', 'conv2d', 1, 144, 144, [147, 147], [3, 3], { padding: 1, groups: 144 }),
  layer('alexnet_c1', 'conv2d', 1, 3, 96, [227, 227], [11, 11], { stride: 4 }),
  layer('odd_55_b3', 'conv2d', 3, 64, 64, [55, 55], [3, 3], { padding: 1 }),
  layer('transposed_27', 'convTranspose2d', 1, 64, 32, [27, 27], [4, 4], { stride: 2, padding: 1 }),
];

// mulberry32, seeded from the layer name so that any subset of layers sees the same data.
function random(seedText) {
  let s = [...seedText].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193), 0x811c9dc5);
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 8) / 2 ** 23 - 1; // exact float32 in [-1, 1)
  };
}

const filled = (shape, next) => Float32Array.from({ length: prod(shape) }, next);

/** { x, w }: NC[D]HW input and PyTorch-layout weight, both { data: Float32Array, shape }. */
export function makeTensors(l) {
  const next = random(l.name);
  const x = { data: filled(inputShape(l), next), shape: inputShape(l) };
  const w = { data: filled(weightShape(l), next), shape: weightShape(l) };
  return { x, w };
}
