/**
 * The reflect / replicate / circular padding modes: one image is copied into a padded buffer
 * (assembly/pad.ts) so the convolution kernels only ever see zero padding.
 */
import { padsByCopy } from '../../lowering.js';
import type { ConvGeometry } from '../../shape.js';
import { to3d } from '../../shape.js';
import type { KernelExports } from './gen/kernels.js';
import { setArgs } from './kernel-args.js';
import type { WasmRuntime } from './runtime.js';

const MODE_CODE = { zeros: 0, reflect: 1, replicate: 2, circular: 3 } as const;

/** Whether the plan's padding mode needs a padded copy of each image (lowering.ts padsByCopy). */
export function needsPadCopy(g: ConvGeometry): boolean {
  return padsByCopy(g.params);
}

/**
 * Pads the image at byte offset `src` into `dst`, per the geometry's padding mode and layout. Once per image, on
 * a copy of the whole image: the struct's fields are rewritten each time.
 */
export function padImage(rt: WasmRuntime, g: ConvGeometry, src: number, dst: number): void {
  const p = g.params;
  const [D, H, W] = to3d(g.inSize, 1);
  const [PD0, PH0, PW0] = to3d(p.padBefore, 0);
  const [PD1, PH1, PW1] = to3d(p.padAfter, 0);
  const [outer, inner] = p.layout === 'channels-last' ? [1, p.inChannels] : [p.inChannels, 1];
  setArgs(rt.padArgs, { x: src, y: dst, outer, inner, D, H, W, PD0, PD1, PH0, PH1, PW0, PW1, mode: MODE_CODE[p.paddingMode] });
  rt.kernels.pad_image(rt.padArgs.ptr);
}

/** copy_into_padded's and copy_cl_into_padded_cf's geometry after their two pointers (assembly/direct.ts, layout.ts). */
export interface PaddedCopy {
  C: number;
  D: number;
  H: number;
  W: number;
  PD: number;
  PH: number;
  PW: number;
  Dp: number;
  Hp: number;
  SW: number;
  segW: number;
}

/** Copies a zero-padded image into `dst` (its borders already zero), split by width phase; from channels-last with `fromChannelsLast`. */
export function copyIntoPadded(kernels: KernelExports, fromChannelsLast: boolean, src: number, dst: number, c: PaddedCopy): void {
  const copy = fromChannelsLast ? kernels.copy_cl_into_padded_cf : kernels.copy_into_padded;
  copy(src, dst, c.C, c.D, c.H, c.W, c.PD, c.PH, c.PW, c.Dp, c.Hp, c.SW, c.segW);
}
