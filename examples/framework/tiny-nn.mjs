// A deliberately small neural-network "framework" that imports one op from simdconv, as a library author
// would: `simdconv/conv2d` is its Conv2d layer; everything else is plain JavaScript. A bundle of it holds
// simdconv's conv2d kernel paths and nothing else of simdconv.
import { init, createConv2d } from 'simdconv/conv2d';

export { init };

/** A tensor: { data: Float32Array, shape: number[] } (NCHW), the same structure simdconv takes. */

export class Conv2d {
  /** weight (Cout, Cin/groups, kH, kW), bias (Cout); options as torch.nn.Conv2d (stride, padding, ...). */
  constructor(weight, bias, options = {}) {
    this.weight = weight;
    this.bias = bias;
    this.options = options;
    this.plan = null; // made on first use: weights packed once, then reused for every forward
  }
  /** A ReLU right after a conv is fused into it (simdconv's `activation`). */
  fuse(activation) {
    this.options = { ...this.options, activation };
    return this;
  }
  forward(x) {
    this.plan ??= createConv2d(this.weight, this.bias, this.options);
    return this.plan.run(x);
  }
  dispose() {
    this.plan?.dispose();
  }
}

export class ReLU {
  forward(x) {
    return { data: x.data.map((v) => Math.max(v, 0)), shape: x.shape };
  }
}

export class MaxPool2d {
  constructor(k) {
    this.k = k;
  }
  forward({ data, shape: [N, C, H, W] }) {
    const k = this.k,
      OH = Math.floor(H / k),
      OW = Math.floor(W / k);
    const out = new Float32Array(N * C * OH * OW);
    for (let p = 0; p < N * C; p++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let m = -Infinity;
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) m = Math.max(m, data[(p * H + oy * k + dy) * W + ox * k + dx]);
          out[(p * OH + oy) * OW + ox] = m;
        }
    return { data: out, shape: [N, C, OH, OW] };
  }
}

export class Linear {
  constructor(weight, bias) {
    this.weight = weight; // (out, in)
    this.bias = bias;
  }
  forward({ data, shape }) {
    const [outF, inF] = this.weight.shape,
      N = shape[0];
    const out = new Float32Array(N * outF);
    for (let n = 0; n < N; n++)
      for (let o = 0; o < outF; o++) {
        let acc = this.bias.data[o];
        for (let i = 0; i < inF; i++) acc += this.weight.data[o * inF + i] * data[n * inF + i];
        out[n * outF + o] = acc;
      }
    return { data: out, shape: [N, outF] };
  }
}

/** Layers in order; a Conv2d followed by a ReLU becomes one fused conv. */
export class Sequential {
  constructor(...layers) {
    this.layers = [];
    for (const layer of layers) {
      const last = this.layers.at(-1);
      if (layer instanceof ReLU && last instanceof Conv2d && !last.options.activation) last.fuse('relu');
      else this.layers.push(layer);
    }
  }
  forward(x) {
    return this.layers.reduce((t, layer) => layer.forward(t), x);
  }
  dispose() {
    for (const layer of this.layers) layer.dispose?.();
  }
}
