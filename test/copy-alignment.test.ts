/**
 * Copies between JS arrays and a shared wasm memory keep source and destination aligned alike modulo 8 bytes
 * (src/backends/wasm/staging.ts stagingShift, output-bands.ts): V8 copies shared memory byte by byte otherwise.
 * The invariant is checked on the band buffers directly; every plan kind is then run with its input and output
 * one float into larger arrays (where the staging starts a float in) and must give, bit for bit, what it gives
 * on aligned arrays, without touching the floats around the output or changing the input.
 */
import { chainMakers } from '../src/backends/wasm/chain.js';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { WasmHeap } from '../src/backends/wasm/heap.js';
import { OutputBands } from '../src/backends/wasm/output-bands.js';
import { runJob } from '../src/backends/wasm/runner.js';
import type { WasmRuntime } from '../src/backends/wasm/runtime.js';
import { Staging, stagingShift } from '../src/backends/wasm/staging.js';
import { resolveConvParams } from '../src/shape.js';
import type { Tensor } from '../src/types.js';
import { sameBits } from './helpers/bits.js';
import { randomTensor, rng } from './helpers/random.js';

const sharedMemory = () => new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true } as WebAssembly.MemoryDescriptor);

describe('copy alignment', () => {
  it('stagingShift moves a buffer a float in only on shared memory, for an odd float index', () => {
    const shared = sharedMemory();
    const unshared = new WebAssembly.Memory({ initial: 1 });
    expect([0, 1, 2, 3, 7].map((i) => stagingShift(shared, i))).toEqual([0, 4, 0, 4, 4]);
    expect([0, 1, 2, 3, 7].map((i) => stagingShift(unshared, i))).toEqual([0, 0, 0, 0, 0]);
  });

  it('staged inputs and outputs start aligned like the arrays they are copied from and to', () => {
    const memory = sharedMemory();
    for (const [xOffset, outOffset] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [3, 2],
    ] as const) {
      const input = new Float32Array(40).subarray(xOffset, xOffset + 30);
      const out = new Float32Array(40).subarray(outOffset, outOffset + 20);
      const seen: number[] = [];
      // Staging blocks at 64-byte boundaries, as the heap gives them.
      const heap = new WasmHeap(memory, 1024);
      const job = { batch: 1, staging: new Staging(heap), images: (src: number, dst: number) => void seen.push(src, dst) };
      runJob({ memory, heap } as unknown as WasmRuntime, job, input, out);
      expect(((seen[0]! - input.byteOffset) & 7) + ((seen[1]! - out.byteOffset) & 7)).toBe(0);
    }
  });

  it.each([
    ['odd plane (odd rows, odd row length)', 16, 6, 131, 251],
    ['even plane, odd row length', 8, 4, 130, 251],
    ['even row length', 5, 6, 77, 112],
    ['odd channel count, odd plane', 3, 2, 11, 9],
  ])('band buffers: every channel of every band starts aligned like its place in the output, %s', (_name, channels, bandRows, rows, rowLength) => {
    const heap = new WasmHeap(sharedMemory(), 1024);
    const plane = rows * rowLength;
    for (const count of [1, 2] as const) {
      const bands = new OutputBands(heap, count, channels, bandRows, rows, rowLength);
      expect(bands.stride).toBeGreaterThanOrEqual(bandRows * rowLength);
      expect((bands.stride - plane) & 1).toBe(0);
      for (const offset of [0, 1]) {
        const out = new Float32Array(2 * channels * plane + 2).subarray(offset);
        let k = 0;
        for (let n = 0; n < 2; n++) {
          for (let r0 = 0; r0 < rows; r0 += bandRows, k++) {
            const y = bands.target(k, out, n, r0);
            for (let c = 0; c < channels; c++) {
              const src = y + c * bands.stride * 4;
              const dst = out.byteOffset + ((n * channels * rows + r0) * rowLength + c * plane) * 4;
              expect((src - dst) & 7).toBe(0);
            }
          }
        }
      }
      bands.release();
    }
  });
});

type Make = (ctx: sc.Context) => { run: (x: Tensor, out?: Tensor) => Tensor; kernels: () => readonly sc.PlanInfo[]; dispose: () => void };

const random = (shape: number[], seed: number): Tensor => randomTensor(shape, rng(seed));

