// simdconv itself, through its public API, from the built package (../../dist/index.js).
import { makeTensors } from '../layers.mjs';

const contexts = new Map(); // one context per build in a process (the runner runs one thread count per process)

const planFactory = { conv2d: 'createConv2d', conv3d: 'createConv3d', convTranspose2d: 'createConvTranspose2d' };

export async function createPeer(l, { threads, build }) {
  if (!contexts.has(build)) {
    const { init } = await import('../../dist/index.js');
    contexts.set(build, await init({ build, threads }));
  }
  const ctx = contexts.get(build);
  const { x, w } = makeTensors(l);
  const { stride, padding, dilation, groups } = l;
  const plan = ctx[planFactory[l.op]](w, null, { stride, padding, dilation, groups });
  return {
    name: `simdconv ${build}`,
    run: () => plan.run(x).data,
    dispose: () => plan.dispose?.(),
  };
}
