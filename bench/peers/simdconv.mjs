// simdconv itself, through its public API, from the built package (../../dist/index.js): one
// context per build (createContext), plans made with createConv2d / createConv3d /
// createConvTranspose2d(weight, bias, options, context).
import { makeTensors } from '../layers.mjs';

const contexts = new Map(); // `${build} ${threads}` -> context

/** The plan constructor for each bench op. */
export const factory = { conv2d: 'createConv2d', conv3d: 'createConv3d', convTranspose2d: 'createConvTranspose2d' };

export async function createPeer(l, { threads, build, algorithm, resident = false }) {
  const simdconv = await import('simdconv');
  // 'fast' has no other algorithm for transposed convolutions: the default path is its choice there.
  if (algorithm === 'fast' && l.op.startsWith('convTranspose')) algorithm = undefined;
  if (algorithm && l.op.startsWith('convTranspose'))
    return { name: `simdconv ${build} ${algorithm}`, unavailable: `no '${algorithm}' algorithm for transposed convolutions` };
  const key = `${build} ${threads}`;
  if (!contexts.has(key)) contexts.set(key, await simdconv.createContext({ build, threads }));
  const { x, w } = makeTensors(l);
  const { stride, padding, dilation, groups } = l;
  const ctx = contexts.get(key);
  const plan = simdconv[factory[l.op]](w, null, { stride, padding, dilation, groups, ...(algorithm && { algorithm }) }, ctx);
  if (algorithm === 'winograd') {
    plan.run(x);
    if (!plan.info.kernel.startsWith('winograd')) {
      plan.dispose();
      return {
        name: `simdconv ${build} winograd`,
        unavailable: 'Winograd applies to 3x3 stride-1 single-group conv2d and undilated 3x3x3 stride-1 conv3d only',
      };
    }
  }
  // As the peers run: the input lives in wasm memory already (TF.js's input tensor does too), the output is
  // copied out to a preallocated JS array each call (TF.js's dataSync copies too). Nothing is allocated.
  // `resident`: the output stays in wasm memory too, as between the layers of a network run as a chain
  // (src/chain.ts, the nn module): no copy out.
  const input = ctx.tensor(x.shape, x.data);
  const shape = plan.outputShape(x.shape);
  const out = resident ? ctx.tensor(shape) : { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
  return {
    name: `simdconv ${build}`,
    run: () => plan.run(input, out).data,
    kernel: () => plan.info.kernel,
    // Wasm memory this plan holds while it runs: packed weights and bias, workspace, the resident input and the
    // output staging (the plans of other configs share the context, so its total would count them too).
    wasmBytes: () => plan.info.weightBytes + plan.info.workspaceBytes + (x.data.length + out.data.length) * 4,
    dispose: () => {
      plan.dispose();
      input.dispose();
      if (resident) out.dispose();
    },
  };
}
