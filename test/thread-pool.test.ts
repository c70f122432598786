// The worker-thread pool over one shared WebAssembly.Memory (src/backends/wasm/thread-pool.ts): concurrent
// calls on disjoint slices match one thread, errors reach the caller and leave the pool usable, memory growth
// is seen by every thread, terminate is clean, and contexts with threads > 1 run ops with the same results.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, createConv2d, SimdconvError } from '../src/index.js';
import { queueBytesFor } from '../src/backends/wasm/dispatch.js';
import { WasmHeap } from '../src/backends/wasm/heap.js';
import { sameBits } from './helpers/bits.js';
import { compileKernels, defaultWasmUrl, instantiateKernels, type KernelExports } from '../src/backends/wasm/module.js';
import { ConvDirectCfArgs, PadImageArgs, type PadImageFields, ScheduleTallyArgs } from '../src/backends/wasm/gen/kernels.js';
import type { KernelArgs } from '../src/backends/wasm/kernel-args.js';
import { createWasmRuntime } from '../src/backends/wasm/runtime.js';
import { type ThreadCall, type ThreadPool, createThreadPool } from '../src/backends/wasm/thread-pool.js';
import { threadSupport } from '../src/backends/wasm/thread-support.js';

const REFLECT = 1;
const THREADS = 4;

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SimdconvError);
    expect((error as SimdconvError).code).toBe(code);
    return;
  }
  throw new Error(`expected a SimdconvError ${code}`);
}

function fill(view: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < view.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    view[i] = s / 2 ** 32 - 0.5;
  }
}

