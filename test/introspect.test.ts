/**
 * Introspection: output shapes against the float64 reference's outputs (and the same errors where the
 * reference refuses), parameter counts and MACs against the seed figures and their definitions, receptive
 * fields against textbook stacks and against a brute-force probe of which inputs reach an output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import type { ConvOp, ConvTransposeOp } from '../src/shape.js';
import type { ConvOptions, ConvTransposeOptions, Layout, Tensor } from '../src/types.js';
import { type Tensor64, stage64 } from './helpers/chain.js';

function zeros(shape: readonly number[]): Tensor {
  return { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape: [...shape] };
}

function outcome(f: () => readonly number[]): { shape: number[] } | { code: string } {
  try {
    return { shape: [...f()] };
  } catch (e) {
    if (e instanceof sc.SimdconvError) return { code: e.code };
    throw e;
  }
}

function expectError(f: () => unknown, code: sc.ErrorCode, argument: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(sc.SimdconvError);
  const e = error as sc.SimdconvError;
  expect({ code: e.code, argument: e.argument }).toEqual({ code, argument });
}

const spatialArb = (rank: number, min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: rank, maxLength: rank });

describe('convOutputShape', () => {
  it('agrees with the reference convolution, shape or error (property)', () => {
    const seen = new Set<string>();
    const arb = fc.constantFrom<ConvOp>('conv1d', 'conv2d', 'conv3d').chain((op) => {
      const rank = Number(op.at(-2));
      return fc.record({
        op: fc.constant(op),
        batch: fc.integer({ min: 0, max: 2 }),
        g: fc.integer({ min: 1, max: 3 }),
        cinG: fc.integer({ min: 1, max: 2 }),
        coutG: fc.integer({ min: 1, max: 2 }),
        inputGroups: fc.integer({ min: 1, max: 3 }),
        size: spatialArb(rank, 1, 7),
        kernel: spatialArb(rank, 1, 4),
        stride: spatialArb(rank, 1, 3),
        dilation: spatialArb(rank, 1, 3),
        padding: fc.oneof(spatialArb(rank, 0, 3), fc.constantFrom<'same' | 'valid'>('same', 'valid')),
        paddingMode: fc.constantFrom('zeros', 'reflect', 'replicate', 'circular' as const),
        layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
      });
    });
    fc.assert(
      fc.property(arb, (c) => {
        const cin = c.inputGroups * c.cinG; // a mismatch with g * cinG half of the time: CHANNEL_MISMATCH
        const weightShape = [c.g * c.coutG, c.cinG, ...c.kernel];
        const core = c.layout === 'channels-first' ? [cin, ...c.size] : [...c.size, cin];
        const inputShape = c.batch === 0 ? core : [c.batch, ...core];
        const options: ConvOptions = { groups: c.g, stride: c.stride, dilation: c.dilation, padding: c.padding, paddingMode: c.paddingMode, layout: c.layout };
        const mine = outcome(() => sc.convOutputShape(c.op, inputShape, weightShape, options));
        const ref = outcome(() => referenceConv(c.op, zeros(inputShape), zeros(weightShape), null, options).shape);
        expect(mine).toEqual(ref);
        seen.add('shape' in ref ? 'shape' : ref.code);
      }),
      { numRuns: 400 },
    );
    // Both sides of the property were exercised: shapes and each kind of refusal.
    for (const kind of ['shape', 'INVALID_ARGUMENT', 'INVALID_PADDING_MODE', 'KERNEL_TOO_LARGE']) expect(seen).toContain(kind);
    expect(seen.has('CHANNEL_MISMATCH') || seen.has('INVALID_GROUPS')).toBe(true); // input channels not g * Cin/g
  });

  it('agrees with the reference transposed convolution, shape or error (property)', () => {
    const seen = new Set<string>();
    const arb = fc.constantFrom<ConvTransposeOp>('convTranspose1d', 'convTranspose2d', 'convTranspose3d').chain((op) => {
      const rank = Number(op.at(-2));
      return fc.record({
        op: fc.constant(op),
        batch: fc.integer({ min: 0, max: 2 }),
        g: fc.integer({ min: 1, max: 2 }),
        cinG: fc.integer({ min: 1, max: 2 }),
        coutG: fc.integer({ min: 1, max: 2 }),
        size: spatialArb(rank, 1, 5),
        kernel: spatialArb(rank, 1, 3),
        stride: spatialArb(rank, 1, 3),
        dilation: spatialArb(rank, 1, 2),
        padding: spatialArb(rank, 0, 2),
        outputPadding: spatialArb(rank, 0, 2),
        outputSizeDelta: fc.option(spatialArb(rank, -1, 3)),
        layout: fc.constantFrom<Layout>('channels-first', 'channels-last'),
      });
    });
    fc.assert(
      fc.property(arb, (c) => {
        const cin = c.g * c.cinG;
        const weightShape = [cin, c.coutG, ...c.kernel];
        const core = c.layout === 'channels-first' ? [cin, ...c.size] : [...c.size, cin];
        const inputShape = c.batch === 0 ? core : [c.batch, ...core];
        const options: ConvTransposeOptions = {
          groups: c.g,
          stride: c.stride,
          dilation: c.dilation,
          padding: c.padding,
          outputPadding: c.outputPadding,
          layout: c.layout,
        };
        if (c.outputSizeDelta) {
          // Around the smallest size: in range, below it and above it.
          options.outputSize = c.size.map((n, i) =>
            Math.max(1, (n - 1) * c.stride[i]! - 2 * c.padding[i]! + c.dilation[i]! * (c.kernel[i]! - 1) + 1 + c.outputSizeDelta![i]!),
          );
        }
        const mine = outcome(() => sc.convOutputShape(c.op, inputShape, weightShape, options));
        const ref = outcome(() => referenceConvTranspose(c.op, zeros(inputShape), zeros(weightShape), null, options).shape);
        expect(mine).toEqual(ref);
        seen.add('shape' in ref ? 'shape' : ref.code);
      }),
      { numRuns: 400 },
    );
    expect(seen.has('shape') && seen.has('INVALID_ARGUMENT')).toBe(true);
  });

  it('matches a plan and a few hand-computed shapes', async () => {
    expect(sc.convOutputShape('conv2d', [1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 })).toEqual([1, 64, 112, 112]);
    expect(sc.convOutputShape('conv2d', [224, 224, 3], [64, 3, 7, 7], { stride: 2, padding: 3, layout: 'channels-last' })).toEqual([112, 112, 64]);
    expect(sc.convOutputShape('conv1d', [2, 4, 10], [8, 4, 4], { padding: 'same', dilation: 2 })).toEqual([2, 8, 10]);
    expect(sc.convOutputShape('conv3d', [1, 2, 5, 6, 7], [4, 1, 3, 3, 3], { groups: 2 })).toEqual([1, 4, 3, 4, 5]);
    expect(sc.convOutputShape('convTranspose2d', [1, 16, 7, 7], [16, 8, 4, 4], { stride: 2, padding: 1 })).toEqual([1, 8, 14, 14]);
    expect(sc.convOutputShape('convTranspose2d', [1, 16, 7, 7], [16, 8, 3, 3], { stride: 2, padding: 1, outputPadding: 1 })).toEqual([1, 8, 14, 14]);
    expect(sc.convOutputShape('convTranspose1d', [1, 2, 5], [2, 3, 3], { stride: 2, outputSize: [12] })).toEqual([1, 3, 12]);
    await sc.init({ backend: 'js' });
    const plan = sc.createConv2d(zeros([6, 2, 3, 3]), null, { groups: 2, stride: [2, 1], padding: 1 });
    expect(plan.outputShape([3, 4, 9, 8])).toEqual(sc.convOutputShape('conv2d', [3, 4, 9, 8], [6, 2, 3, 3], { groups: 2, stride: [2, 1], padding: 1 }));
    plan.dispose();
  });

  it('raises typed errors named after its own arguments', () => {
    expectError(() => sc.convOutputShape('conv4d' as ConvOp, [1, 1, 4], [1, 1, 1]), 'INVALID_ARGUMENT', 'op');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 8, 8], [4, 3, 3]), 'INVALID_RANK', 'weightShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 8, 8], [4, 3, 3, -1]), 'INVALID_ARGUMENT', 'weightShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 8, 8], [4, 0, 3, 3]), 'EMPTY_OUTPUT', 'weightShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 8, 8], [4, 3, 3, 3], { groups: 3 }), 'INVALID_GROUPS', 'options.groups');
    expectError(() => sc.convOutputShape('conv2d', [1, 2, 8, 8], [4, 3, 3, 3]), 'CHANNEL_MISMATCH', 'inputShape[1]');
    expectError(() => sc.convOutputShape('conv2d', [8, 8], [4, 3, 3, 3]), 'INVALID_RANK', 'inputShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 0, 8], [4, 3, 3, 3]), 'EMPTY_OUTPUT', 'inputShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 2, 8], [4, 3, 3, 3]), 'KERNEL_TOO_LARGE', 'weightShape');
    expectError(() => sc.convOutputShape('conv2d', 'x' as unknown as number[], [4, 3, 3, 3]), 'INVALID_ARGUMENT', 'inputShape');
    expectError(() => sc.convOutputShape('conv2d', [1, 3, 8, 8], [4, 3, 3, 3], { stride: 0 }), 'INVALID_ARGUMENT', 'options.stride');
    expectError(
      () => sc.convOutputShape('conv2d', [1, 3, 4, 4], [4, 3, 3, 3], { padding: 4, paddingMode: 'reflect' }),
      'INVALID_PADDING_MODE',
      'options.padding',
    );
    expectError(
      () => sc.convOutputShape('convTranspose2d', [1, 4, 5, 5], [4, 2, 3, 3], { stride: 2, outputPadding: 2 }),
      'INVALID_ARGUMENT',
      'options.outputPadding',
    );
    expectError(() => sc.convOutputShape('convTranspose1d', [1, 4, 5], [4, 2, 3], { padding: 'same' } as never), 'INVALID_ARGUMENT', 'options.padding');
  });
});

describe('parameter counts', () => {
  const weightShape = (cin: number, cout: number, k: number, groups?: number) =>
    sc.convWeightShape('conv2d', { inChannels: cin, outChannels: cout, kernelSize: k, groups });

  it('gives the seed figures exactly', () => {
    expect(sc.convParameterCount('conv2d', weightShape(64, 128, 3))).toBe(73_728);
    expect(sc.convParameterCount('conv2d', weightShape(64, 128, 3, 2))).toBe(36_864);
    expect(sc.convParameterCount('conv2d', weightShape(32, 256, 3, 8))).toBe(9_216);
    expect(sc.convParameterCount('conv2d', weightShape(32, 256, 3))).toBe(73_728);
    expect(weightShape(64, 128, 3, 2)).toEqual([128, 32, 3, 3]);
    expect(sc.convParameterCount('conv2d', [128, 64, 3, 3], { bias: true })).toBe(73_728 + 128);
  });

  it('counts transposed weights and bias (Cout = weightShape[1] * groups)', () => {
    const shape = sc.convWeightShape('convTranspose2d', { inChannels: 16, outChannels: 8, kernelSize: [4, 2], groups: 2 });
    expect(shape).toEqual([16, 4, 4, 2]);
    expect(sc.convParameterCount('convTranspose2d', shape)).toBe(16 * 4 * 8);
    expect(sc.convParameterCount('convTranspose2d', shape, { bias: true, groups: 2 })).toBe(16 * 4 * 8 + 8);
    expect(sc.convParameterCount('conv1d', [5, 3, 7], { bias: true })).toBe(110);
    expect(sc.convParameterCount('conv3d', [2, 2, 3, 3, 3])).toBe(108);
  });

  it('is 1/groups of the dense count for every divisor (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 7 }),
        (g, a, b, k) => {
          const dense = sc.convParameterCount('conv2d', weightShape(g * a, g * b, k));
          expect(sc.convParameterCount('conv2d', weightShape(g * a, g * b, k, g)) * g).toBe(dense);
        },
      ),
    );
  });

  it('raises typed errors', () => {
    expectError(() => weightShape(30, 64, 3, 4), 'INVALID_GROUPS', 'options.groups');
    expectError(() => weightShape(32, 66, 3, 4), 'INVALID_GROUPS', 'options.groups');
    expectError(() => weightShape(0, 64, 3), 'INVALID_ARGUMENT', 'options.inChannels');
    expectError(() => sc.convWeightShape('conv2d', { inChannels: 1, outChannels: 1, kernelSize: [3] }), 'INVALID_ARGUMENT', 'options.kernelSize');
    expectError(() => sc.convParameterCount('conv2d', [4, 3, 3, 3], { bias: 1 as unknown as boolean }), 'INVALID_ARGUMENT', 'options.bias');
    expectError(() => sc.convParameterCount('conv2d', [4, 3, 3]), 'INVALID_RANK', 'weightShape');
    expectError(() => sc.convParameterCount('convTranspose2d', [4, 3, 3, 3], { groups: 3 }), 'INVALID_GROUPS', 'options.groups');
    expectError(() => sc.convParameterCount('deconv' as ConvOp, [4, 3, 3, 3]), 'INVALID_ARGUMENT', 'op');
  });
});

describe('MACs and FLOPs', () => {
  it('counts the definition: N * Cout * prod(out) * Cin/groups * prod(k)', () => {
    // ResNet's 3x3 64 -> 128 at 56x56, padding 1.
    expect(sc.convMacs('conv2d', [1, 64, 56, 56], [128, 64, 3, 3], { padding: 1 })).toBe(128 * 56 * 56 * 64 * 9);
    expect(sc.convFlops('conv2d', [1, 64, 56, 56], [128, 64, 3, 3], { padding: 1 })).toBe(2 * 128 * 56 * 56 * 64 * 9);
    expect(sc.convMacs('conv2d', [2, 64, 56, 56], [128, 32, 3, 3], { padding: 1, groups: 2 })).toBe(2 * 128 * 56 * 56 * 32 * 9);
    expect(sc.convMacs('conv1d', [3, 10], [5, 3, 4], { stride: 2 })).toBe(5 * 4 * 3 * 4);
    // Transposed: every input element scatters Cout/groups * prod(k) products.
    expect(sc.convMacs('convTranspose2d', [1, 16, 7, 7], [16, 8, 4, 4], { stride: 2, padding: 1 })).toBe(16 * 49 * 8 * 16);
  });

  it("depthwise-separable / standard = 1/Cout + 1/k^2 (MobileNet's ratio), and matches the composite plan", async () => {
    await sc.init({ backend: 'js' });
    const [cin, cout, k, hw] = [32, 64, 3, 28];
    const input = [1, cin, hw, hw];
    const standard = sc.convMacs('conv2d', input, [cout, cin, k, k], { padding: 'same' });
    const dw = sc.convMacs('conv2d', input, [cin, 1, k, k], { padding: 'same', groups: cin });
    const pw = sc.convMacs('conv2d', [1, cin, hw, hw], [cout, cin, 1, 1]);
    expect((dw + pw) / standard).toBeCloseTo(1 / cout + 1 / (k * k), 12);
    const plan = sc.createDepthwiseSeparableConv2d(zeros([cin, 1, k, k]), zeros([cout, cin, 1, 1]), { padding: 'same' });
    expect(plan.macs(input)).toBe(dw + pw);
    plan.dispose();
  });
});

describe('receptiveField', () => {
  const conv3 = { kernel: 3 };
  const pool2 = { kernel: 2, stride: 2 };

  it('three 3x3 stride-1 convs see 7x7', () => {
    const [h, w] = sc.receptiveField([conv3, conv3, conv3], { rank: 2 });
    expect(h!.size).toBe(7);
    expect(w!.size).toBe(7);
    expect(h!.jump).toBe(1);
    expect(h!.layers.map((l) => l.size)).toEqual([3, 5, 7]);
    expect(h!.layers.map((l) => l.effectiveKernel)).toEqual([3, 3, 3]);
    // 'same' padding centres the field on output 0.
    const [same] = sc.receptiveField([
      { ...conv3, padding: 'same' },
      { ...conv3, padding: 1 },
      { ...conv3, padding: 1 },
    ]);
    expect(same).toMatchObject({ size: 7, start: -3, center: 0 });
  });

  it('VGG-16: 196 at conv5_3, 212 after pool5, jump 32', () => {
    const vgg = [conv3, conv3, pool2, conv3, conv3, pool2, conv3, conv3, conv3, pool2, conv3, conv3, conv3, pool2, conv3, conv3, conv3, pool2].map((l) =>
      l === conv3 ? { ...l, padding: 1 } : l,
    );
    const [axis] = sc.receptiveField(vgg);
    expect(axis!.layers[16]).toMatchObject({ size: 196, jump: 16 });
    expect(axis).toMatchObject({ size: 212, jump: 32 });
    expect(axis!.layers.map((l) => l.size)).toEqual([3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]);
    // Padding 1 on every 3x3 conv: each moves output 0's field start back by the jump at that conv.
    expect(axis!.start).toBe(-(1 * 2 + 2 * 2 + 4 * 3 + 8 * 3 + 16 * 3));
  });

  it('AlexNet: 195 after pool5', () => {
    const [axis] = sc.receptiveField([
      { kernel: 11, stride: 4, padding: 2 },
      { kernel: 3, stride: 2 },
      { kernel: 5, padding: 2 },
      { kernel: 3, stride: 2 },
      { kernel: 3, padding: 1 },
      { kernel: 3, padding: 1 },
      { kernel: 3, padding: 1 },
      { kernel: 3, stride: 2 },
    ]);
    expect(axis!.layers.map((l) => l.size)).toEqual([11, 19, 51, 67, 99, 131, 163, 195]);
    expect(axis!.jump).toBe(32);
  });

  it('dilated 3x3 stack with dilations 1, 2, 4 sees 15 (effective kernels 3, 5, 9)', () => {
    const [axis] = sc.receptiveField([1, 2, 4].map((d) => ({ kernel: 3, dilation: d })));
    expect(axis!.size).toBe(15);
    expect(axis!.layers.map((l) => l.effectiveKernel)).toEqual([3, 5, 9]);
    // WaveNet-style 1-D causal stack, kernel 2, dilations 1..512: 1024.
    const [wavenet] = sc.receptiveField([1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((d) => ({ kernel: 2, dilation: d })));
    expect(wavenet!.size).toBe(1024);
  });

  it('keeps axes apart', () => {
    const axes = sc.receptiveField([{ kernel: [7, 1] }, { kernel: [1, 7] }, { kernel: [3, 3], stride: [2, 1], dilation: [1, 2] }]);
    expect(axes.map((a) => a.size)).toEqual([9, 11]);
    expect(axes.map((a) => a.jump)).toEqual([2, 1]);
  });

  it('is the span of inputs that reach an output (brute force through the reference, property)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kernel: fc.integer({ min: 1, max: 4 }),
            stride: fc.integer({ min: 1, max: 3 }),
            dilation: fc.integer({ min: 1, max: 3 }),
            padding: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        (layers) => {
          const [axis] = sc.receptiveField(layers);
          const { size, jump, start } = axis!;
          const n = 2 * size + 2 * jump + 8 + layers.reduce((a, l) => a + 2 * l.padding, 0);
          // An output whose field lies inside the input (not clipped by the padding).
          const u = Math.ceil(-start / jump);
          const stages = layers.map((l) => ({
            op: 'conv1d' as const,
            weight: { data: new Float32Array(l.kernel).fill(1), shape: [1, 1, l.kernel] },
            options: { stride: l.stride, dilation: l.dilation, padding: l.padding },
          }));
          const reached: number[] = [];
          for (let i = 0; i < n; i++) {
            let x: Tensor64 = { shape: [1, 1, n], data: new Float64Array(n) };
            x.data[i] = 1;
            try {
              for (const s of stages) x = stage64(s, x);
            } catch (e) {
              if (e instanceof sc.SimdconvError) return; // the stack does not fit this input
              throw e;
            }
            if (u < x.shape[2]! && x.data[u]! > 0) reached.push(i);
          }
          if (start + u * jump + size - 1 >= n) return;
          expect(reached[0]).toBe(start + u * jump);
          expect(reached.at(-1)).toBe(start + u * jump + size - 1);
          checked++;
        },
      ),
      { numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('raises typed errors', () => {
    expectError(() => sc.receptiveField('conv' as never), 'INVALID_ARGUMENT', 'layers');
    expectError(() => sc.receptiveField([{ kernel: 0 }]), 'INVALID_ARGUMENT', 'layers[0].kernel');
    expectError(() => sc.receptiveField([{ kernel: 3 }, { kernel: 3, stride: [1, 2] }], { rank: 3 }), 'INVALID_ARGUMENT', 'layers[1].stride');
    expectError(() => sc.receptiveField([{ kernel: [3, 3] }, { kernel: [3, 3, 3] }]), 'INVALID_ARGUMENT', 'layers[1].kernel');
    expectError(() => sc.receptiveField([{ kernel: 3, padding: 'full' as never }]), 'INVALID_ARGUMENT', 'layers[0].padding');
    expectError(() => sc.receptiveField([{ kernel: 3, padding: -1 }]), 'INVALID_ARGUMENT', 'layers[0].padding');
    expectError(() => sc.receptiveField([{} as never]), 'INVALID_ARGUMENT', 'layers[0].kernel');
    expectError(() => sc.receptiveField([null as never]), 'INVALID_ARGUMENT', 'layers[0]');
    expectError(() => sc.receptiveField([{ kernel: 3 }], { rank: 0 }), 'INVALID_ARGUMENT', 'options.rank');
    expect(sc.receptiveField([])).toEqual([{ size: 1, jump: 1, start: 0, center: 0, layers: [] }]);
  });
});
