/**
 * Lowering of a resolved convolution (shape.ts's ConvParams / ConvGeometry) to the WebGPU kernels' data:
 * pure CPU code with no WebGPU calls, so it is unit-tested without an adapter (test/webgpu-lowering.test.ts
 * runs the lowered GEMM on the CPU with the kernel's exact index math).
 *
 * One formulation serves convolution and transposed convolution, for 1-D/2-D/3-D (all handled as 3-D with
 * leading size-1 axes) and both layouts: an implicit GEMM per group and per "phase",
 *
 *     Y[m, co] = clamp(bias[co] + sum_k A[m, k] * B[k, co]),
 *
 * where m runs over an output grid q (and the batch), k over (reduction channel c, tap j), and per axis
 *     input position  = q * inStride + off(j)      (zero when outside the input: zero padding for free),
 *     output position = outBase + q * outStride.
 * - Convolution: one phase, inStride = stride, off(j) = t * dilation - padBefore, outBase 0, outStride 1.
 * - Transposed convolution, by stride-phase decomposition: output positions o with the same residue o0 = o mod
 *   stride (per axis) receive exactly the taps t with (o0 + pad - t * dilation) divisible by stride, each from
 *   input i = q + (o0 + pad - t * dilation) / stride. So each residue class is a stride-1 gather convolution
 *   with its own sub-kernel: outBase = o0, outStride = stride, inStride = 1. Phases write disjoint outputs, so
 *   there is no scatter and no atomics. A phase with no taps writes clamp(bias).
 * The per-k data (c, offD, offH, offW) is a small table (`kinfo`), so the kernel's inner loop has no divisions.
 * B is packed once per plan as [phase][group][Kp][Np] (K padded to the K tile, Cout/groups to the N tile, with
 * zeros), so the kernel loads B as vec4 without bounds checks.
 */