/** Each plan kind, and the path its info must name (so that the case runs what it is meant to). */
/** Each case: its name, input shape, the op, and what its kernel path must be (on one of its stages). */
const cases: [string, number[], Make, (k: sc.PlanInfo) => boolean][] = [
  [
    'direct conv2d, whole output staged',
    [2, 5, 13, 11],
    (ctx) => wrap(sc.createConv2d(random([7, 5, 3, 3], 2), random([7], 3), { padding: 1 }, ctx)),
    (k) => k.path === 'gemm-direct' && !k.flags.strided && !k.flags.bandRows,
  ],
  [
    'direct conv2d, banded output with an odd plane',
    [2, 1, 131, 251],
    (ctx) => wrap(sc.createConv2d(random([16, 1, 3, 3], 4), null, { padding: 1 }, ctx)),
    (k) => (k.flags.bandRows ?? 0) > 0,
  ],
  [
    'depthwise, staged in chunks over an odd plane',
    [1, 24, 75, 75],
    (ctx) => wrap(sc.createConv2d(random([24, 1, 3, 3], 5), random([24], 6), { padding: 1, groups: 24 }, ctx)),
    (k) => (k.flags.chunkChannels ?? 0) > 0,
  ],
  [
    'transposed conv2d',
    [2, 6, 9, 7],
    (ctx) => wrap(sc.createConvTranspose2d(random([6, 5, 4, 4], 7), null, { stride: 2, padding: 1 }, ctx)),
    (k) => k.path === 'transposed',
  ],
  [
    'winograd conv2d',
    [1, 8, 15, 13],
    (ctx) => wrap(sc.createConv2d(random([8, 8, 3, 3], 8), null, { padding: 1, algorithm: 'winograd' }, ctx)),
    (k) => k.path === 'winograd',
  ],
  [
    'chain (pointwise then depthwise)',
    [2, 5, 9, 13],
    (ctx) => {
      const chain = ctx.createChain(
        [
          { name: 'pointwise', params: resolveConvParams('conv2d', random([6, 5, 1, 1], 9), null, {}) },
          { name: 'depthwise', params: resolveConvParams('conv2d', random([6, 1, 3, 3], 10), null, { groups: 6, padding: 1 }) },
        ],
        chainMakers,
      );
      return { run: (x, out) => chain.run(x, out), kernels: () => chain.info.stages, dispose: () => chain.dispose() };
    },
    (k) => k.path.startsWith('depthwise'),
  ],
];

function wrap(plan: sc.ConvPlan): ReturnType<Make> {
  return { run: (x, out) => plan.run(x, out), kernels: () => [plan.info], dispose: () => plan.dispose() };
}

/** `t`'s values one float into a larger array whose other floats are `fill`. */
function offByOne(t: Tensor, fill: number): Tensor {
  const data = new Float32Array(t.data.length + 2).fill(fill);
  data.set(t.data, 1);
  return { data: data.subarray(1, 1 + t.data.length), shape: t.shape };
}

describe.each([1, 2])('inputs and outputs one float off, %i thread(s)', (threads) => {
  let ctx: sc.Context;
  beforeAll(async () => {
    ctx = await sc.createContext({ build: 'simd128', threads });
  });

  it.each(cases)('%s', (_name, xShape, make, path) => {
    const op = make(ctx);
    const x = random(xShape, 11);
    // The aligned run first (fresh arrays start on 8-byte boundaries): its output sizes the other.
    const aligned = op.run(x);
    expect(
      op.kernels().some(path),
      op
        .kernels()
        .map((k) => k.kernel)
        .join(', '),
    ).toBe(true);
    const xOff = offByOne(x, 5);
    const xBefore = Float32Array.from(xOff.data);
    const out = offByOne({ data: new Float32Array(aligned.data.length).fill(NaN), shape: aligned.shape }, 7);
    for (let i = 0; i < 2; i++) op.run(xOff, out); // the second run reuses the staging
    expect(sameBits(out.data, aligned.data)).toBe(true);
    const whole = new Float32Array(out.data.buffer);
    expect([whole[0], whole[whole.length - 1]]).toEqual([7, 7]);
    expect(sameBits(xOff.data, xBefore)).toBe(true);
    op.dispose();
  });
});
