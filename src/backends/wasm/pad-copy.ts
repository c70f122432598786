/**
 * The reflect / replicate / circular padding modes: one image is copied into a padded buffer
 * (assembly/pad.ts) so the convolution kernels only ever see zero padding.
 */
import type { ConvGeometry } from '../../shape.js';
import { to3d } from '../../shape.js';
import type { KernelExports } from './module.js';

const MODE_CODE = { zeros: 0, reflect: 1, replicate: 2, circular: 3 } as const;

/** Whether the plan's padding mode needs a padded copy of each image. */
export function needsPadCopy(g: ConvGeometry): boolean {
  return MODE_CODE[g.params.paddingMode] !== 0;
}

/**
 * pad_image's arguments after its two pointers, per geometry: plans keep one geometry per input shape, so
 * a run looks them up instead of building them (four small arrays a run).
 */
const padArgs = new WeakMap<ConvGeometry, readonly number[]>();

function padArgsFor(g: ConvGeometry): readonly number[] {
  let args = padArgs.get(g);
  if (!args) {
    const p = g.params;
    const [D, H, W] = to3d(g.inSize, 1);
    const [PD, PH, PW] = to3d(p.padBefore, 0);
    const [QD, QH, QW] = to3d(p.padAfter, 0);
    const [outer, inner] = p.layout === 'channels-last' ? [1, p.inChannels] : [p.inChannels, 1];
    args = [outer, inner, D, H, W, PD, QD, PH, QH, PW, QW, MODE_CODE[p.paddingMode]];
    padArgs.set(g, args);
  }
  return args;
}

/** Pads the image at byte offset `src` into `dst`, per the geometry's padding mode and layout. */
export function padImage(kernels: KernelExports, g: ConvGeometry, src: number, dst: number): void {
  const a = padArgsFor(g);
  kernels.pad_image(src, dst, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
}
