/**
 * The portable backend: the float64 reference run as a plan. Used where WebAssembly SIMD is missing, or on
 * request (`init({ backend: 'js' })`). Exact to float64 before the final rounding to float32, and slow.
 */
import type { BackendInfo, Context } from '../context.js';
import { type KernelInfo, PlanBase, type PlanInfo, describeKernel } from '../plan.js';
import { convForward, convTransposeForward } from '../reference.js';
import type { ConvGeometry, ConvParams } from '../shape.js';
import { hostTensor } from './wasm/resident-tensor.js';

export class JsConvPlan extends PlanBase<null> {
  readonly info: PlanInfo;

  constructor(params: ConvParams) {
    // The weights and bias copied now, as the other backends pack theirs: a later change to the caller's arrays
    // (or their detachment) does not reach the plan.
    super({ ...params, weight: { data: params.weight.data.slice(), shape: [...params.weight.shape] }, bias: params.bias?.slice() ?? null });
    const kernel: KernelInfo = { path: 'reference', name: params.transposed ? 'reference-transposed-f64' : 'reference-direct-f64', flags: {} };
    this.info = { backend: 'js', ...kernel, kernel: describeKernel(kernel), weightBytes: 0, workspaceBytes: 0 };
  }

  protected prepare(): null {
    return null;
  }
  protected releasePrepared(): void {}
  protected releaseHeld(): void {}

  protected execute(g: ConvGeometry, _p: null, input: Float32Array, out: Float32Array): void {
    const result = g.params.transposed ? convTransposeForward(g, input) : convForward(g, input);
    out.set(result.data);
  }
}

/** The js backend's context: every op and chain on the reference (the ops' wasm paths are not used). */
export function createJsContext(features: BackendInfo['features']): Context {
  return {
    backend: 'js',
    build: null,
    features,
    threads: 1,
    dispose: () => {},
    createPlan: (p) => new JsConvPlan(p),
    createChain: (s, makers) => makers.host(s, (p) => new JsConvPlan(p)),
    createOpPlan: (p, makers) => makers.js(p),
    memoryStats: () => ({ bytesInUse: 0, peakBytes: 0, memoryBytes: 0 }),
    tensor: (shape, values) => hostTensor(shape, values),
  };
}
