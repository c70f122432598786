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

/** Makes the wasm plan for resolved parameters. */
export type WasmPlanMaker = (rt: WasmRuntime, params: ConvParams) => ConvPlan;

/** The Winograd path's maker: its plan where it applies, else null. */
export type WinogradPlanMaker = (rt: WasmRuntime, params: ConvParams) => ConvPlan | null;

let winogradPlan: WinogradPlanMaker | null = null;
let warnedNoWinograd = false;

/**
 * Winograd is an add-on path, installed by src/winograd.ts: the main entry imports it, and a bundle of single
 * ops (`simdconv/conv2d`) holds it only when it imports `simdconv/winograd` too.
 */
export function installWinograd(maker: WinogradPlanMaker): void {
  winogradPlan = maker;
}

/** conv1d/2d/3d: Winograd where asked for and applicable, the depthwise kernels, else the GEMM/direct path. */
export const wasmConvPlan: WasmPlanMaker = (rt, params) => {
  if (params.algorithm === 'winograd') {
    const plan = winogradPlan?.(rt, params);
    if (plan) return plan;
    if (!winogradPlan && !warnedNoWinograd) {
      warnedNoWinograd = true;
      console.warn(
        "simdconv: algorithm 'winograd' asked for, but this bundle holds no Winograd kernels: import 'simdconv/winograd' once " +
          "(the main 'simdconv' entry includes them). Running the default path.",
      );
    }
  }
  if (isDepthwise(params)) return new WasmDepthwiseConvPlan(rt, params);
  return new WasmGemmConvPlan(rt, params);
};

/** convTranspose1d/2d/3d. */
export const wasmTransposedPlan: WasmPlanMaker = (rt, params) => new WasmTransposedConvPlan(rt, params);

/** Either kind (for callers that run every op, such as the WebGPU context's fallback). */
export const wasmAnyPlan: WasmPlanMaker = (rt, params) => (params.transposed ? wasmTransposedPlan : wasmConvPlan)(rt, params);
