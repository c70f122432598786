// The add-ons come with the main entry (single-op bundles add them with `import 'simdconv/winograd'` and
// `import 'simdconv/js-backend'`).
import './winograd.js';
import './js-backend.js';
export { init, createContext, getContext, type InitOptions, type BackendInfo, type Context } from './context.js';
export { SimdconvError, type ErrorCode } from './errors.js';
export type { Tensor, ResidentTensor, ConvOptions, ConvTransposeOptions, Activation, Algorithm, PaddingMode, Layout, SpatialArg } from './types.js';
export type { ConvPlan, PlanInfo } from './plan.js';
export { conv1d, createConv1d } from './ops/conv1d.js';
export { conv2d, createConv2d } from './ops/conv2d.js';
export { conv3d, createConv3d } from './ops/conv3d.js';
export { convTranspose1d, createConvTranspose1d } from './ops/convTranspose1d.js';
export { convTranspose2d, createConvTranspose2d } from './ops/convTranspose2d.js';
export { convTranspose3d, createConvTranspose3d } from './ops/convTranspose3d.js';
export type { ChainInfo, ChainStageInfo } from './chain.js';
export type { CompositePlan, CompositePlanInfo } from './ops/composite.js';
export {
  depthwiseSeparableConv1d,
  depthwiseSeparableConv2d,
  createDepthwiseSeparableConv1d,
  createDepthwiseSeparableConv2d,
  type DepthwiseSeparableOptions,
  type DepthwiseSeparablePlanOptions,
} from './ops/depthwise-separable.js';
export {
  spatiallySeparableConv2d,
  createSpatiallySeparableConv2d,
  factorizeSeparableKernel,
  type SpatiallySeparableOptions,
  type SpatiallySeparablePlanOptions,
  type SeparableFactors,
  type FactorizeOptions,
} from './ops/spatially-separable.js';
export { flattenedConv2d, createFlattenedConv2d, type FlattenedConvOptions, type FlattenedConvPlanOptions } from './ops/flattened.js';
export {
  channelShuffle,
  shuffledGroupConv2d,
  createShuffledGroupConv2d,
  type ChannelShuffleOptions,
  type ShuffledGroupConvOptions,
  type ShuffledGroupConvPlanOptions,
} from './ops/channel-shuffle.js';
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
