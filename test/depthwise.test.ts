/**
 * The dedicated depthwise kernels (assembly/depthwise.ts via src/backends/wasm/depthwise-conv-plan.ts):
 * groups == Cin > 1, Cout = M * Cin. Property tests against the float64 reference within the float32 bound
 * of test/helpers/tolerance.ts (bound from the reference on |x|, |w|, |b|; reduction size = prod(kernel)),
 * on both wasm builds, asserting the plan took the depthwise path.
 *
 * Coverage: rank 1-3, batch 1-3 or unbatched, C 1..9 and 17 (C = 1 is a normal convolution and must not take
 * the depthwise path), multiplier 1-3, widths 1..37 (every remainder of the 4- to 24-pixel blocks), stride
 * 1-3 (stride 2 runs on an even/odd split of the input, 3 gathers lanes), dilation 1-3, padding int /
 * per-axis / 'same' / 'valid', every padding mode, both layouts, activations, bias or not, NaN and +-Inf in
 * the input. A deterministic sweep covers every width x stride on the edge-block logic; two-thread contexts
 * split the work (channels / rows); a chain runs the kernel resident (input already in wasm memory).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { describeKernel } from '../src/plan.js';
import { convForward, referenceConv, type Tensor64 } from '../src/reference.js';
import { type ConvOp, resolveConvGeometry, resolveConvParams } from '../src/shape.js';
import type { Activation, ConvOptions, Layout, PaddingMode, Tensor } from '../src/types.js';
import { MIN_MACS_PER_THREAD } from '../src/backends/wasm/tile-policy.js';
import { chainMakers } from '../src/backends/wasm/chain.js';
import { wasmConvPlan } from '../src/backends/wasm/select.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { sameBits } from './helpers/bits.js';
import { rng, randomTensor } from './helpers/random.js';

fc.configureGlobal({ seed: 0xd3b7_1a5e, endOnFailure: true });

type PlanOptions = Omit<ConvOptions, 'out'>;

interface Case {
  op: ConvOp;
  input: Tensor;
  weight: Tensor;
  bias: Tensor | null;
  options: PlanOptions;
}

const OPS: Record<number, ConvOp> = { 1: 'conv1d', 2: 'conv2d', 3: 'conv3d' };

const contexts: { simd128?: sc.Context; relaxed?: sc.Context } = {};
const builds = () => [contexts.simd128!, contexts.relaxed!];

beforeAll(async () => {
  contexts.simd128 = await sc.createContext({ build: 'simd128' });
  contexts.relaxed = await sc.createContext({ build: 'relaxed' });
  expect(contexts.simd128.build).toBe('simd128');
  expect(contexts.relaxed.build).toBe('relaxed');
});

afterAll(() => {
  for (const ctx of builds()) expect(ctx.memoryStats().bytesInUse, `${ctx.build} leaks`).toBe(0);
});

/** NaN at the first value, +Inf at the last, -Inf in the middle: a sweep's borders and inside. */
function plantNonFinite(t: Tensor): void {
  t.data[0] = NaN;
  t.data[t.data.length - 1] = Infinity;
  t.data[Math.floor(t.data.length / 2)] = -Infinity;
}

function isDepthwiseCase(c: Case): boolean {
  const groups = c.options.groups ?? 1;
  return groups > 1 && c.weight.shape[1] === 1;
}

/** Runs `c` on a plan of `ctx`, checks it against the reference and the kernel path; returns the plan's info. */
function check(ctx: sc.Context, c: Case, expected: { value: Tensor64; bound: Float64Array }): sc.PlanInfo {
  const plan = ctx.createPlan(resolveConvParams(c.op, c.weight, c.bias, c.options), wasmConvPlan);
  try {
    const result = plan.run(c.input);
    const info = plan.info;
    if (isDepthwiseCase(c)) expect(info.path, 'depthwise path').toMatch(/^depthwise/);
    else expect(info.path, 'C = 1 is a normal convolution').toMatch(/^gemm-/);
    const taps = c.weight.shape.slice(2).reduce((a, b) => a * b, 1);
    expectConvClose(result, expected.value, expected.bound, taps);
    // A second run on the same plan (cached workspaces, staging reused) gives the same bits.
    const again = plan.run(c.input);
    expect(Buffer.compare(Buffer.from(again.data.buffer), Buffer.from(result.data.buffer))).toBe(0);
    return info;
  } finally {
    plan.dispose();
  }
}

