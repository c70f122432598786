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
 * input, so that their convolution kernels only ever see zero padding (or none). 'same-upper' / 'same-lower'
 * parameters not yet resolved for an input shape may pad: a plan's choices made before any shape assume so.
 */
export function padsByCopy(p: ConvParams): boolean {
  return p.paddingMode !== 'zeros' && (hasPadding(p) || p.autoPad !== null);
}

/** One output phase r = o mod s on one axis: the taps t reaching it and the input offset of each (i = j + offset). */
export interface AxisPhase {
  readonly residue: number;
  readonly taps: readonly number[];
  readonly offsets: readonly number[];
}

/**
 * The stride phases of a transposed convolution on one axis (kernel k, stride s, dilation d, padding p):
 * y[o] += x[i] w[t] for o = i*s - p + t*d. Phase r holds the outputs o = r + s*j; the taps reaching it are the
 * t with (r + p - t*d) divisible by s, each reading input i = j + (r + p - t*d) / s. So every phase is a
 * stride-1 correlation with a sub-kernel: no zero insertion, no scatter (assembly/transposed.ts, webgpu/lower.ts).
 * Only the phases with a tap are listed (at most k, by residue): the others hold bias only, and there are up to
 * s of them, which must not size anything (#30.1).
 */
export function axisPhases(k: number, s: number, d: number, p: number): AxisPhase[] {
  const byResidue = new Map<number, { taps: number[]; offsets: number[] }>();
  for (let t = 0; t < k; t++) {
    const r = (((t * d - p) % s) + s) % s;
    let phase = byResidue.get(r);
    if (!phase) byResidue.set(r, (phase = { taps: [], offsets: [] }));
    phase.taps.push(t);
    phase.offsets.push((r + p - t * d) / s);
  }
  return [...byResidue.entries()].sort((a, b) => a[0] - b[0]).map(([residue, phase]) => ({ residue, ...phase }));
}

/** Whether some output position on an axis of `outSize` positions falls in a phase without taps. */
export function hasTaplessPhase(phases: readonly AxisPhase[], s: number, outSize: number): boolean {
  const reached = Math.min(s, outSize);
  return phases.filter((ph) => ph.residue < reached).length < reached;
}
