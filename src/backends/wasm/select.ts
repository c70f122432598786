/**
 * Chooses the wasm kernel path for a convolution. Each path is a plan class in its own file; this is the one
 * place that decides between them, so `info.kernel` always tells which one ran.
 */
import type { ConvPlan } from '../../plan.js';
import type { ConvParams } from '../../shape.js';
import { WasmDepthwiseConvPlan, isDepthwise } from './depthwise-conv-plan.js';
import { WasmGemmConvPlan } from './gemm-conv-plan.js';
import { WasmTransposedConvPlan } from './transposed-conv-plan.js';
import { WasmWinogradConvPlan, winogradApplies } from './winograd-conv-plan.js';
import type { WasmRuntime } from './runtime.js';

export function createWasmPlan(rt: WasmRuntime, params: ConvParams): ConvPlan {
  if (params.transposed) return new WasmTransposedConvPlan(rt, params);
  if (winogradApplies(params)) return new WasmWinogradConvPlan(rt, params);
  if (isDepthwise(params)) return new WasmDepthwiseConvPlan(rt, params);
  return new WasmGemmConvPlan(rt, params);
}
