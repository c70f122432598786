/**
 * Pooling in plain JavaScript over the window tables of pool-shape.ts: the engine of the js backend's pooling
 * plans. Max pooling is exact (PyTorch's `v > best || isnan(v)` rule); averages sum in float64 and round once.
 */
import type { PoolGeometry } from './pool-shape.js';
import { to3d } from './shape.js';

/** Pools `x` (the geometry's input) into `out`, and the argmax positions into `indices` when given. */
export function poolForward(g: PoolGeometry, x: Float32Array, out: Float32Array, indices: Int32Array | null): void {
  const p = g.params;
  const [D, H, W] = to3d(g.inSize, 1);
  const [OD, OH, OW] = to3d(g.outSize, 1);
  const one = { start: Int32Array.of(0), count: Int32Array.of(1), factor: Int32Array.of(1) };
  const [wd, wh, ww] = [...new Array(3 - g.windows.length).fill(one), ...g.windows] as [typeof one, typeof one, typeof one];
  const [dD, dH, dW] = p.kind === 'max' ? to3d(p.dilation, 1) : [1, 1, 1];
  const C = g.channels;
  const last = p.layout === 'channels-last';
  const inPixels = D * H * W;
  const outPixels = OD * OH * OW;
  const isMax = p.kind === 'max' || p.kind === 'adaptive-max';
  for (let n = 0; n < g.batch; n++) {
    for (let c = 0; c < C; c++) {
      // Element (n, c, pixel) at base + pixel * step in either layout.
      const xBase = last ? n * inPixels * C + c : (n * C + c) * inPixels;
      const yBase = last ? n * outPixels * C + c : (n * C + c) * outPixels;
      const step = last ? C : 1;
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const [d0, h0, w0] = [wd.start[od]!, wh.start[oh]!, ww.start[ow]!];
            const [nd, nh, nw] = [wd.count[od]!, wh.count[oh]!, ww.count[ow]!];
            const y = yBase + ((od * OH + oh) * OW + ow) * step;
            if (isMax) {
              let best = -Infinity;
              let at = (d0 * H + h0) * W + w0;
              for (let kd = 0; kd < nd; kd++)
                for (let kh = 0; kh < nh; kh++)
                  for (let kw = 0; kw < nw; kw++) {
                    const pos = ((d0 + kd * dD) * H + h0 + kh * dH) * W + w0 + kw * dW;
                    const v = x[xBase + pos * step]!;
                    if (v > best || Number.isNaN(v)) {
                      best = v;
                      at = pos;
                    }
                  }
              out[y] = best;
              if (indices) indices[y] = at;
            } else {
              let sum = 0;
              for (let kd = 0; kd < nd; kd++)
                for (let kh = 0; kh < nh; kh++) for (let kw = 0; kw < nw; kw++) sum += x[xBase + (((d0 + kd) * H + h0 + kh) * W + w0 + kw) * step]!;
              const divisor = p.divisorOverride ?? wd.factor[od]! * wh.factor[oh]! * ww.factor[ow]!;
              out[y] = sum / divisor;
            }
          }
    }
  }
}
