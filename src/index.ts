// The add-ons come with the main entry (single-op bundles add them with `import 'simdconv/winograd'`,
// `import 'simdconv/js-backend'` and `import 'simdconv/threads'`).
import './winograd.js';
import './js-backend.js';
import './threads.js';
export { init, createContext, getContext, type InitOptions, type BackendInfo, type Context } from './context.js';
export { SimdconvError, type ErrorCode } from './errors.js';
export type {
  Tensor,
  ResidentTensor,
  ConvOptions,
  ConvTransposeOptions,
  Activation,
  Algorithm,
  PaddingMode,
  Layout,
  SpatialArg,
  PaddingPairs,
  AutoPad,
} from './types.js';
export type { ConvPlan, PlanInfo, KernelInfo, KernelFlags, KernelPathName } from './plan.js';
// Every op of src/ops/registry.ts (src/ops/index.ts is generated from it).
export * from './ops/index.js';
export type { ChainInfo, ChainStageInfo } from './chain.js';
export type { CompositePlan, CompositePlanInfo } from './ops/composite.js';
export {
  convOutputShape,
  convMacs,
  convFlops,
  convParameterCount,
  convWeightShape,
  receptiveField,
  type ParameterCountOptions,
  type WeightShapeOptions,
  type ReceptiveFieldLayer,
  type ReceptiveFieldStep,
  type ReceptiveFieldAxis,
} from './introspect.js';
