/**
 * Lowering shared by the wasm and WebGPU backends: what a resolved convolution (shape.ts ConvParams) means for
 * a kernel, whatever runs it. Shape math and validation stay in shape.ts (to3d puts 1-D and 2-D on the 3-D
 * axes both backends use); the backends' own lowerings (src/backends/wasm/*-plan.ts, webgpu/lower.ts) build on
 * these predicates and on the stride phases of a transposed convolution.
 */
import type { ConvParams } from './shape.js';

/** groups = Cin > 1, one input channel per group (any channel multiplier): the dedicated depthwise kernels. */
export function isDepthwise(p: ConvParams): boolean {
  return !p.transposed && p.groups > 1 && p.inChannels === p.groups;
}

/** Any padding at all, on any side of any axis. */
export function hasPadding(p: ConvParams): boolean {
  return p.padBefore.some((v) => v > 0) || p.padAfter.some((v) => v > 0);
}

/**
 * A reflect / replicate / circular padding that pads something: both backends run it on a padded copy of the
 * input, so that their convolution kernels only ever see zero padding (or none).
 */
export function padsByCopy(p: ConvParams): boolean {
  return p.paddingMode !== 'zeros' && hasPadding(p);
}

/** One output phase r = o mod s on one axis: the taps t reaching it and the input offset of each (i = j + offset). */
export interface AxisPhase {
  readonly taps: readonly number[];
  readonly offsets: readonly number[];
}

/**
 * The stride phases of a transposed convolution on one axis (kernel k, stride s, dilation d, padding p):
 * y[o] += x[i] w[t] for o = i*s - p + t*d. Phase r holds the outputs o = r + s*j; the taps reaching it are the
 * t with (r + p - t*d) divisible by s, each reading input i = j + (r + p - t*d) / s. So every phase is a
 * stride-1 correlation with a sub-kernel: no zero insertion, no scatter (assembly/transposed.ts, webgpu/lower.ts).
 */
export function axisPhases(k: number, s: number, d: number, p: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const taps: number[] = [];
    const offsets: number[] = [];
    for (let t = 0; t < k; t++) {
      const v = r + p - t * d;
      if (((v % s) + s) % s === 0) {
        taps.push(t);
        offsets.push(v / s);
      }
    }
    phases.push({ taps, offsets });
  }
  return phases;
}