import { axisPhases, padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';

export type Vec3 = readonly [number, number, number];

/** Output pixels per workgroup tile (M), reduction step (K). N (output channels) is 16, 32 or 64 per plan. */
export const TILE_M = 64;
export const TILE_K = 16;
export type TileN = 16 | 32 | 64;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Non-zero padding modes are applied by a pad kernel first; the convolution then reads the padded copy. */
export const needsPadPass = padsByCopy;

export interface GemmPhase {
  /** First output index per axis: the residue class this phase writes (0 for a convolution). */
  readonly o0: Vec3;
  /** Reduction length: channels per group x taps of this phase (0: the phase writes clamp(bias)). */
  readonly K: number;
  /** Index of this phase's first entry in `kinfo`. */
  readonly kOffset: number;
  /** Index (in vec4) of this phase's first B panel in `packedB`; group g starts at bOffset + g * groupStride. */
  readonly bOffset: number;
  readonly groupStride: number;
}

export interface GemmWeights {
  readonly tileN: TileN;
  /** Output channels per group rounded up to tileN: the row length of packed B. */
  readonly Np: number;
  readonly channelsLast: boolean;
  /** Channels-last with Cin/groups % 4 == 0: A is loaded as vec4 along the reduction (4 channels, one tap). */
  readonly vec4A: boolean;
  readonly prePad: boolean;
  readonly groups: number;
  /** Reduction channels per group (input channels / groups, for both conv and transposed). */
  readonly cinPerGroup: number;
  readonly coutPerGroup: number;
  readonly phases: readonly GemmPhase[];
  /** 4 int32 per reduction index: (channel within group, offD, offH, offW). */
  readonly kinfo: Int32Array;
  /** [phase][group][Kp][Np] row-major, zero padded. */
  readonly packedB: Float32Array;
}

export function chooseTileN(coutPerGroup: number): TileN {
  return coutPerGroup <= 16 ? 16 : coutPerGroup <= 32 ? 32 : 64;
}

interface PhaseTaps {
  readonly o0: Vec3;
  /** Per tap: kernel index (flattened over kD, kH, kW) and input offsets per axis. */
  readonly taps: ReadonlyArray<{ readonly index: number; readonly off: Vec3 }>;
}

function convTaps(p: ConvParams, prePad: boolean): PhaseTaps[] {
  const k = to3d(p.kernel, 1);
  const dl = to3d(p.dilation, 1);
  const pb = prePad ? [0, 0, 0] : to3d(p.padBefore, 0);
  const taps: Array<{ index: number; off: Vec3 }> = [];
  for (let td = 0; td < k[0]; td++)
    for (let th = 0; th < k[1]; th++)
      for (let tw = 0; tw < k[2]; tw++) {
        taps.push({ index: (td * k[1] + th) * k[2] + tw, off: [td * dl[0] - pb[0]!, th * dl[1] - pb[1]!, tw * dl[2] - pb[2]!] });
      }
  return [{ o0: [0, 0, 0], taps }];
}

/** Stride-phase decomposition of a transposed convolution: one entry per output residue class. */
function transposedTaps(p: ConvParams): PhaseTaps[] {
  const k = to3d(p.kernel, 1);
  const st = to3d(p.stride, 1);
  const dl = to3d(p.dilation, 1);
  const pad = to3d(p.padBefore, 0);
  // Per axis, the residues o0 with taps: the t with (o0 + pad - t * d) divisible by s, and the input offset.
  // Outputs in the other residues hold the bias only: lowerGemmShape fills them first (a phase without taps).
  const perAxis = [0, 1, 2].map((a) =>
    axisPhases(k[a]!, st[a]!, dl[a]!, pad[a]!).map((ph) => ({ r: ph.residue, taps: ph.taps.map((t, i) => ({ t, off: ph.offsets[i]! })) })),
  );
  const phases: PhaseTaps[] = [];
  for (const pd of perAxis[0]!)
    for (const ph of perAxis[1]!)
      for (const pw of perAxis[2]!) {
        const taps: Array<{ index: number; off: Vec3 }> = [];
        for (const a of pd.taps)
          for (const b of ph.taps) for (const c of pw.taps) taps.push({ index: (a.t * k[1] + b.t) * k[2] + c.t, off: [a.off, b.off, c.off] });
        phases.push({ o0: [pd.r, ph.r, pw.r], taps });
      }
  return phases;
}

/** Packs the weights and the reduction table once per plan. */
export function lowerGemmWeights(p: ConvParams): GemmWeights {
  const prePad = needsPadPass(p);
  const groups = p.groups;
  const cinPerGroup = p.inChannels / groups;
  const coutPerGroup = p.outChannels / groups;
  const channelsLast = p.layout === 'channels-last';
  const tileN = chooseTileN(coutPerGroup);
  const Np = roundUp(coutPerGroup, tileN);
  const T = shapeSize(p.kernel);
  const w = p.weight.data;
  const phaseTaps = p.transposed ? transposedTaps(p) : convTaps(p, prePad);

  let kTotal = 0;
  let bTotal = 0;
  const sized = phaseTaps.map((ph) => {
    const K = cinPerGroup * ph.taps.length;
    const Kp = roundUp(K, TILE_K);
    const phase: GemmPhase = { o0: ph.o0, K, kOffset: kTotal, bOffset: bTotal / 4, groupStride: (Kp * Np) / 4 };
    kTotal += K;
    bTotal += groups * Kp * Np;
    return { ph, phase, Kp };
  });
  const kinfo = new Int32Array(Math.max(kTotal, 1) * 4);
  const packedB = new Float32Array(Math.max(bTotal, 4));
  for (const { ph, phase, Kp } of sized) {
    const nTaps = ph.taps.length;
    for (let k = 0; k < phase.K; k++) {
      // Reduction order: (channel, tap) for channels-first, (tap, channel) for channels-last (contiguous channels).
      const c = channelsLast ? k % cinPerGroup : Math.floor(k / nTaps);
      const j = channelsLast ? Math.floor(k / cinPerGroup) : k % nTaps;
      const tap = ph.taps[j]!;
      kinfo.set([c, tap.off[0], tap.off[1], tap.off[2]], (phase.kOffset + k) * 4);
      for (let g = 0; g < groups; g++) {
        const row = phase.bOffset * 4 + g * Kp * Np + k * Np;
        for (let co = 0; co < coutPerGroup; co++) {
          // conv weight (Cout, Cin/groups, *k); transposed weight (Cin, Cout/groups, *k).
          const src = p.transposed ? ((g * cinPerGroup + c) * coutPerGroup + co) * T + tap.index : ((g * coutPerGroup + co) * cinPerGroup + c) * T + tap.index;
          packedB[row + co] = w[src]!;
        }
      }
    }
  }
  return {
    tileN,
    Np,
    channelsLast,
    vec4A: channelsLast && cinPerGroup % 4 === 0,
    prePad,
    groups,
    cinPerGroup,
    coutPerGroup,
    phases: sized.map((s) => s.phase),
    kinfo,
    packedB,
  };
}

/** Workgroup size of the GEMM kernel: one invocation per 4 x 4 register tile. */
export function gemmWorkgroupSize(tileN: TileN): number {
  return (TILE_M / 4) * (tileN / 4);
}

/** Passes of the workgroup over the A tile (TILE_K x TILE_M elements, or vec4 of 4 reductions). */
export function gemmLoadPasses(w: Pick<GemmWeights, 'tileN' | 'vec4A'>): number {
  return ((w.vec4A ? TILE_K / 4 : TILE_K) * TILE_M) / gemmWorkgroupSize(w.tileN);
}

export interface GemmDispatch {
  readonly phase: GemmPhase;
  /** Output pixels of this dispatch (batch x grid). */
  readonly M: number;
  readonly qGrid: Vec3;
  readonly inStride: Vec3;
  readonly outBase: Vec3;
  readonly outStride: Vec3;
  readonly mTiles: number;
  readonly nTiles: number;
}

export interface GemmShape {
  /** Input extent the kernel reads: the padded copy's when a pad pass runs first. */
  readonly inSize: Vec3;
  readonly outSize: Vec3;
  readonly dispatches: readonly GemmDispatch[];
}

/** Per input shape: the output grid of each phase (phases with no output position are dropped). */
export function lowerGemmShape(w: GemmWeights, g: ConvGeometry): GemmShape {
  const p = g.params;
  const inSize = paddedInSize(g);
  const outSize = to3d(g.outSize, 1);
  const st = to3d(p.stride, 1);
  const nTiles = w.Np / w.tileN;
  const dispatches: GemmDispatch[] = [];
  // Transposed outputs in a residue with no taps (stride above the kernel's reach) hold the bias: one phase
  // without taps over every output writes it first, and the phases with taps overwrite theirs (dispatches run
  // in order). Bounded by the output, whatever the stride.
  const reach = (a: number) => Math.min(st[a]!, outSize[a]!);
  const tapless = p.transposed && [0, 1, 2].some((a) => new Set(w.phases.map((ph) => ph.o0[a]!).filter((r) => r < reach(a))).size < reach(a));
  if (tapless) {
    const M = g.batch * outSize[0] * outSize[1] * outSize[2];
    const fill: GemmPhase = { o0: [0, 0, 0], K: 0, kOffset: 0, bOffset: 0, groupStride: w.phases[0]?.groupStride ?? 0 };
    dispatches.push({ phase: fill, M, qGrid: outSize, inStride: [1, 1, 1], outBase: [0, 0, 0], outStride: [1, 1, 1], mTiles: Math.ceil(M / TILE_M), nTiles });
  }
  for (const phase of w.phases) {
    const qGrid = p.transposed
      ? ([0, 1, 2].map((a) => (phase.o0[a]! < outSize[a]! ? Math.ceil((outSize[a]! - phase.o0[a]!) / st[a]!) : 0)) as unknown as Vec3)
      : outSize;
    const M = g.batch * qGrid[0] * qGrid[1] * qGrid[2];
    if (M === 0) continue;
    dispatches.push({
      phase,
      M,
      qGrid,
      inStride: p.transposed ? [1, 1, 1] : st,
      outBase: phase.o0,
      outStride: p.transposed ? st : [1, 1, 1],
      mTiles: Math.ceil(M / TILE_M),
      nTiles,
    });
  }
  return { inSize, outSize, dispatches };
}

/** The input extent the convolution kernel reads (the pad pass's output size when there is one). */
export function paddedInSize(g: ConvGeometry): Vec3 {
  const p = g.params;
  const inSize = to3d(g.inSize, 1);
  if (!needsPadPass(p)) return inSize;
  const pb = to3d(p.padBefore, 0);
  const pa = to3d(p.padAfter, 0);
  return [inSize[0] + pb[0] + pa[0], inSize[1] + pb[1] + pa[1], inSize[2] + pb[2] + pa[2]];
}

/** Uniform block of the GEMM kernel (12 x vec4, see shaders/gemm.ts `Params`). */
export const GEMM_UNIFORM_BYTES = 12 * 16;

export function gemmUniforms(w: GemmWeights, g: ConvGeometry, s: GemmShape, d: GemmDispatch): ArrayBuffer {
  const p = g.params;
  const buf = new ArrayBuffer(GEMM_UNIFORM_BYTES);
  const i = new Int32Array(buf);
  const f = new Float32Array(buf);
  const prod = (v: Vec3): number => v[0] * v[1] * v[2];
  i.set([...s.inSize, prod(s.inSize)], 0);
  i.set([...d.inStride, 0], 4);
  i.set([...d.qGrid, prod(d.qGrid)], 8);
  i.set([...d.outBase, 0], 12);
  i.set([...d.outStride, 0], 16);
  i.set([...s.outSize, prod(s.outSize)], 20);
  i.set([d.M, d.phase.K, w.coutPerGroup, w.cinPerGroup], 24);
  i.set([p.inChannels, p.outChannels, d.phase.kOffset, d.phase.bOffset], 28);
  i.set([d.mTiles, d.nTiles, w.groups, d.phase.groupStride], 32);
  i.set([w.Np / 4, 0, 0, 0], 36);
  i.set([gemmLoadPasses(w), TILE_K / 4, 0, 0], 40);
  f.set([p.clamp.min, p.clamp.max, 0, 0], 44);
  return buf;
}

/** Depthwise kernel: uniforms (8 x vec4, see shaders/depthwise.ts) and weights. */
export const DEPTHWISE_UNIFORM_BYTES = 8 * 16;

export interface DepthwiseWeights {
  /** Channels-last, channel multiplier 1, C % 4 == 0: four channels per invocation, vec4 loads. */
  readonly vec4: boolean;
  readonly prePad: boolean;
  /** vec4: [tap][C]; scalar: the PyTorch layout (Cout, 1, *k) as is. */
  readonly weights: Float32Array;
}

export function lowerDepthwiseWeights(p: ConvParams): DepthwiseWeights {
  const C = p.outChannels;
  const vec4 = p.layout === 'channels-last' && C === p.inChannels && C % 4 === 0;
  const T = shapeSize(p.kernel);
  let weights = p.weight.data;
  if (vec4) {
    weights = new Float32Array(C * T);
    for (let c = 0; c < C; c++) for (let j = 0; j < T; j++) weights[j * C + c] = p.weight.data[c * T + j]!;
  }
  return { vec4, prePad: needsPadPass(p), weights };
}

export function depthwiseUniforms(dw: DepthwiseWeights, g: ConvGeometry): { data: ArrayBuffer; invocations: number } {
  const p = g.params;
  const inSize = paddedInSize(g);
  const outSize = to3d(g.outSize, 1);
  const buf = new ArrayBuffer(DEPTHWISE_UNIFORM_BYTES);
  const i = new Int32Array(buf);
  const f = new Float32Array(buf);
  const prod = (v: Vec3): number => v[0] * v[1] * v[2];
  const kernel = to3d(p.kernel, 1);
  const total = g.batch * p.outChannels * prod(outSize);
  const invocations = dw.vec4 ? total / 4 : total;
  i.set([...inSize, prod(inSize)], 0);
  i.set([...outSize, prod(outSize)], 4);
  i.set([...to3d(p.stride, 1), 0], 8);
  i.set([...(dw.prePad ? [0, 0, 0] : to3d(p.padBefore, 0)), 0], 12);
  i.set([...to3d(p.dilation, 1), 0], 16);
  i.set([...kernel, prod(kernel)], 20);
  i.set([invocations, p.outChannels, p.outChannels / p.inChannels, p.inChannels], 24);
  f.set([p.clamp.min, p.clamp.max, 0, 0], 28);
  return { data: buf, invocations };
}

/** Pad kernel (non-zero padding modes): uniforms (4 x vec4, see shaders/pad.ts). */
export const PAD_UNIFORM_BYTES = 4 * 16;
export const PAD_MODE_CODE = { zeros: 0, reflect: 1, replicate: 2, circular: 3 } as const;

export function padUniforms(g: ConvGeometry): { data: ArrayBuffer; invocations: number } {
  const p = g.params;
  const inSize = to3d(g.inSize, 1);
  const outSize = paddedInSize(g);
  const prod = (v: Vec3): number => v[0] * v[1] * v[2];
  const invocations = g.batch * p.inChannels * prod(outSize);
  const buf = new ArrayBuffer(PAD_UNIFORM_BYTES);
  new Int32Array(buf).set([
    ...inSize,
    prod(inSize),
    ...outSize,
    prod(outSize),
    ...to3d(p.padBefore, 0),
    0,
    invocations,
    p.inChannels,
    PAD_MODE_CODE[p.paddingMode],
    0,
  ]);
  return { data: buf, invocations };
}
