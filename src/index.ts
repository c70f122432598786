export { init, createContext, type InitOptions, type BackendInfo, type Context } from './context.js';
export { SimdconvError, type ErrorCode } from './errors.js';
export type { Tensor, ConvOptions, ConvTransposeOptions, Activation, PaddingMode, Layout, SpatialArg } from './types.js';
export type { ConvPlan, PlanInfo } from './plan.js';
export { conv1d, createConv1d } from './ops/conv1d.js';
export { conv2d, createConv2d } from './ops/conv2d.js';
export { conv3d, createConv3d } from './ops/conv3d.js';
