// simdconv itself, through its public API, from the built package (../../dist/index.js): one
// context per build (createContext), plans made with createConv2d / createConv3d /
// createConvTranspose2d(weight, bias, options, context).
import { makeTensors } from '../layers.mjs';

const contexts = new Map(); // build -> context; the runner runs one thread count per process

const factory = { conv2d: 'createConv2d', conv3d: 'createConv3d', convTranspose2d: 'createConvTranspose2d' };

export async function createPeer(l, { threads, build }) {
  const simdconv = await import('../../dist/index.js');
  if (!contexts.has(build)) contexts.set(build, await simdconv.createContext({ build, threads }));
  const { x, w } = makeTensors(l);
  const { stride, padding, dilation, groups } = l;
  const plan = simdconv[factory[l.op]](w, null, { stride, padding, dilation, groups }, contexts.get(build));
  // A preallocated output, as an application reusing its buffers would run it: the timed call allocates nothing.
  const shape = plan.outputShape(x.shape);
  const out = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape };
  return {
    name: `simdconv ${build}`,
    run: () => plan.run(x, out).data,
    // The plan's wasm memory after its runs: packed weights, staging and workspace.
    wasmBytes: () => contexts.get(build).memoryStats().bytesInUse,
    dispose: () => plan.dispose(),
  };
}