function reference(c: Case): { value: Tensor64; bound: Float64Array } {
  const value = referenceConv(c.op, c.input, c.weight, c.bias, c.options);
  const bound = referenceConv(c.op, absTensor(c.input), absTensor(c.weight), c.bias && absTensor(c.bias), { ...c.options, activation: 'none' }).data;
  return { value, bound };
}

function describeCase(c: Case): string {
  return `${c.op} input [${c.input.shape}] weight [${c.weight.shape}] bias ${c.bias ? 'yes' : 'no'} ${JSON.stringify(c.options)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Random cases

interface Raw {
  rank: 1 | 2 | 3;
  c: number;
  m: number;
  batch: number | null;
  size: [number, number, number];
  kernel: [number, number, number];
  stride: [number, number, number];
  dilation: [number, number, number];
  padding: { kind: 'int'; value: number } | { kind: 'array'; values: [number, number, number] } | { kind: 'same' } | { kind: 'valid' };
  paddingMode: PaddingMode;
  layout: Layout;
  activation: Activation | undefined;
  hasBias: boolean;
  special: boolean;
  seed: number;
}

const triple = (arb: fc.Arbitrary<number>) => fc.tuple(arb, arb, arb);

const rawArb: fc.Arbitrary<Raw> = fc.record({
  rank: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
  c: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constant(17)),
  m: fc.integer({ min: 1, max: 3 }),
  batch: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 3 })),
  // (depth, height, width): the width runs over every remainder of the 4- and 16-pixel blocks.
  size: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 37 })),
  kernel: triple(fc.integer({ min: 1, max: 5 })),
  stride: triple(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 }))),
  dilation: triple(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 }))),
  padding: fc.oneof(
    fc.record({ kind: fc.constant('int' as const), value: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('array' as const), values: triple(fc.integer({ min: 0, max: 3 })) }),
    fc.constant({ kind: 'same' as const }),
    fc.constant({ kind: 'valid' as const }),
  ),
  paddingMode: fc.constantFrom<PaddingMode>('zeros', 'zeros', 'reflect', 'replicate', 'circular'),
  layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
  activation: fc.constantFrom<Activation | undefined>(undefined, 'relu', 'relu6', { min: -0.25, max: 0.5 }),
  hasBias: fc.boolean(),
  special: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

function buildCase(r: Raw): Case {
  const rank = r.rank;
  const tail = <T>(v: readonly T[]) => v.slice(3 - rank);
  const kernel = tail(r.kernel);
  const dilation = tail(r.dilation);
  const stride = r.padding.kind === 'same' ? kernel.map(() => 1) : tail(r.stride);
  let padBefore: number[];
  let padAfter: number[];
  let padding: PlanOptions['padding'];
  switch (r.padding.kind) {
    case 'int':
      padBefore = padAfter = kernel.map(() => (r.padding as { value: number }).value);
      padding = r.padding.value;
      break;
    case 'array':
      padBefore = padAfter = tail(r.padding.values);
      padding = padBefore;
      break;
    case 'valid':
      padBefore = padAfter = kernel.map(() => 0);
      padding = 'valid';
      break;
    case 'same': {
      const total = kernel.map((k, i) => dilation[i]! * (k - 1));
      padBefore = total.map((t) => Math.floor(t / 2));
      padAfter = total.map((t, i) => t - padBefore[i]!);
      padding = 'same';
      break;
    }
  }
  // Grow sizes to PyTorch's limits: the kernel fits the padded input, reflect pad < size, circular pad <= size.
  const size = tail(r.size).map((n, i) => {
    const pb = padBefore[i]!;
    const pa = padAfter[i]!;
    let min = Math.max(1, dilation[i]! * (kernel[i]! - 1) + 1 - pb - pa);
    if (r.paddingMode === 'reflect') min = Math.max(min, Math.max(pb, pa) + 1);
    if (r.paddingMode === 'circular') min = Math.max(min, Math.max(pb, pa));
    return Math.max(n, min);
  });
  const spatial = r.layout === 'channels-first' ? [r.c, ...size] : [...size, r.c];
  const next = rng(r.seed);
  const input = randomTensor(r.batch === null ? spatial : [r.batch, ...spatial], next);
  if (r.special) {
    // A few NaN / +-Inf at random places (interior and borders alike).
    const specials = [NaN, Infinity, -Infinity];
    const count = 1 + Math.floor(next() * 3);
    for (let i = 0; i < count; i++) input.data[Math.floor(next() * input.data.length)] = specials[i % 3]!;
  }
  const weight = randomTensor([r.c * r.m, 1, ...kernel], next);
  const bias = r.hasBias ? randomTensor([r.c * r.m], next) : null;
  const options: PlanOptions = { groups: r.c, stride, dilation, padding, paddingMode: r.paddingMode, layout: r.layout };
  if (r.activation !== undefined) options.activation = r.activation;
  return { op: OPS[rank]!, input, weight, bias, options };
}

describe('depthwise kernels', () => {
  it('match the float64 reference on random cases, both builds', () => {
    const kernels = new Set<string>();
    fc.assert(
      fc.property(rawArb.map(buildCase), (c) => {
        const expected = reference(c);
        for (const ctx of builds()) {
          try {
            kernels.add(check(ctx, c, expected).name);
          } catch (e) {
            throw new Error(`${ctx.build}: ${describeCase(c)}\n${(e as Error).message}`);
          }
        }
      }),
      { numRuns: 220 },
    );
    // Every kernel family was exercised.
    for (const k of ['dwconv-cf-4px', 'dwconv-cf-blocked-4ch-8px', 'dwconv-cl-4ch']) expect([...kernels]).toContain(k);
  });

  it('cover every width remainder x stride x dilation on the edge blocks (deterministic sweep)', () => {
    const next = rng(77);
    for (const layout of ['channels-first', 'channels-last'] as const) {
      for (let w = 1; w <= 37; w++) {
        for (const s of [1, 2, 3]) {
          const m = 1 + (w % 2);
          const d = 1 + (w % 3 === 0 ? 1 : 0);
          const c = 3;
          const k = 3;
          const width = Math.max(w, d * (k - 1) + 1 - 2);
          const input = randomTensor(layout === 'channels-first' ? [1, c, 4, width] : [1, 4, width, c], next);
          const cs: Case = {
            op: 'conv2d',
            input,
            weight: randomTensor([c * m, 1, k, k], next),
            bias: randomTensor([c * m], next),
            options: { groups: c, stride: s, dilation: [1, d], padding: [1, 1 + (w % 2)], layout, activation: w % 4 === 0 ? 'relu' : 'none' },
          };
          // Strides 1 and 2 in 2-D take the channel-blocked kernel at (most of) these widths; the same rows as a
          // 3-D input of depth 2 keep the per-plane kernel's edge blocks covered for them too.
          const volume: Case = {
            op: 'conv3d',
            input: randomTensor(layout === 'channels-first' ? [1, c, 2, 4, width] : [1, 2, 4, width, c], next),
            weight: randomTensor([c * m, 1, 1, k, k], next),
            bias: cs.bias,
            options: { ...cs.options, stride: [1, s, s], dilation: [1, 1, d], padding: [0, 1, 1 + (w % 2)] },
          };
          for (const one of s <= 2 ? [cs, volume] : [cs]) {
            const expected = reference(one);
            for (const ctx of builds()) {
              try {
                const kernel = check(ctx, one, expected);
                if (layout === 'channels-first' && one === volume) expect(kernel).toMatchObject({ path: 'depthwise', layout: 'channels-first' });
              } catch (e) {
                throw new Error(`${ctx.build}: ${describeCase(one)}\n${(e as Error).message}`);
              }
            }
          }
        }
      }
    }
  });

  it('3x3 stride 2: every width 1..21 x height x padding on the in-register kernel (quads, masks, spills)', () => {
    // assembly/depthwise-3x3-s2.ts: quads of 4 output pixels, masked where a lane reads padding, the last quad's
    // store spilling into the next row except on a plane's last row. Widths cover every quad remainder and rows
    // ending in padding or not; heights 1..7 every top / bottom border; padding 0..2 per axis; NaN and +-Inf at
    // the borders and inside; a multiplier; bias, activations.
    const next = rng(91);
    let cases = 0;
    for (let w = 1; w <= 21; w++) {
      for (const h of [1, 2, 3, 4, 7]) {
        for (const [ph, pw] of [
          [0, 0],
          [1, 1],
          [0, 1],
          [1, 0],
          [2, 2],
          [1, 2],
        ] as const) {
          if (w + 2 * pw < 3 || h + 2 * ph < 3) continue;
          const c = 2 + (w % 2);
          const m = 1 + ((w + h) % 3 === 0 ? 1 : 0);
          const input = randomTensor(h % 2 ? [c, h, w] : [2, c, h, w], next);
          if ((w + h + ph) % 3 === 0) plantNonFinite(input);
          const cs: Case = {
            op: 'conv2d',
            input,
            weight: randomTensor([c * m, 1, 3, 3], next),
            bias: w % 4 === 0 ? null : randomTensor([c * m], next),
            options: { groups: c, stride: 2, padding: [ph, pw], activation: (['none', 'relu6', { min: -0.25, max: 0.5 }] as const)[w % 3] },
          };
          const expected = reference(cs);
          // An axis with one output has no stride (the plan takes it as 1): another kernel runs those.
          const oneOutput = (w + 2 * pw - 3) >> 1 === 0 || (h + 2 * ph - 3) >> 1 === 0;
          for (const ctx of builds()) {
            try {
              const info = check(ctx, cs, expected);
              if (!oneOutput) expect(info).toMatchObject({ name: 'dwconv-3x3-s2-4px', flags: { stride: 2, split: 'in-register' } });
            } catch (e) {
              throw new Error(`${ctx.build}: ${describeCase(cs)}\n${(e as Error).message}`);
            }
          }
          if (!oneOutput) cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  });

  it('5 wide, width stride 1 and 2: every width 1..23 x height x padding on the channel-blocked kernel', async () => {
    // assembly/depthwise-blocked.ts with a kernel 5 wide (gen/depthwise-blocked-rows.ts blockRowsS1K5 / S2K5):
    // every remainder of the 8-pixel steps and of the 4-channel blocks (3, 5, 6 channels x multipliers), the
    // zero frame with padding 0..3 per axis (beyond the kernel's reach too), stride 2 on the width alone, on the
    // height alone, on both; dilation along the height; NaN and +-Inf at the borders and inside; bias or none,
    // activations; batched and unbatched.
    const next = rng(93);
    let cases = 0;
    for (let w = 1; w <= 23; w++) {
      for (const h of [1, 3, 5, 8]) {
        for (const [ph, pw] of [
          [0, 0],
          [2, 2],
          [1, 2],
          [2, 0],
          [3, 3],
        ] as const) {
          for (const stride of [1, 2, [2, 1], [1, 2]] as const) {
            if (w + 2 * pw < 5 || h + 2 * ph < 5) continue;
            const c = [3, 5, 6][(w + h) % 3]!;
            const m = 1 + ((w + ph) % 4 === 0 ? 1 : 0);
            const dilation = (w + h) % 5 === 0 && h + 2 * ph >= 9 ? [2, 1] : 1;
            const input = randomTensor(h % 2 ? [c, h, w] : [2, c, h, w], next);
            if ((w + h + ph) % 3 === 0) plantNonFinite(input);
            const cs: Case = {
              op: 'conv2d',
              input,
              weight: randomTensor([c * m, 1, 5, 5], next),
              bias: w % 4 === 0 ? null : randomTensor([c * m], next),
              options: { groups: c, stride, dilation, padding: [ph, pw], activation: (['none', 'relu6', { min: -0.25, max: 0.5 }] as const)[w % 3] },
            };
            const expected = reference(cs);
            for (const ctx of builds()) {
              try {
                expect(check(ctx, cs, expected)).toMatchObject({ name: 'dwconv-cf-blocked-4ch-8px', layout: 'channels-first' });
              } catch (e) {
                throw new Error(`${ctx.build}: ${describeCase(cs)}\n${(e as Error).message}`);
              }
            }
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(1000);
    // Two threads claim blocks of 4 channels (EfficientNet-B0's 5x5 layers on 14x14 and 7x7, 2 ending in a
    // block of 2).
    const threaded = [await sc.createContext({ build: 'simd128', threads: 2 }), await sc.createContext({ build: 'relaxed', threads: 2 })];
    try {
      for (const [c, size, stride] of [
        [674, 14, 2],
        [482, 14, 1],
        [1150, 7, 1],
      ] as const) {
        const cs: Case = {
          op: 'conv2d',
          input: randomTensor([1, c, size, size], next),
          weight: randomTensor([c, 1, 5, 5], next),
          bias: randomTensor([c], next),
          options: { groups: c, stride, padding: 2, activation: 'relu6' },
        };
        const expected = reference(cs);
        for (const ctx of threaded) {
          const plan = ctx.createPlan(resolveConvParams(cs.op, cs.weight, cs.bias, cs.options), wasmConvPlan);
          expectConvClose(plan.run(cs.input), expected.value, expected.bound, 25);
          expect(plan.info).toMatchObject({ name: 'dwconv-cf-blocked-4ch-8px', threads: ctx.threads });
          plan.dispose();
        }
      }
    } finally {
      for (const ctx of threaded) ctx.dispose();
    }
  });

  it('name the kernel path in info (path, layout, flags; info.kernel derived from them)', () => {
    const ctx = contexts.relaxed!;
    const next = rng(5);
    const name = (options: PlanOptions, m = 1, op: ConvOp = 'conv2d', width = 8, context = ctx, k = 3) => {
      const kernel = op === 'conv1d' ? [k] : op === 'conv2d' ? [k, k] : [k, k, k];
      const plan = context.createPlan(resolveConvParams(op, randomTensor([4 * m, 1, ...kernel], next), null, { groups: 4, ...options }), wasmConvPlan);
      const spatial = kernel.map((_, i) => (i === kernel.length - 1 ? width : 8));
      plan.run(randomTensor(options.layout === 'channels-last' ? [...spatial, 4] : [4, ...spatial], next));
      const { path, layout, flags, kernel: display } = plan.info;
      expect(display).toBe(describeKernel(plan.info));
      expect(plan.info.backend).toBe('wasm');
      expect(plan.info.weightBytes).toBeGreaterThan(0);
      expect(plan.info.workspaceBytes).toBeGreaterThan(0);
      plan.dispose();
      return { path, layout, flags };
    };
    // 3 wide: channel-blocked up to 64 output columns at stride 1 (32 on the SIMD128 build), 16 at stride 2;
    // per plane beyond.
    expect(name({ padding: 1 })).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1 }, 1, 'conv2d', 64)).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1 }, 1, 'conv2d', 65)).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1 }, 1, 'conv2d', 32, contexts.simd128!)).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1 }, 1, 'conv2d', 33, contexts.simd128!)).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1 }, 3)).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: [1, 0], dilation: [2, 1] })).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1, dilation: [1, 2] })).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 1 } });
    // 3x3 at stride 2: its own kernel at every width; other heights 3 wide at stride 2 channel-blocked up to 16
    // output columns, split even/odd per plane beyond.
    const s2 = { path: 'depthwise', layout: 'channels-first', flags: { stride: 2, split: 'in-register' } };
    expect(name({ padding: 1, stride: 2 })).toEqual(s2);
    expect(name({ padding: 1, stride: 2 }, 2, 'conv2d', 32)).toEqual(s2);
    expect(name({ padding: 1, stride: 2 }, 1, 'conv2d', 34)).toEqual(s2);
    expect(name({ padding: 0, stride: 2 }, 1, 'conv2d', 99, contexts.simd128!)).toEqual(s2);
    expect(name({ padding: 1, stride: [1, 2] })).toEqual({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride: 2, split: 'parity' } });
    expect(name({ padding: 1, stride: 2, dilation: [2, 1] })).toEqual({
      path: 'depthwise-blocked',
      layout: 'channels-first',
      flags: { stride: 2, split: 'parity' },
    });
    expect(name({ padding: 1, stride: 2, dilation: [2, 1] }, 1, 'conv2d', 34)).toEqual({
      path: 'depthwise',
      layout: 'channels-first',
      flags: { stride: 2, split: 'even/odd' },
    });
    // 5 wide: channel-blocked up to 32 output columns at stride 1 on both builds, 16 at stride 2.
    const blocked5 = (stride: number) => ({ path: 'depthwise-blocked', layout: 'channels-first', flags: { stride, ...(stride === 2 && { split: 'parity' }) } });
    expect(name({ padding: 2 }, 1, 'conv2d', 32, ctx, 5)).toEqual(blocked5(1));
    expect(name({ padding: 2 }, 1, 'conv2d', 32, contexts.simd128!, 5)).toEqual(blocked5(1));
    expect(name({ padding: 2 }, 1, 'conv2d', 33, ctx, 5)).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 2, stride: 2 }, 2, 'conv2d', 31, ctx, 5)).toEqual(blocked5(2));
    expect(name({ padding: 2, stride: 2 }, 1, 'conv2d', 33, ctx, 5)).toEqual({
      path: 'depthwise',
      layout: 'channels-first',
      flags: { stride: 2, split: 'even/odd' },
    });
    expect(name({ padding: 2, dilation: [1, 2] }, 1, 'conv2d', 8, ctx, 5)).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 1 } });
    expect(name({ padding: 1, stride: 3 })).toEqual({ path: 'depthwise', layout: 'channels-first', flags: { stride: 3, split: 'lane gather' } });
    expect(name({ padding: 1, paddingMode: 'reflect' })).toEqual({
      path: 'depthwise-blocked',
      layout: 'channels-first',
      flags: { stride: 1, padCopy: 'reflect' },
    });
    expect(name({ padding: 1, paddingMode: 'reflect' }, 1, 'conv2d', 80)).toEqual({
      path: 'depthwise',
      layout: 'channels-first',
      flags: { stride: 1, padCopy: 'reflect' },
    });
    expect(name({ padding: 1, layout: 'channels-last' })).toEqual({ path: 'depthwise', layout: 'channels-last', flags: {} });
    expect(name({ padding: 1, layout: 'channels-last', paddingMode: 'circular' })).toEqual({
      path: 'depthwise',
      layout: 'channels-last',
      flags: { padCopy: 'circular' },
    });
    expect(name({ padding: 1, layout: 'channels-last' }, 2)).toEqual({ path: 'depthwise', layout: 'channels-last', flags: { multiplier: 2 } });
    expect(name({ padding: 1 }, 1, 'conv1d')).toMatchObject({ path: expect.stringMatching(/^depthwise/), layout: 'channels-first' });
    expect(name({ padding: 1, layout: 'channels-last' }, 3, 'conv3d')).toMatchObject({ path: 'depthwise', layout: 'channels-last' });
    // Transposed depthwise and grouped (not depthwise) convolutions keep their own paths.
    const grouped = ctx.createPlan(resolveConvParams('conv2d', randomTensor([4, 2, 3, 3], next), null, { groups: 2 }), wasmConvPlan);
    expect(grouped.info.path).toMatch(/^gemm-/);
    grouped.dispose();
  });

  it('split across two threads (output channels / output rows), both layouts', async () => {
    const next = rng(11);
    const threaded = [await sc.createContext({ build: 'simd128', threads: 2 }), await sc.createContext({ build: 'relaxed', threads: 2 })];
    let splits = 0;
    try {
      for (const layout of ['channels-first', 'channels-last'] as const) {
        // [stride, multiplier, channels, height, width]; the 27-wide maps at stride 1 run channel-blocked (2
        // threads claim blocks of 4 channels; 770 channels end in a block of 2), stride 2 on the 3x3 stride-2
        // kernel (1202 channels).
        for (const [stride, m, c, h, w] of [
          [1, 1, 64, 128, 127],
          [2, 2, 64, 128, 127],
          [3, 3, 96, 128, 127],
          [1, 1, 770, 28, 27],
          [1, 2, 385, 28, 27],
          [2, 1, 1202, 56, 27],
        ] as const) {
          const cs: Case = {
            op: 'conv2d',
            input: randomTensor(layout === 'channels-first' ? [1, c, h, w] : [1, h, w, c], next),
            weight: randomTensor([c * m, 1, 3, 3], next),
            bias: randomTensor([c * m], next),
            options: { groups: c, stride, padding: 1, layout, activation: 'relu6' },
          };
          const expected = reference(cs);
          for (const ctx of threaded) {
            const plan = ctx.createPlan(resolveConvParams(cs.op, cs.weight, cs.bias, cs.options), wasmConvPlan);
            expectConvClose(plan.run(cs.input), expected.value, expected.bound, 9);
            expect(plan.info).toMatchObject(
              layout === 'channels-last' || stride === 2 ? { path: 'depthwise', layout } : { path: w < 32 ? 'depthwise-blocked' : 'depthwise', layout },
            );
            // The dispatcher's threshold decides; these layers are above it for two threads.
            const macs = expected.value.data.length * 9;
            expect(plan.info.threads).toBe(Math.max(1, Math.min(ctx.threads, Math.floor(macs / MIN_MACS_PER_THREAD))));
            if (plan.info.threads === 2) splits++;
            plan.dispose();
          }
        }
      }
    } finally {
      for (const ctx of threaded) ctx.dispose();
    }
    if (threaded.every((ctx) => ctx.threads === 2)) expect(splits).toBeGreaterThan(0);
  });

  it('stage large channels-first runs chunk by chunk of channels, 1 and 2 threads, batch and multiplier', async () => {
    const next = rng(13);
    const threaded = [await sc.createContext({ build: 'simd128', threads: 2 }), await sc.createContext({ build: 'relaxed', threads: 2 })];
    try {
      // [channels, multiplier, stride, height, width, kernel]: chunks that split an image unevenly (the last is
      // short) and cross into the next image of the batch. At stride 1 the first and the last run per plane
      // (width 67 > 64; 380 columns), the others channel-blocked (chunks of multiples of 4 channels per thread,
      // the last short), with a multiplier; stride 2 runs the 3x3 stride-2 kernel, stride 3 gathers lanes. Those
      // marked `split` are large enough for two threads (tile-policy.ts DEPTHWISE_MIN_PER_THREAD): chunks of
      // 1 MiB then.
      const cases = [
        [40, 1, 1, 61, 67, 'dwconv-cf-4px', true],
        [45, 2, 2, 70, 66, 'dwconv-3x3-s2-4px', true],
        [41, 3, 1, 61, 31, 'dwconv-cf-blocked-4ch-8px', true],
        [38, 2, 1, 97, 29, 'dwconv-cf-blocked-4ch-8px', true],
        [90, 1, 2, 100, 27, 'dwconv-3x3-s2-4px', true],
        [64, 2, 1, 48, 30, 'dwconv-cf-blocked-4ch-8px', true],
        [160, 1, 2, 124, 31, 'dwconv-3x3-s2-4px', true],
        [16, 1, 3, 100, 100, 'dwconv-cf-4px', false],
        // Planes larger than a chunk: still a channel per thread.
        [4, 1, 1, 380, 380, 'dwconv-cf-4px', true],
      ] as const;
      for (const [c, m, stride, h, w, kernelName, split] of cases) {
        const blocked = kernelName === 'dwconv-cf-blocked-4ch-8px';
        const cs: Case = {
          op: 'conv2d',
          input: randomTensor([2, c, h, w], next),
          weight: randomTensor([c * m, 1, 3, 3], next),
          bias: randomTensor([c * m], next),
          options: { groups: c, stride, padding: 1, activation: 'relu' },
        };
        cs.input.data[5] = NaN;
        cs.input.data[cs.input.data.length - 7] = Infinity;
        const expected = reference(cs);
        for (const ctx of [...builds(), ...threaded]) {
          const plan = ctx.createPlan(resolveConvParams(cs.op, cs.weight, cs.bias, cs.options), wasmConvPlan);
          try {
            const inputBefore = Float32Array.from(cs.input.data);
            const staged = plan.run(cs.input);
            expect(sameBits(cs.input.data, inputBefore)).toBe(true);
            const chunk = plan.info.flags.chunkChannels ?? 0;
            expect(chunk, `${ctx.build} ${ctx.threads}t ${c}: ${plan.info.kernel}`).toBeGreaterThan(0);
            expect(chunk).toBeLessThan(c);
            expect(chunk).toBeGreaterThanOrEqual((plan.info.threads ?? 1) * (blocked ? 4 : 1));
            expect(plan.info.name, plan.info.kernel).toBe(kernelName);
            expect(plan.info.threads, `${ctx.build} ${ctx.threads}t ${c}: ${plan.info.kernel}`).toBe(split && ctx.threads === 2 ? 2 : 1);
            expectConvClose(staged, expected.value, expected.bound, 9);
            const again = plan.run(cs.input);
            expect(Buffer.compare(Buffer.from(again.data.buffer), Buffer.from(staged.data.buffer))).toBe(0);
            // With the input, the output or both in wasm memory: chunks while one side is staged, whole images
            // when neither is; the same bits every way.
            const residentIn = ctx.tensor([...cs.input.shape], cs.input.data);
            const residentOut = ctx.tensor([...staged.shape]);
            const same = (t: sc.Tensor) => Buffer.compare(Buffer.from(t.data.slice().buffer), Buffer.from(staged.data.buffer));
            for (const [x, into, chunked] of [
              [cs.input, residentOut, true],
              [residentIn, undefined, true],
              [residentIn, residentOut, false],
            ] as const) {
              residentOut.data.fill(NaN);
              const y = plan.run(x, into);
              expect(plan.info.flags.chunkChannels !== undefined, plan.info.kernel).toBe(chunked);
              expect(same(y)).toBe(0);
            }
            residentIn.dispose();
            residentOut.dispose();
          } finally {
            plan.dispose();
          }
        }
      }
    } finally {
      for (const ctx of threaded) ctx.dispose();
    }
  });

  it('run resident inside a chain (pointwise then depthwise), both layouts', () => {
    const next = rng(9);
    for (const ctx of builds()) {
      for (const layout of ['channels-first', 'channels-last'] as const) {
        const c = 6;
        const pw = randomTensor([c, 5, 1, 1], next);
        const dw = randomTensor([2 * c, 1, 3, 3], next);
        const dwOptions: PlanOptions = { groups: c, padding: 1, stride: 2, layout, activation: 'relu6' };
        const chain = ctx.createChain(
          [
            { name: 'pointwise', params: resolveConvParams('conv2d', pw, null, { layout }) },
            { name: 'depthwise', params: resolveConvParams('conv2d', dw, null, dwOptions) },
          ],
          chainMakers,
        );
        const x = randomTensor(layout === 'channels-first' ? [2, 5, 9, 13] : [2, 9, 13, 5], next);
        // Float64 through both stages; the bound is the float64 chain on |x|, |pw|, |dw| with both reductions.
        const dwParams = resolveConvParams('conv2d', dw, null, dwOptions);
        const dwAbsParams = resolveConvParams('conv2d', absTensor(dw), null, { ...dwOptions, activation: 'none' });
        const mid = referenceConv('conv2d', x, pw, null, { layout });
        const midAbs = referenceConv('conv2d', absTensor(x), absTensor(pw), null, { layout });
        const expected = convForward(resolveConvGeometry(dwParams, mid.shape), mid.data);
        const bound = convForward(resolveConvGeometry(dwAbsParams, midAbs.shape), midAbs.data).data;
        const y = chain.run(x);
        expectConvClose(y, expected, bound, 5 + 9 + 2);
        expect(chain.info.stages[1]!.path).toMatch(/^depthwise/);
        expect(chain.info.stages[1]!.resident).toBe(true);
        chain.dispose();
      }
    }
  });
});
