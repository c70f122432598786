/**
 * Interpolation plans: options checked once, sampling tables per input shape (interpolate-shape.ts); the wasm
 * kernels (backends/wasm/interpolate-plan.ts) or the js backend's loops here. 'area' is adaptive average pooling
 * to the output size, run by a pooling plan of the same backend.
 */
import { ShapeCached, checkTensorBytes } from './plan.js';
import { type InterpolateGeometry, type InterpolateParams, resolveInterpolateGeometry } from './interpolate-shape.js';
import { to3d } from './shape.js';

export interface InterpolatePlanInfo {
  readonly backend: 'wasm' | 'js' | 'webgpu';
  readonly kernel: string;
  readonly workspaceBytes: number;
  readonly threads: number;
}

/** An interpolation plan (createInterpolate): any input of 3 to 5 dimensions the mode allows. */
export interface InterpolatePlan {
  readonly params: InterpolateParams;
  outputShape(inputShape: readonly number[]): number[];
  run(input: import('./types.js').Tensor, out?: import('./types.js').Tensor): import('./types.js').Tensor;
  readonly info: InterpolatePlanInfo;
  dispose(): void;
}

export abstract class InterpolatePlanBase<Prepared> extends ShapeCached<InterpolateGeometry, Prepared> implements InterpolatePlan {
  constructor(readonly params: InterpolateParams) {
    super();
  }

  abstract readonly info: InterpolatePlanInfo;

  protected resolve(shape: readonly number[]): InterpolateGeometry {
    return resolveInterpolateGeometry(this.params, shape);
  }

  protected outputOf(g: InterpolateGeometry): InterpolateGeometry {
    return g;
  }

  protected override checkResolved(shape: readonly number[], g: InterpolateGeometry): void {
    checkTensorBytes(shape, g.outputShape);
  }
}

/** The separable sum for one output (nested as PyTorch: innermost axis first), in float64. */
export function interpolateForward(g: InterpolateGeometry, x: Float32Array, out: Float32Array): void {
  const one = { taps: 1, index: new Int32Array(4), weight: Float32Array.of(1, 0, 0, 0) };
  const [ad, ah, aw] = [...new Array(3 - g.axes.length).fill(one), ...g.axes] as [typeof one, typeof one, typeof one];
  const [D, H, W] = to3d(g.inSize, 1);
  const [OD, OH, OW] = to3d(g.outSize, 1);
  const C = g.channels;
  const last = g.params.layout === 'channels-last';
  for (let n = 0; n < g.batch; n++)
    for (let c = 0; c < C; c++) {
      const xBase = last ? n * D * H * W * C + c : (n * C + c) * D * H * W;
      const yBase = last ? n * OD * OH * OW * C + c : (n * C + c) * OD * OH * OW;
      const step = last ? C : 1;
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let accD = 0;
            for (let a = 0; a < ad.taps; a++) {
              let accH = 0;
              for (let b = 0; b < ah.taps; b++) {
                let accW = 0;
                for (let t = 0; t < aw.taps; t++) {
                  const pos = (ad.index[od * 4 + a]! * H + ah.index[oh * 4 + b]!) * W + aw.index[ow * 4 + t]!;
                  accW += x[xBase + pos * step]! * aw.weight[ow * 4 + t]!;
                }
                accH += accW * ah.weight[oh * 4 + b]!;
              }
              accD += accH * ad.weight[od * 4 + a]!;
            }
            out[yBase + ((od * OH + oh) * OW + ow) * step] = accD;
          }
    }
}