describe('thread pool', () => {
  let module: WebAssembly.Module;
  let memory: WebAssembly.Memory;
  let kernels: KernelExports;
  let heap: WasmHeap;
  let pool: ThreadPool;

  beforeAll(async () => {
    expect(threadSupport()).toEqual({ ok: true });
    module = await compileKernels('simd128-mt');
    memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    kernels = await instantiateKernels(module, memory);
    heap = new WasmHeap(memory, kernels.heap_base());
    pool = await createThreadPool(module, memory, THREADS, { exports: kernels as unknown as Record<string, unknown> });
  });
  afterAll(() => pool?.terminate());

  /** pad_image over C channels of H x W, split by channel into `parts` calls; returns the output floats. */
  function padByChannels(
    parts: number,
    run: (calls: ThreadCall[]) => void,
    C = 12,
    H = 37,
    W = 29,
  ): { x: number; y: number; out: Float32Array; release(): void } {
    const [p0, p1, q0, q1] = [2, 3, 1, 2];
    const YH = H + p0 + p1;
    const YW = W + q0 + q1;
    const x = heap.alloc(C * H * W * 4);
    const y = heap.alloc(C * YH * YW * 4);
    fill(heap.f32(x, C * H * W), 7);
    heap.f32(y, C * YH * YW).fill(NaN);
    const calls: ThreadCall[] = [];
    const per = Math.ceil(C / parts);
    const structs: KernelArgs[] = [];
    for (let c0 = 0; c0 < C; c0 += per) {
      const c = Math.min(per, C - c0);
      structs.push(padCall({ x: x + c0 * H * W * 4, y: y + c0 * YH * YW * 4, outer: c, H, W, PH0: p0, PH1: p1, PW0: q0, PW1: q1 }));
      calls.push(structs[structs.length - 1]!);
    }
    run(calls);
    const out = heap.f32(y, C * YH * YW).slice();
    return { x, y, out, release: () => (heap.release(x), heap.release(y), structs.forEach((a) => a.release())) };
  }

  /** pad_image's argument struct: one channel-first image of 1 x 1 x 1 with no padding, but for `fields`. */
  function padCall(fields: Partial<PadImageFields>): KernelArgs {
    return PadImageArgs.create(heap, {
      x: 0,
      y: 0,
      outer: 1,
      inner: 1,
      D: 1,
      H: 1,
      W: 1,
      PD0: 0,
      PD1: 0,
      PH0: 0,
      PH1: 0,
      PW0: 0,
      PW1: 0,
      mode: REFLECT,
      ...fields,
    });
  }

  const sequential = (calls: ThreadCall[]) => {
    for (const c of calls) (kernels[c.driver as keyof KernelExports] as (arg: number) => void)(c.ptr);
  };

  /** A call of an export that ignores its argument. */
  const noop = (driver = 'heap_base'): ThreadCall => ({ driver, ptr: 0 });

  it('terminate() from inside a run (a callback of the calling thread) is refused: no hang, the pool stays usable (#30.4)', () => {
    const ref = padByChannels(1, sequential);
    let inner: unknown = null;
    const got = padByChannels(THREADS, (calls) =>
      pool.run(calls, 0, () => {
        try {
          pool.terminate();
        } catch (e) {
          inner = e;
        }
      }),
    );
    expect(inner).toMatchObject({ name: 'SimdconvError', code: 'INVALID_ARGUMENT', argument: 'context' });
    expect(pool.terminated).toBe(false);
    expect(got.out).toEqual(ref.out);
    const again = padByChannels(THREADS, (calls) => pool.run(calls));
    expect(again.out).toEqual(ref.out);
    for (const r of [ref, got, again]) r.release();
  });

  it('runs one call per thread on disjoint slices, matching one thread', () => {
    expect(pool.size).toBe(THREADS);
    const one = padByChannels(1, sequential);
    one.release();
    for (let rep = 0; rep < 50; rep++) {
      const many = padByChannels(THREADS, (calls) => {
        expect(calls.length).toBe(THREADS);
        pool.run(calls);
      });
      many.release();
      expect(many.out.some(Number.isNaN)).toBe(false);
      expect(sameBits(many.out, one.out)).toBe(true);
    }
  });

  it('runs fewer calls than threads, and a single call on the calling thread', () => {
    for (const parts of [1, 2, 3]) {
      const one = padByChannels(1, sequential);
      one.release();
      const some = padByChannels(parts, (calls) => pool.run(calls));
      some.release();
      expect(sameBits(some.out, one.out)).toBe(true);
    }
    pool.run([]);
  });

  it('rejects bad calls before dispatching anything', () => {
    expectCode(() => pool.run([noop(), noop('no_such_kernel')]), 'INVALID_ARGUMENT');
    expectCode(() => pool.run([noop('memory')]), 'INVALID_ARGUMENT'); // an export, not a function
    expectCode(() => pool.run(Array.from({ length: THREADS + 1 }, () => noop())), 'INVALID_ARGUMENT');
    const ok = padByChannels(THREADS, (calls) => pool.run(calls));
    ok.release();
    expect(ok.out.some(Number.isNaN)).toBe(false);
  });

  it('reports a trap on a worker or on the caller as an exception, and keeps working', () => {
    const reference = padByChannels(1, sequential);
    reference.release();
    const outOfBounds = 0xffff0000; // far past the memory's end: pad_image's loads trap
    for (const bad of [1, THREADS - 1, 0]) {
      let thrown: unknown;
      const trap = padCall({ x: outOfBounds, y: outOfBounds, H: 8, W: 8, PH0: 1, PH1: 1, PW0: 1, PW1: 1 });
      padByChannels(THREADS, (calls) => {
        calls[bad] = trap;
        try {
          pool.run(calls);
        } catch (error) {
          thrown = error;
        }
      }).release();
      trap.release();
      expect(thrown).toBeInstanceOf(WebAssembly.RuntimeError);
      expect(String((thrown as Error).message)).toMatch(/out of bounds/);
      if (bad > 0) expect(String((thrown as Error).message)).toMatch(new RegExp(`worker thread ${bad}`));
      // The pool is idle again and gives the right answer.
      const again = padByChannels(THREADS, (calls) => pool.run(calls));
      again.release();
      expect(sameBits(again.out, reference.out)).toBe(true);
    }
  });

  it('the threads claim every unit of a range exactly once, and take over the region of a thread that starts late', () => {
    // assembly/schedule.ts through schedule_tally: each call claims [begin, end) like a kernel and counts
    // every unit it gets. The queue block is laid out as src/backends/wasm/dispatch.ts makes it.
    const block = heap.alloc(queueBytesFor(THREADS));
    const maxUnits = 3000;
    const tally = heap.alloc(maxUnits * 4);
    const owner = heap.alloc(maxUnits * 4);
    const done = heap.alloc(16);
    const words = new Int32Array(memory.buffer, block, queueBytesFor(THREADS) / 4);
    const cases: Array<[begin: number, end: number, calls: number, late: number]> = [
      [0, 0, 4, -1],
      [5, 6, 4, -1],
      [0, 3, 4, -1],
      [7, 100, 2, -1],
      [0, 1000, 4, -1],
      [100, 3100, 3, -1],
      // One call starts late, once all the others have finished (schedule_tally's `late`): they must have taken
      // over its region, leaving it nothing; without stealing it would claim its whole region.
      [0, 2000, 2, 1],
      [0, 2000, 4, 3],
      [0, 2000, 4, 0],
    ];
    for (const [begin, end, n, late] of cases) {
      const units = end - begin;
      words.fill(0);
      words[1] = n;
      words[5] = n;
      new Int32Array(memory.buffer, tally, maxUnits).fill(0);
      new Int32Array(memory.buffer, owner, maxUnits).fill(-1);
      new Int32Array(memory.buffer, done, 1)[0] = 0;
      const calls = Array.from({ length: n }, (_, id) =>
        ScheduleTallyArgs.create(heap, { queue: block, begin, end, tally, owner, id, late: id === late ? n - 1 : 0, work: 2000, done }),
      );
      pool.run(calls);
      for (const call of calls) call.release();
      const counts = Array.from(new Int32Array(memory.buffer, tally, units));
      expect(counts.filter((c) => c !== 1).length, `${begin}..${end} on ${n} calls`).toBe(0);
      if (late >= 0) {
        // The late call's region is the last of n (its ticket is the last): the others claimed all of it.
        const owners = new Int32Array(memory.buffer, owner, units);
        const byLate = owners.filter((o) => o === late).length;
        expect(byLate, `units the late call ${late} of ${n} claimed`).toBe(0);
        expect(new Int32Array(memory.buffer, done, 1)[0]).toBe(n);
      }
    }
    for (const p of [block, tally, owner, done]) heap.release(p);
  });

  it('a trap in a share of work that the other threads wait for (a barrier) fails the run instead of hanging it', () => {
    // conv_direct_cf's threads copy channels into the padded image, then wait until all are copied
    // (assembly/direct.ts padTogether). Channel 1's destination lies 2 GiB past channel 0's, beyond the memory:
    // whichever thread claims it traps, and the failure word must release the thread waiting for it.
    // The queue block (src/backends/wasm/dispatch.ts): a header line, then each queue's regions for 2 threads.
    const block = heap.alloc(queueBytesFor(2));
    const src = heap.alloc(64);
    const padded = heap.alloc(64);
    const words = new Int32Array(memory.buffer, block, queueBytesFor(2) / 4);
    for (let attempt = 0; attempt < 20; attempt++) {
      words.fill(0);
      words.set([0, 2, 0, 0, 0, 2, 0, 0, /* D H W */ 1, 1, 1, /* PD PH PW */ 0, 0, 0, /* SW segW */ 1, 1]);
      const call = ConvDirectCfArgs.create(heap, {
        ...{ x: padded, w: 0, bias: 0, y: 0, cin: 2, Dp: 1, Hp: 1 << 15, Wq: 1 << 14, SD: 1, SH: 1, cout: 6, OD: 1, OH: 1, OW: 1 },
        ...{
          offsets: 0,
          taps: 1,
          groups: 1,
          rows: 6,
          lo: 0,
          hi: 0,
          uBegin: 0,
          uEnd: 0 /* no units */,
          queue: block,
          tile: 0,
          src,
          rowMajor: 1,
          row0: 0,
          bandStride: 0,
        },
      });
      expect(() => pool.run([call, call], (block >> 2) + 7)).toThrow(/out of bounds/);
      expect(new Int32Array(memory.buffer, block, 8)[7]).toBe(1);
      call.release();
    }
    for (const p of [block, src, padded]) heap.release(p);
    const again = padByChannels(THREADS, (calls) => pool.run(calls));
    again.release();
    expect(again.out.some(Number.isNaN)).toBe(false);
  });

  it('keeps working after the memory grows (workers see the new pages)', () => {
    const before = memory.buffer.byteLength;
    const big = heap.alloc(300 << 20); // forces memory.grow; everything after lives above the old end
    expect(memory.buffer.byteLength).toBeGreaterThan(before);
    const one = padByChannels(1, sequential, 16, 64, 64);
    one.release();
    const many = padByChannels(THREADS, (calls) => pool.run(calls), 16, 64, 64);
    expect(many.x).toBeGreaterThan(before);
    expect(sameBits(many.out, one.out)).toBe(true);
    many.release();
    // Write through a fresh view at the far end and let a worker copy it back down.
    const hi = heap.alloc(1024);
    const lo = heap.alloc(1024);
    heap.f32(hi, 16).set(Array.from({ length: 16 }, (_, i) => i + 0.5));
    const copy = padCall({ x: hi, y: lo, W: 16 });
    pool.run([noop(), copy]);
    copy.release();
    expect(Array.from(heap.f32(lo, 16))).toEqual(Array.from({ length: 16 }, (_, i) => i + 0.5));
    for (const p of [big, hi, lo]) heap.release(p);
  });

  it('terminate is idempotent and later runs throw DISPOSED', async () => {
    const p = await createThreadPool(module, memory, 2);
    p.run([noop(), noop()]);
    p.terminate();
    p.terminate();
    expect(p.terminated).toBe(true);
    expectCode(() => p.run([noop()]), 'DISPOSED');
  });

  it('a one-thread pool starts no workers and needs no shared memory', async () => {
    const plain = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
    const p = await createThreadPool(await compileKernels('simd128'), plain, 1);
    expect(p.size).toBe(1);
    p.run([noop()]);
    p.terminate();
    await expect(createThreadPool(module, plain, 2)).rejects.toThrow(SimdconvError);
  });

  it('idle workers do not keep a Node process alive', () => {
    // Transpile the pool and its imports to plain JS in a temp dir and run a script that never terminates it.
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const dir = mkdtempSync(join(tmpdir(), 'simdconv-pool-'));
    try {
      const files = [
        'src/errors.ts',
        'src/platform/platform.ts',
        'src/platform/node.ts',
        'src/backends/wasm/module.ts',
        'src/backends/wasm/gen/kernels.ts',
        'src/backends/wasm/kernel-args.ts',
        'src/backends/wasm/heap.ts',
        'src/backends/wasm/thread-support.ts',
        'src/backends/wasm/thread-pool.ts',
      ];
      for (const file of files) {
        const { outputText } = ts.transpileModule(readFileSync(join(root, file), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
        });
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file.replace(/\.ts$/, '.js')), outputText);
      }
      mkdirSync(join(dir, 'wasm'));
      copyFileSync(join(root, 'src/backends/wasm/worker.js'), join(dir, 'wasm/simdconv-worker.js'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const wasm = fileURLToPath(defaultWasmUrl('simd128-mt'));
      writeFileSync(
        join(dir, 'main.js'),
        `import { readFileSync } from 'node:fs';
import './src/platform/node.js';
import { createThreadPool } from './src/backends/wasm/thread-pool.js';
const module = new WebAssembly.Module(readFileSync(${JSON.stringify(wasm)}));
const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
const pool = await createThreadPool(module, memory, 3);
pool.run([{ driver: 'heap_base', ptr: 0 }, { driver: 'heap_base', ptr: 0 }, { driver: 'heap_base', ptr: 0 }]);
console.log('ran on', pool.size);
`,
      );
      const child = spawnSync(process.execPath, [join(dir, 'main.js')], { encoding: 'utf8', timeout: 30_000 });
      expect(child.error).toBeUndefined();
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('ran on 3');
      expect(child.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('contexts with threads', () => {
  it('threads: 1 (the default) uses no workers; threads: 2 uses the -mt build on a shared memory', async () => {
    const single = await createWasmRuntime('simd128');
    expect(single.pool).toBeNull();
    expect(single.memory.buffer).toBeInstanceOf(ArrayBuffer);
    const one = await createWasmRuntime('simd128', { threads: 1 });
    expect(one.pool).toBeNull();
    const two = await createWasmRuntime('simd128', { threads: 2 });
    expect(two.pool?.size).toBe(2);
    expect(two.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    two.pool!.terminate();
    expect((await createContext()).threads).toBe(1);
    expect((await createContext({ threads: 1 })).threads).toBe(1);
    const auto = await createContext({ threads: 'auto' });
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    expect(auto.threads).toBeLessThanOrEqual(8);
    auto.dispose();
    for (const bad of [0, -1, 1.5, '2', Number.NaN]) {
      await expect(createContext({ threads: bad as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'options.threads' });
    }
  });

  it('createContext({ threads: 2 }) runs convolutions with the same results as one thread', async () => {
    for (const build of ['simd128', 'relaxed'] as const) {
      const ctx1 = await createContext({ build, threads: 1 });
      const ctx2 = await createContext({ build, threads: 2 });
      expect(ctx2.threads).toBe(2);
      const next = (() => {
        let s = 12345;
        return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32 - 0.5);
      })();
      const tensor = (shape: number[]) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next) });
      // Big enough that a plan may split it across threads; small ones must still work.
      for (const [cin, cout, size] of [
        [32, 64, 40],
        [3, 8, 9],
      ] as const) {
        const weight = tensor([cout, cin, 3, 3]);
        const bias = tensor([cout]);
        const input = tensor([2, cin, size, size]);
        const p1 = createConv2d(weight, bias, { padding: 1 }, ctx1);
        const p2 = createConv2d(weight, bias, { padding: 1 }, ctx2);
        const y1 = p1.run(input);
        for (let rep = 0; rep < 3; rep++) {
          const y2 = p2.run(input);
          expect(y2.shape).toEqual(y1.shape);
          expect(sameBits(y2.data, y1.data)).toBe(true);
        }
        p1.dispose();
        p2.dispose();
      }
      ctx1.dispose();
      ctx2.dispose();
    }
  });
});
