/**
 * Chooses the wasm kernel path for a convolution. Each path is a plan class in its own file; this is the one
 * place that decides between them, so `info.kernel` always tells which one ran. An op passes the chooser for
 * its kind to the context (`context.createPlan(params, wasmConvPlan)`), so that a bundle holding only conv2d
 * holds no transposed kernel path, and the reverse.
 */
import type { ConvPlan } from '../../plan.js';
import type { ConvParams } from '../../shape.js';
import { isDepthwise } from '../../lowering.js';
import { WasmDepthwiseConvPlan } from './depthwise-conv-plan.js';
import { WasmGemmConvPlan } from './gemm-conv-plan.js';
import type { WasmRuntime } from './runtime.js';
import { WasmTransposedConvPlan } from './transposed-conv-plan.js';
import { WasmChoicePlan } from './choice-plan.js';
import { WasmCol2imTransposedPlan, col2imMayApply, col2imPays } from './col2im-transposed-plan.js';
import { WasmPointTransposedPlan, isPointInput, pointTransposedMayApply } from './point-transposed-plan.js';
import type { ResidentPlan } from './resident.js';
import { TAP_SPLIT_BELOW, WasmTapsConvPlan, tapShare, tapSplitMayApply } from './taps-conv-plan.js';

/** Makes the wasm plan for resolved parameters. */
export type WasmPlanMaker = (rt: WasmRuntime, params: ConvParams) => ConvPlan;

/** The Winograd path's maker: its plan where it applies, else null. */
export type WinogradPlanMaker = (rt: WasmRuntime, params: ConvParams) => ConvPlan | null;

/** The Winograd add-on's makers: `algorithm: 'winograd'` and `'fast'` (each null where it does not apply). */
export interface WinogradMakers {
  readonly winograd: WinogradPlanMaker;
  readonly fast: WinogradPlanMaker;
}

let winogradPlans: WinogradMakers | null = null;
let warnedNoWinograd = false;

/**
 * Winograd is an add-on path, installed by src/winograd.ts: the main entry imports it, and a bundle of single
 * ops (`simdconv/conv2d`) holds it only when it imports `simdconv/winograd` too.
 */
export function installWinograd(makers: WinogradMakers): void {
  winogradPlans = makers;
}

/**
 * conv1d/2d/3d: Winograd where asked for and applicable ('fast': a plan choosing per input shape), the
 * depthwise kernels, else the GEMM/direct path.
 */
export const wasmConvPlan: WasmPlanMaker = (rt, params) => {
  if (params.algorithm !== 'default') {
    const plan = winogradPlans?.[params.algorithm](rt, params);
    if (plan) return plan;
    if (!winogradPlans && !warnedNoWinograd) {
      warnedNoWinograd = true;
      console.warn(
        `simdconv: algorithm '${params.algorithm}' asked for, but this bundle holds no Winograd kernels: import 'simdconv/winograd' once ` +
          "(the main 'simdconv' entry includes them). Running the default path.",
      );
    }
  }
  return defaultConvPlan(rt, params);
};

/**
 * The default (exact) path of a convolution: the depthwise kernels, else the GEMM/direct path, or per input
 * shape the tap split where most taps would read only padding (taps-conv-plan.ts). `ownsWeights`: called by a
 * choice plan with its own copy of the weights (choice-plan.ts), which a nested one need not copy again.
 */
export function defaultConvPlan(rt: WasmRuntime, params: ConvParams, ownsWeights = false): ResidentPlan {
  if (isDepthwise(params)) return new WasmDepthwiseConvPlan(rt, params);
  if (!tapSplitMayApply(params)) return new WasmGemmConvPlan(rt, params);
  return new WasmChoicePlan(
    rt,
    params,
    { gemm: (r, p) => new WasmGemmConvPlan(r, p), taps: (r, p) => new WasmTapsConvPlan(r, p) },
    (g) => (tapShare(g) < TAP_SPLIT_BELOW ? 'taps' : 'gemm'),
    'gemm',
    ownsWeights,
  );
}

/**
 * convTranspose1d/2d/3d: the phase path, or per input shape one GEMM where the input is one pixel
 * (point-transposed-plan.ts) and a GEMM and a scatter where it is a small image (col2im-transposed-plan.ts).
 */
export const wasmTransposedPlan: WasmPlanMaker = (rt, params) => {
  const point = pointTransposedMayApply(params);
  const col2im = col2imMayApply(params);
  if (!point && !col2im) return new WasmTransposedConvPlan(rt, params);
  return new WasmChoicePlan(
    rt,
    params,
    {
      phases: (r, p) => new WasmTransposedConvPlan(r, p),
      point: (r, p) => new WasmPointTransposedPlan(r, p),
      col2im: (r, p) => new WasmCol2imTransposedPlan(r, p),
    },
    (g) => (point && isPointInput(g) ? 'point' : col2im && col2imPays(g) ? 'col2im' : 'phases'),
    'phases',
  );
};

/** Either kind (for callers that run every op, such as the WebGPU context's fallback). */
export const wasmAnyPlan: WasmPlanMaker = (rt, params) => (params.transposed ? wasmTransposedPlan : wasmConvPlan)(rt, params);
