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

/** Pads the image at byte offset `src` into `dst`, per the geometry's padding mode and layout. */
export function padImage(kernels: KernelExports, g: ConvGeometry, src: number, dst: number): void {
  const p = g.params;
  const [D, H, W] = to3d(g.inSize, 1);
  const [PD, PH, PW] = to3d(p.padBefore, 0);
  const [QD, QH, QW] = to3d(p.padAfter, 0);
  const [outer, inner] = p.layout === 'channels-last' ? [1, p.inChannels] : [p.inChannels, 1];
  kernels.pad_image(src, dst, outer, inner, D, H, W, PD, QD, PH, QH, PW, QW, MODE_CODE[p.paddingMode]);
}
