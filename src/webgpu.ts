/**
 * simdconv/webgpu: the same convolutions on WebGPU, asynchronous.
 *
 * ```ts
 * import { initWebGPU } from 'simdconv/webgpu';
 *
 * const gpu = await initWebGPU();               // { backend: 'webgpu' | 'wasm', adapterInfo, ... }
 * const y = await gpu.conv2d(input, weight, bias, { padding: 1, activation: 'relu' });
 *
 * const conv1 = gpu.createConv2d(w1, b1, { padding: 1 }); // weights packed and uploaded once per plan
 * const conv2 = gpu.createConv2d(w2, b2, { padding: 1, activation: 'relu' });
 * const h = conv1.runResident(input);           // a GpuTensor: stays on the GPU
 * const z = await conv2.run(h);                 // chained; one readback at the end
 * h.dispose(); conv1.dispose(); conv2.dispose(); gpu.destroy();
 * ```
 *
 * - Ops and options are exactly the wasm API's (`conv1d/2d/3d`, `convTranspose1d/2d/3d`, `create*` plans,
 *   stride, padding incl. 'same', dilation, groups, padding modes, fused activation, both layouts, `out`), with
 *   the same validation and shape rules (src/shape.ts) and the same errors; every result is a Promise.
 *   Inputs may be host tensors or GpuTensors (`upload(t)`, or a plan's `runResident`). Pooling too:
 *   `maxPool2d`, `avgPool2d`, `adaptiveAvgPool2d`, ... (1d/2d/3d) and their `create*` plans, as the main entry's.
 *   WGSL's division is within 2.5 ulp, not correctly rounded: an average may differ from the wasm one by that.
 * - Numerics: float32 with any summation order and fused multiply-add, within the bound of
 *   test/helpers/tolerance.ts, like the wasm relaxed build; NaN propagates through the fused activation.
 * - Device: `options.device`, or `navigator.gpu` in browsers, or in Node the optional `webgpu` package (Dawn),
 *   imported only when needed. The device is requested with the limits the kernels need, and the adapter's
 *   maximum buffer sizes.
 * - Fallback: with no adapter at init, or after the device is lost (`device.lost`, including a `destroy()`
 *   by someone else), ops run on the wasm backend (`createContext()`; ops are wrapped in promises) after one
 *   `console.warn` naming why; `backend` and `fallbackReason` tell. `fallback: 'none'` (or `requireAdapter`
 *   at init) throws SimdconvError BACKEND_UNAVAILABLE instead. GpuTensors of a lost device cannot be read
 *   (BACKEND_UNAVAILABLE); host inputs are recomputed on the fallback transparently.
 * - Kernels (src/backends/webgpu/shaders): tiled implicit GEMM (64 pixels x 16/32/64 channels per workgroup,
 *   K tiles of 16 in workgroup memory, vec4 weight loads, vec4 input loads for channels-last), a direct
 *   depthwise kernel, a pad kernel for non-zero padding modes, and transposed convolution by stride-phase
 *   decomposition on the GEMM kernel (no scatter, no atomics). One pipeline per kernel variant, compiled on
 *   first use and cached per device (sizes are uniforms).
 */
// The fallback context is the js backend on engines without WebAssembly SIMD.
import './js-backend.js';

export { initWebGPU } from './backends/webgpu/context.js';
export type {
  AdapterInfo,
  GpuBackendName,
  GpuContext,
  GpuOps,
  GpuPoolOps,
  GpuPoolPlan,
  GpuLayerOps,
  GpuReshapedPlan,
  GpuInterpolatePlan,
  GpuConvPlan,
  GpuConvPlanOptions,
  GpuConvTransposePlanOptions,
  GpuTensor,
  InitWebGPUOptions,
} from './backends/webgpu/api.js';
export { SimdconvError, type ErrorCode } from './errors.js';
export type { Tensor, ConvOptions, ConvTransposeOptions, Activation, PaddingMode, Layout, SpatialArg, PaddingPairs, AutoPad } from './types.js';
export type { MaxPoolOptions, AvgPoolOptions, AdaptivePoolOptions, AdaptiveSize } from './pool-shape.js';
export type { IndexTensor, PoolPlanInfo } from './pool-plan.js';
export type { InterpolateMode, InterpolateOptions } from './interpolate-shape.js';
export type { InterpolatePlanInfo } from './interpolate-plan.js';
export type { BatchNormOptions } from './ops/batch-norm.js';
