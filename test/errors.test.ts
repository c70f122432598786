/**
 * Every error case, asserted by `code` AND `argument`, and by a message that names the argument, what was
 * expected and what was received. Each case runs through the one-shot function on the default context and
 * through plans on the SIMD128 wasm context and on the js context (validation must not depend on the backend).
 * Values at the limits are checked to be accepted (and right), so the checks are not over-eager either.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv } from '../src/reference.js';
import type { ConvOp } from '../src/shape.js';
import type { ConvOptions, Tensor } from '../src/types.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';
import { randomTensor, rng } from './helpers/random.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers

const next = rng(2024);
const rand = (shape: readonly number[]): Tensor => randomTensor(shape, next);

/** Asserts the full error contract and returns the error. */
function expectSimdconvError(fn: () => unknown, code: sc.ErrorCode, argument: string, expectedHas?: string, receivedHas?: string): sc.SimdconvError {
  let error: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  expect(threw, `expected a ${code} error`).toBe(true);
  if (!(error instanceof sc.SimdconvError)) throw new Error(`expected SimdconvError ${code} (${argument}), got ${String(error)}`);
  checkContract(error, code, argument, expectedHas, receivedHas);
  return error;
}

function checkContract(err: sc.SimdconvError, code: sc.ErrorCode, argument: string, expectedHas?: string, receivedHas?: string): void {
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe('SimdconvError');
  expect({ code: err.code, argument: err.argument }).toEqual({ code, argument });
  expect(typeof err.expected).toBe('string');
  expect(typeof err.received).toBe('string');
  expect(err.expected.length).toBeGreaterThan(0);
  expect(err.received.length).toBeGreaterThan(0);
  const message = String(err.message);
  expect(message).toContain(argument);
  expect(message).toContain(err.expected);
  expect(message).toContain(err.received);
  if (expectedHas !== undefined) expect(err.expected).toContain(expectedHas);
  if (receivedHas !== undefined) expect(err.received).toContain(receivedHas);
}

type Conv = (input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions) => Tensor;
type Api = Record<ConvOp, Conv>;

const CREATE = { conv1d: sc.createConv1d, conv2d: sc.createConv2d, conv3d: sc.createConv3d };

/** The ops as plans on `ctx`: options minus `out` at creation, `out` at run; disposed afterwards. */
function planApi(ctx: () => sc.Context): Api {
  const make =
    (op: ConvOp): Conv =>
    (input, weight, bias, options) => {
      let planOptions: unknown = options;
      let out: Tensor | undefined;
      if (typeof options === 'object' && options !== null && !Array.isArray(options) && 'out' in options) {
        const { out: o, ...rest } = options;
        planOptions = rest;
        out = o;
      }
      const plan = CREATE[op](weight, bias, planOptions as ConvOptions, ctx());
      try {
        return plan.run(input, out);
      } finally {
        plan.dispose();
      }
    };
  return { conv1d: make('conv1d'), conv2d: make('conv2d'), conv3d: make('conv3d') };
}

const ctxs: Record<'simd128' | 'relaxed' | 'js', sc.Context> = {} as never;

const APIS: Array<{ name: string; api: Api }> = [
  { name: 'one-shot', api: { conv1d: sc.conv1d, conv2d: sc.conv2d, conv3d: sc.conv3d } },
  { name: 'plan on wasm simd128', api: planApi(() => ctxs.simd128) },
  { name: 'plan on js', api: planApi(() => ctxs.js) },
];

beforeAll(async () => {
  await sc.init();
  ctxs.simd128 = await sc.createContext({ build: 'simd128' });
  ctxs.relaxed = await sc.createContext({ build: 'relaxed' });
  ctxs.js = await sc.createContext({ backend: 'js' });
});

// Fixed tensors: conv2d input (1, 2, 6, 6), weight (3, 2, 3, 3), bias (3).
const x = rand([1, 2, 6, 6]);
const w = rand([3, 2, 3, 3]);
const b = rand([3]);
const x1 = rand([1, 2, 9]);
const w1 = rand([3, 2, 3]);
const x3 = rand([1, 2, 4, 5, 6]);
const w3 = rand([3, 2, 2, 2, 2]);

interface ErrorCase {
  readonly name: string;
  readonly call: (api: Api) => unknown;
  readonly code: sc.ErrorCode;
  readonly argument: string;
  /** Substrings of err.expected / err.received. */
  readonly expected?: string;
  readonly received?: string;
}

/** A deliberately ill-typed argument. */
const bad = (v: unknown): never => v as never;

const CASES: ErrorCase[] = [
  // INVALID_TENSOR
  { name: 'input null', call: (a) => a.conv2d(bad(null), w, b), code: 'INVALID_TENSOR', argument: 'input', received: 'null' },
  { name: 'input undefined', call: (a) => a.conv2d(bad(undefined), w, b), code: 'INVALID_TENSOR', argument: 'input', received: 'undefined' },
  { name: 'input a number', call: (a) => a.conv2d(bad(5), w, b), code: 'INVALID_TENSOR', argument: 'input', received: '5' },
  { name: 'input a bare Float32Array', call: (a) => a.conv2d(bad(x.data), w, b), code: 'INVALID_TENSOR', argument: 'input.data', received: 'undefined' },
  {
    name: 'input.data a plain array',
    call: (a) => a.conv2d(bad({ data: [...x.data], shape: x.shape }), w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.data',
    expected: 'Float32Array',
  },
  {
    name: 'input.data a Float64Array',
    call: (a) => a.conv2d(bad({ data: new Float64Array(72), shape: x.shape }), w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.data',
    expected: 'Float32Array',
    received: 'Float64Array',
  },
  { name: 'input.data missing', call: (a) => a.conv2d(bad({ shape: x.shape }), w, b), code: 'INVALID_TENSOR', argument: 'input.data', received: 'undefined' },
  { name: 'input.shape not an array', call: (a) => a.conv2d(bad({ data: x.data, shape: '1,2,6,6' }), w, b), code: 'INVALID_TENSOR', argument: 'input.shape' },
  {
    name: 'input.shape with a negative dim',
    call: (a) => a.conv2d(bad({ data: x.data, shape: [1, 2, -6, -6] }), w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.shape',
    received: '-6',
  },
  {
    name: 'input.shape with a fractional dim',
    call: (a) => a.conv2d(bad({ data: x.data, shape: [1, 2, 6.5, 6] }), w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.shape',
    received: '6.5',
  },
  {
    name: 'input.data shorter than the shape',
    call: (a) => a.conv2d({ data: new Float32Array(71), shape: [1, 2, 6, 6] }, w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.data',
    expected: '72',
    received: '71',
  },
  {
    name: 'input.data longer than the shape',
    call: (a) => a.conv2d({ data: new Float32Array(73), shape: [1, 2, 6, 6] }, w, b),
    code: 'INVALID_TENSOR',
    argument: 'input.data',
    expected: '72',
    received: '73',
  },
  { name: 'weight null', call: (a) => a.conv2d(x, bad(null), b), code: 'INVALID_TENSOR', argument: 'weight', received: 'null' },
  {
    name: 'weight.data a Float64Array',
    call: (a) => a.conv2d(x, bad({ data: new Float64Array(54), shape: w.shape }), b),
    code: 'INVALID_TENSOR',
    argument: 'weight.data',
    received: 'Float64Array',
  },
  {
    name: 'weight.data length not matching',
    call: (a) => a.conv2d(x, { data: new Float32Array(53), shape: [3, 2, 3, 3] }, b),
    code: 'INVALID_TENSOR',
    argument: 'weight.data',
    expected: '54',
    received: '53',
  },
  { name: 'weight.shape not an array', call: (a) => a.conv2d(x, bad({ data: w.data }), b), code: 'INVALID_TENSOR', argument: 'weight.shape' },
  { name: 'bias a number', call: (a) => a.conv2d(x, w, bad(3)), code: 'INVALID_TENSOR', argument: 'bias', received: '3' },
  {
    name: 'bias.data an Int32Array',
    call: (a) => a.conv2d(x, w, bad({ data: new Int32Array(3), shape: [3] })),
    code: 'INVALID_TENSOR',
    argument: 'bias.data',
    received: 'Int32Array',
  },
  {
    name: 'bias.data length not matching its shape',
    call: (a) => a.conv2d(x, w, { data: new Float32Array(2), shape: [3] }),
    code: 'INVALID_TENSOR',
    argument: 'bias.data',
    expected: '3',
    received: '2',
  },
  { name: 'out a number', call: (a) => a.conv2d(x, w, b, { out: bad(7) }), code: 'INVALID_TENSOR', argument: 'options.out', received: '7' },
  {
    name: 'out.data a Float64Array',
    call: (a) => a.conv2d(x, w, b, { out: bad({ data: new Float64Array(48), shape: [1, 3, 4, 4] }) }),
    code: 'INVALID_TENSOR',
    argument: 'options.out.data',
    received: 'Float64Array',
  },

  // INVALID_RANK
  {
    name: 'conv2d input of rank 2',
    call: (a) => a.conv2d({ data: new Float32Array(36), shape: [6, 6] }, w, b),
    code: 'INVALID_RANK',
    argument: 'input',
    expected: '4',
    received: '[6, 6]',
  },
  {
    name: 'conv2d input of rank 5',
    call: (a) => a.conv2d({ data: x.data, shape: [1, 1, 2, 6, 6] }, w, b),
    code: 'INVALID_RANK',
    argument: 'input',
    received: '[1, 1, 2, 6, 6]',
  },
  { name: 'conv1d input of rank 4', call: (a) => a.conv1d(x, w1, b), code: 'INVALID_RANK', argument: 'input', expected: '3', received: '[1, 2, 6, 6]' },
  {
    name: 'conv1d input of rank 1',
    call: (a) => a.conv1d({ data: new Float32Array(9), shape: [9] }, w1, b),
    code: 'INVALID_RANK',
    argument: 'input',
    received: '[9]',
  },
  {
    name: 'conv3d input of rank 3',
    call: (a) => a.conv3d({ data: x.data, shape: [2, 6, 6] }, w3, b),
    code: 'INVALID_RANK',
    argument: 'input',
    expected: '5',
    received: '[2, 6, 6]',
  },
  { name: 'conv3d input of rank 6', call: (a) => a.conv3d({ data: x3.data, shape: [1, 1, 2, 4, 5, 6] }, w3, b), code: 'INVALID_RANK', argument: 'input' },
  {
    name: 'conv2d weight of rank 3',
    call: (a) => a.conv2d(x, { data: new Float32Array(18), shape: [3, 2, 3] }, b),
    code: 'INVALID_RANK',
    argument: 'weight',
    expected: '4',
    received: '[3, 2, 3]',
  },
  {
    name: 'conv2d weight of rank 5',
    call: (a) => a.conv2d(x, { data: w3.data, shape: w3.shape }, b),
    code: 'INVALID_RANK',
    argument: 'weight',
    received: '[3, 2, 2, 2, 2]',
  },
  { name: 'conv1d weight of rank 4', call: (a) => a.conv1d(x1, w, b), code: 'INVALID_RANK', argument: 'weight', expected: '3' },
  { name: 'conv3d weight of rank 4', call: (a) => a.conv3d(x3, w, b), code: 'INVALID_RANK', argument: 'weight', expected: '5' },

  // CHANNEL_MISMATCH
  {
    name: 'input channels != weight Cin (batched)',
    call: (a) => a.conv2d(rand([1, 3, 6, 6]), w, b),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[1]',
    expected: '2',
    received: '3',
  },
  {
    name: 'input channels != weight Cin (unbatched)',
    call: (a) => a.conv2d(rand([3, 6, 6]), w, b),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[0]',
    expected: '2',
    received: '3',
  },
  {
    name: 'input channels != weight Cin (channels-last)',
    call: (a) => a.conv2d(rand([1, 6, 6, 3]), w, b, { layout: 'channels-last' }),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[3]',
    received: '3',
  },
  {
    name: 'input channels != weight Cin (channels-last, unbatched)',
    call: (a) => a.conv2d(rand([6, 6, 1]), w, b, { layout: 'channels-last' }),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[2]',
    received: '1',
  },
  {
    name: 'input channels != weight Cin * groups',
    call: (a) => a.conv2d(x, rand([4, 2, 3, 3]), null, { groups: 2 }),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[1]',
    expected: '4',
    received: '2',
  },
  {
    name: 'conv1d input channels mismatch',
    call: (a) => a.conv1d(rand([1, 5, 9]), w1, b),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[1]',
    received: '5',
  },
  {
    name: 'conv3d input channels mismatch',
    call: (a) => a.conv3d(rand([1, 4, 3, 3, 3]), w3, b),
    code: 'CHANNEL_MISMATCH',
    argument: 'input.shape[1]',
    received: '4',
  },
  { name: 'bias length != Cout', call: (a) => a.conv2d(x, w, rand([2])), code: 'CHANNEL_MISMATCH', argument: 'bias.shape', expected: '[3]', received: '[2]' },
  { name: 'bias of rank 2', call: (a) => a.conv2d(x, w, rand([3, 1])), code: 'CHANNEL_MISMATCH', argument: 'bias.shape', expected: '[3]', received: '[3, 1]' },

  // INVALID_GROUPS
  {
    name: 'groups not dividing Cout',
    call: (a) => a.conv2d(rand([1, 4, 6, 6]), w, b, { groups: 2 }),
    code: 'INVALID_GROUPS',
    argument: 'options.groups',
    expected: '3',
    received: '2',
  },
  {
    name: 'groups not dividing the input channels',
    call: (a) => a.conv2d(rand([1, 3, 6, 6]), rand([4, 1, 3, 3]), null, { groups: 2 }),
    code: 'INVALID_GROUPS',
    argument: 'options.groups',
    received: '2',
  },
  { name: 'groups 1.5', call: (a) => a.conv2d(x, w, b, { groups: 1.5 }), code: 'INVALID_GROUPS', argument: 'options.groups', received: '1.5' },
  { name: 'groups 0', call: (a) => a.conv2d(x, w, b, { groups: 0 }), code: 'INVALID_GROUPS', argument: 'options.groups', received: '0' },
  { name: 'groups -1', call: (a) => a.conv2d(x, w, b, { groups: -1 }), code: 'INVALID_GROUPS', argument: 'options.groups', received: '-1' },
  { name: 'groups NaN', call: (a) => a.conv2d(x, w, b, { groups: NaN }), code: 'INVALID_GROUPS', argument: 'options.groups', received: 'NaN' },
  { name: "groups '1'", call: (a) => a.conv2d(x, w, b, { groups: bad('1') }), code: 'INVALID_GROUPS', argument: 'options.groups', received: '"1"' },

  // INVALID_ARGUMENT: stride / dilation / padding
  ...(['stride', 'dilation'] as const).flatMap((key): ErrorCase[] => [
    { name: `${key} 0`, call: (a) => a.conv2d(x, w, b, { [key]: 0 }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, expected: '>= 1', received: '0' },
    { name: `${key} -1`, call: (a) => a.conv2d(x, w, b, { [key]: -1 }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, received: '-1' },
    { name: `${key} 1.5`, call: (a) => a.conv2d(x, w, b, { [key]: 1.5 }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, received: '1.5' },
    { name: `${key} NaN`, call: (a) => a.conv2d(x, w, b, { [key]: NaN }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, received: 'NaN' },
    {
      name: `${key} Infinity`,
      call: (a) => a.conv2d(x, w, b, { [key]: Infinity }),
      code: 'INVALID_ARGUMENT',
      argument: `options.${key}`,
      received: 'Infinity',
    },
    { name: `${key} [1, 0]`, call: (a) => a.conv2d(x, w, b, { [key]: [1, 0] }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, received: '[1, 0]' },
    {
      name: `${key} [1] on conv2d`,
      call: (a) => a.conv2d(x, w, b, { [key]: [1] }),
      code: 'INVALID_ARGUMENT',
      argument: `options.${key}`,
      expected: '2',
      received: '[1]',
    },
    {
      name: `${key} [1, 1, 1] on conv2d`,
      call: (a) => a.conv2d(x, w, b, { [key]: [1, 1, 1] }),
      code: 'INVALID_ARGUMENT',
      argument: `options.${key}`,
      received: '[1, 1, 1]',
    },
    {
      name: `${key} [1, 1] on conv1d`,
      call: (a) => a.conv1d(x1, w1, b, { [key]: [1, 1] }),
      code: 'INVALID_ARGUMENT',
      argument: `options.${key}`,
      expected: '1',
    },
    {
      name: `${key} [1, 1] on conv3d`,
      call: (a) => a.conv3d(x3, w3, b, { [key]: [1, 1] }),
      code: 'INVALID_ARGUMENT',
      argument: `options.${key}`,
      expected: '3',
    },
    { name: `${key} a string`, call: (a) => a.conv2d(x, w, b, { [key]: bad('2') }), code: 'INVALID_ARGUMENT', argument: `options.${key}`, received: '"2"' },
  ]),
  { name: 'padding -1', call: (a) => a.conv2d(x, w, b, { padding: -1 }), code: 'INVALID_ARGUMENT', argument: 'options.padding', received: '-1' },
  { name: 'padding [1, -1]', call: (a) => a.conv2d(x, w, b, { padding: [1, -1] }), code: 'INVALID_ARGUMENT', argument: 'options.padding', received: '[1, -1]' },
  { name: 'padding 0.5', call: (a) => a.conv2d(x, w, b, { padding: 0.5 }), code: 'INVALID_ARGUMENT', argument: 'options.padding', received: '0.5' },
  { name: 'padding [1] on conv2d', call: (a) => a.conv2d(x, w, b, { padding: [1] }), code: 'INVALID_ARGUMENT', argument: 'options.padding', received: '[1]' },
  {
    name: 'padding [1, 1, 1, 1] (F.pad style) on conv2d',
    call: (a) => a.conv2d(x, w, b, { padding: [1, 1, 1, 1] }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.padding',
  },
  {
    name: "padding 'full'",
    call: (a) => a.conv2d(x, w, b, { padding: bad('full') }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.padding',
    received: '"full"',
  },
  {
    name: "padding 'SAME'",
    call: (a) => a.conv2d(x, w, b, { padding: bad('SAME') }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.padding',
    received: '"SAME"',
  },
  {
    name: "padding 'same' with stride 2",
    call: (a) => a.conv2d(x, w, b, { padding: 'same', stride: 2 }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.padding',
    received: '2',
  },
  {
    name: "padding 'same' with stride [1, 2]",
    call: (a) => a.conv2d(x, w, b, { padding: 'same', stride: [1, 2] }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.padding',
    received: '[1, 2]',
  },
  // INVALID_ARGUMENT: activation / layout / options
  {
    name: "activation 'gelu'",
    call: (a) => a.conv2d(x, w, b, { activation: bad('gelu') }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.activation',
    received: '"gelu"',
  },
  {
    name: 'activation {min: 2, max: 1}',
    call: (a) => a.conv2d(x, w, b, { activation: { min: 2, max: 1 } }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.activation',
    expected: 'min <= max',
  },
  { name: 'activation {min: NaN}', call: (a) => a.conv2d(x, w, b, { activation: { min: NaN } }), code: 'INVALID_ARGUMENT', argument: 'options.activation' },
  {
    name: "activation {max: '6'}",
    call: (a) => a.conv2d(x, w, b, { activation: { max: bad('6') } }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.activation',
  },
  { name: 'activation 1', call: (a) => a.conv2d(x, w, b, { activation: bad(1) }), code: 'INVALID_ARGUMENT', argument: 'options.activation', received: '1' },
  {
    name: 'activation null',
    call: (a) => a.conv2d(x, w, b, { activation: bad(null) }),
    code: 'INVALID_ARGUMENT',
    argument: 'options.activation',
    received: 'null',
  },
  { name: "layout 'NHWC'", call: (a) => a.conv2d(x, w, b, { layout: bad('NHWC') }), code: 'INVALID_ARGUMENT', argument: 'options.layout', received: '"NHWC"' },
  { name: 'options a number', call: (a) => a.conv2d(x, w, b, bad(1)), code: 'INVALID_ARGUMENT', argument: 'options', received: '1' },
  { name: 'options a string', call: (a) => a.conv2d(x, w, b, bad('same')), code: 'INVALID_ARGUMENT', argument: 'options', received: '"same"' },
  { name: 'options an array', call: (a) => a.conv2d(x, w, b, bad([1])), code: 'INVALID_ARGUMENT', argument: 'options' },

  // INVALID_PADDING_MODE
  {
    name: "paddingMode 'mirror'",
    call: (a) => a.conv2d(x, w, b, { paddingMode: bad('mirror') }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.paddingMode',
    received: '"mirror"',
  },
  {
    name: "paddingMode 'constant'",
    call: (a) => a.conv2d(x, w, b, { paddingMode: bad('constant') }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.paddingMode',
    received: '"constant"',
  },
  {
    name: 'reflect pad == size',
    call: (a) => a.conv2d(x, w, b, { paddingMode: 'reflect', padding: 6 }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.padding',
    received: '6',
  },
  {
    name: 'reflect pad > size on one axis',
    call: (a) => a.conv2d(rand([1, 2, 8, 3]), w, b, { paddingMode: 'reflect', padding: [2, 4] }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.padding',
    received: '4',
  },
  {
    name: "reflect 'same' needing pad >= size",
    call: (a) => a.conv1d(rand([1, 2, 2]), rand([3, 2, 5]), null, { paddingMode: 'reflect', padding: 'same' }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.padding',
    received: '2',
  },
  {
    name: 'circular pad > size',
    call: (a) => a.conv2d(x, w, b, { paddingMode: 'circular', padding: 7 }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.padding',
    received: '7',
  },
  {
    name: 'circular pad > size (conv3d, one axis)',
    call: (a) => a.conv3d(x3, w3, b, { paddingMode: 'circular', padding: [5, 1, 1] }),
    code: 'INVALID_PADDING_MODE',
    argument: 'options.padding',
    received: '5',
  },

  // KERNEL_TOO_LARGE
  { name: 'kernel larger than the input', call: (a) => a.conv2d(x, rand([3, 2, 7, 7]), b), code: 'KERNEL_TOO_LARGE', argument: 'weight.shape', received: '7' },
  {
    name: 'dilated kernel larger than the input',
    call: (a) => a.conv2d(x, w, b, { dilation: [1, 3] }),
    code: 'KERNEL_TOO_LARGE',
    argument: 'weight.shape',
    received: '7',
  },
  {
    name: 'kernel larger than the padded input (conv1d)',
    call: (a) => a.conv1d(x1, rand([3, 2, 12]), b, { padding: 1 }),
    code: 'KERNEL_TOO_LARGE',
    argument: 'weight.shape',
    expected: '11',
    received: '12',
  },
  {
    name: 'kernel larger than the input (conv3d, one axis)',
    call: (a) => a.conv3d(x3, rand([3, 2, 5, 1, 1]), b),
    code: 'KERNEL_TOO_LARGE',
    argument: 'weight.shape',
    received: '5',
  },

  // EMPTY_OUTPUT
  {
    name: 'zero-sized spatial input dim',
    call: (a) => a.conv2d({ data: new Float32Array(0), shape: [1, 2, 0, 6] }, w, b),
    code: 'EMPTY_OUTPUT',
    argument: 'input.shape',
    received: '[1, 2, 0, 6]',
  },
  {
    name: 'zero batch',
    call: (a) => a.conv2d({ data: new Float32Array(0), shape: [0, 2, 6, 6] }, w, b),
    code: 'EMPTY_OUTPUT',
    argument: 'input.shape',
    received: '[0, 2, 6, 6]',
  },
  {
    name: 'zero-sized channels-last dim',
    call: (a) => a.conv1d({ data: new Float32Array(0), shape: [0, 2] }, w1, b, { layout: 'channels-last' }),
    code: 'EMPTY_OUTPUT',
    argument: 'input.shape',
    received: '[0, 2]',
  },
  {
    name: 'zero-sized kernel',
    call: (a) => a.conv2d(x, { data: new Float32Array(0), shape: [3, 2, 0, 3] }, b),
    code: 'EMPTY_OUTPUT',
    argument: 'weight.shape',
    received: '[3, 2, 0, 3]',
  },
  {
    name: 'zero output channels',
    call: (a) => a.conv2d(x, { data: new Float32Array(0), shape: [0, 2, 3, 3] }, null),
    code: 'EMPTY_OUTPUT',
    argument: 'weight.shape',
    received: '[0, 2, 3, 3]',
  },
  {
    name: 'zero input channels',
    call: (a) => a.conv2d({ data: new Float32Array(0), shape: [1, 0, 6, 6] }, { data: new Float32Array(0), shape: [3, 0, 3, 3] }, b),
    code: 'EMPTY_OUTPUT',
    argument: 'weight.shape',
    received: '[3, 0, 3, 3]',
  },

  // OUTPUT_MISMATCH
  {
    name: 'out of the wrong shape',
    call: (a) => a.conv2d(x, w, b, { out: rand([1, 3, 6, 6]) }),
    code: 'OUTPUT_MISMATCH',
    argument: 'options.out.shape',
    expected: '[1, 3, 4, 4]',
    received: '[1, 3, 6, 6]',
  },
  {
    name: 'out flattened (right length, wrong shape)',
    call: (a) => a.conv2d(x, w, b, { out: rand([48]) }),
    code: 'OUTPUT_MISMATCH',
    argument: 'options.out.shape',
    expected: '[1, 3, 4, 4]',
    received: '[48]',
  },
  {
    name: 'out unbatched for a batched input',
    call: (a) => a.conv2d(x, w, b, { out: rand([3, 4, 4]) }),
    code: 'OUTPUT_MISMATCH',
    argument: 'options.out.shape',
  },
  {
    name: 'out overlapping the input',
    call: (a) => {
      const buf = new Float32Array(100);
      buf.set(x.data);
      return a.conv2d({ data: buf.subarray(0, 72), shape: x.shape }, w, b, { out: { data: buf.subarray(50, 98), shape: [1, 3, 4, 4] } });
    },
    code: 'OUTPUT_MISMATCH',
    argument: 'options.out',
  },
];

describe.each(APIS)('errors through $name', ({ api }) => {
  it.each(CASES)('$code: $name', (c) => {
    expectSimdconvError(() => c.call(api), c.code, c.argument, c.expected, c.received);
  });
});

describe('out of the right shape but the wrong length', () => {
  // errors.ts: OUTPUT_MISMATCH = "the preallocated `out` has the wrong shape or length".
  it.each(APIS)('$name: OUTPUT_MISMATCH naming options.out', ({ api }) => {
    for (const n of [47, 49, 0]) {
      const err = expectSimdconvErrorCode(() => api.conv2d(x, w, b, { out: { data: new Float32Array(n), shape: [1, 3, 4, 4] } }), 'OUTPUT_MISMATCH');
      expect(err.argument).toMatch(/^options\.out/);
      expect(err.message).toContain(err.argument);
    }
  });
});

function expectSimdconvErrorCode(fn: () => unknown, code: sc.ErrorCode): sc.SimdconvError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(sc.SimdconvError);
    expect((e as sc.SimdconvError).code).toBe(code);
    return e as sc.SimdconvError;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}

describe('values at the limits are accepted (and right)', () => {
  const ok: Array<{ name: string; op: ConvOp; input: Tensor; weight: Tensor; bias: Tensor | null; options?: ConvOptions; shape: number[] }> = [
    { name: 'reflect pad = size - 1', op: 'conv2d', input: x, weight: w, bias: b, options: { paddingMode: 'reflect', padding: 5 }, shape: [1, 3, 14, 14] },
    { name: 'circular pad = size', op: 'conv2d', input: x, weight: w, bias: b, options: { paddingMode: 'circular', padding: 6 }, shape: [1, 3, 16, 16] },
    {
      name: 'replicate pad far beyond the size',
      op: 'conv1d',
      input: rand([1, 2, 2]),
      weight: w1,
      bias: b,
      options: { paddingMode: 'replicate', padding: 9 },
      shape: [1, 3, 18],
    },
    { name: 'zeros pad far beyond the size', op: 'conv1d', input: rand([1, 2, 1]), weight: w1, bias: null, options: { padding: 9 }, shape: [1, 3, 17] },
    { name: 'kernel exactly the padded size', op: 'conv2d', input: x, weight: rand([3, 2, 8, 8]), bias: null, options: { padding: 1 }, shape: [1, 3, 1, 1] },
    { name: 'dilated kernel exactly the input size', op: 'conv2d', input: x, weight: w, bias: null, options: { dilation: [2, 1] }, shape: [1, 3, 2, 4] },
    { name: "'same' with stride [1, 1]", op: 'conv2d', input: x, weight: w, bias: b, options: { padding: 'same', stride: [1, 1] }, shape: [1, 3, 6, 6] },
    {
      name: "'same' with an even kernel and dilation",
      op: 'conv2d',
      input: x,
      weight: rand([3, 2, 4, 2]),
      bias: b,
      options: { padding: 'same', dilation: [1, 3], paddingMode: 'reflect' },
      shape: [1, 3, 6, 6],
    },
    { name: "'valid'", op: 'conv2d', input: x, weight: w, bias: b, options: { padding: 'valid' }, shape: [1, 3, 4, 4] },
    { name: 'options undefined, bias undefined', op: 'conv2d', input: x, weight: w, bias: null, shape: [1, 3, 4, 4] },
    { name: 'activation {} and {min: -Infinity, max: Infinity}', op: 'conv2d', input: x, weight: w, bias: b, options: { activation: {} }, shape: [1, 3, 4, 4] },
    { name: 'activation min == max', op: 'conv2d', input: x, weight: w, bias: b, options: { activation: { min: 0.5, max: 0.5 } }, shape: [1, 3, 4, 4] },
    { name: 'groups = channels (depthwise)', op: 'conv2d', input: x, weight: rand([2, 1, 3, 3]), bias: null, options: { groups: 2 }, shape: [1, 2, 4, 4] },
    { name: 'stride larger than the input', op: 'conv2d', input: x, weight: w, bias: b, options: { stride: 100 }, shape: [1, 3, 1, 1] },
    { name: '1x1x1 input, 1x1x1 kernel (conv3d)', op: 'conv3d', input: rand([2, 1, 1, 1]), weight: rand([1, 2, 1, 1, 1]), bias: null, shape: [1, 1, 1, 1] },
  ];
  it.each(ok)('$name', (c) => {
    const fns = { conv1d: sc.conv1d, conv2d: sc.conv2d, conv3d: sc.conv3d };
    const y = c.options === undefined ? fns[c.op](c.input, c.weight) : fns[c.op](c.input, c.weight, c.bias, c.options);
    expect(y.shape).toEqual(c.shape);
    const expected = referenceConv(c.op, c.input, c.weight, c.bias, c.options);
    const bound = referenceConv(c.op, absTensor(c.input), absTensor(c.weight), c.bias && absTensor(c.bias), { ...c.options, activation: 'none' }).data;
    expectConvClose(
      y,
      expected,
      bound,
      c.weight.shape.slice(1).reduce((a, v) => a * v, 1),
    );
  });
});

describe('DISPOSED', () => {
  it.each(['simd128', 'relaxed', 'js'] as const)('%s: run after dispose', (name) => {
    const plan = sc.createConv2d(w, b, {}, ctxs[name]);
    plan.run(x);
    plan.dispose();
    expectSimdconvError(() => plan.run(x), 'DISPOSED', 'plan');
  });
});

describe('init and createContext options', () => {
  const badOptions: Array<{ options: unknown; argument: string; received?: string }> = [
    { options: { backend: 'gpu' }, argument: 'options.backend', received: '"gpu"' },
    { options: { backend: 'WASM' }, argument: 'options.backend', received: '"WASM"' },
    { options: { build: 'sse' }, argument: 'options.build', received: '"sse"' },
    { options: { build: 128 }, argument: 'options.build', received: '128' },
    { options: { bogus: 1, backend: 'js' }, argument: 'options.bogus' },
    { options: { Backend: 'js' }, argument: 'options.Backend' },
    { options: 5, argument: 'options', received: '5' },
    { options: 'wasm', argument: 'options', received: '"wasm"' },
    { options: null, argument: 'options', received: 'null' },
  ];
  it.each(badOptions)('init($options) and createContext($options): INVALID_ARGUMENT naming $argument', async ({ options, argument, received }) => {
    for (const fn of [sc.init, sc.createContext] as Array<(o: unknown) => Promise<unknown>>) {
      let error: unknown;
      try {
        await fn(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(sc.SimdconvError);
      checkContract(error as sc.SimdconvError, 'INVALID_ARGUMENT', argument, undefined, received);
    }
    // The default context still works.
    expect(sc.conv2d(x, w, b).shape).toEqual([1, 3, 4, 4]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// OUT_OF_MEMORY: buffers that cannot fit must be rejected before anything is allocated.

describe('OUT_OF_MEMORY', () => {
  // Each test has its own context, so a leak in one cannot fail another. The large inputs are lazily
  // zero-filled (V8 maps them on demand), so they cost no real memory unless something reads them.
  const fresh = (name: 'simd128' | 'relaxed' | 'js') => sc.createContext(name === 'js' ? { backend: 'js' } : { build: name });

  it.each(['simd128', 'relaxed', 'js'] as const)(
    '%s: a 1x1x4096x4096 input with 1024 output channels (64 GiB of output) is rejected before allocating',
    async (name) => {
      const ctx = await fresh(name);
      const input = { data: new Float32Array(4096 * 4096), shape: [1, 1, 4096, 4096] };
      const plan = sc.createConv2d(rand([1024, 1, 1, 1]), null, {}, ctx);
      try {
        const before = ctx.memoryStats();
        expectSimdconvError(() => plan.run(input), 'OUT_OF_MEMORY', 'output');
        expect.soft(ctx.memoryStats().bytesInUse, 'bytes in use after the error').toBe(before.bytesInUse);
        expect.soft(ctx.memoryStats().memoryBytes, 'wasm memory did not grow').toBe(before.memoryBytes);
        // Again (same shape, cached geometry): the same error, not a crash.
        expectSimdconvError(() => plan.run(input), 'OUT_OF_MEMORY', 'output');
        // The plan still works on a sensible input.
        const small = rand([1, 1, 3, 3]);
        expect(plan.run(small).shape).toEqual([1, 1024, 3, 3]);
      } finally {
        plan.dispose();
      }
      expect(ctx.memoryStats().bytesInUse).toBe(0);
    },
  );

  it('one-shot: a 1x1x4096x4096 input with 1024 output channels', () => {
    const input = { data: new Float32Array(4096 * 4096), shape: [1, 1, 4096, 4096] };
    expectSimdconvError(() => sc.conv2d(input, rand([1024, 1, 1, 1])), 'OUT_OF_MEMORY', 'output');
    expect(sc.conv2d(x, w, b).shape).toEqual([1, 3, 4, 4]);
  });

  it.each(['simd128', 'relaxed'] as const)('%s: an output just over 4 GiB (1100 channels of 1024x1024) fails cleanly, and again on a retry', async (name) => {
    const ctx = await fresh(name);
    const other = sc.createConv2d(w, b, {}, ctx);
    const ref = other.run(x);
    const input = { data: new Float32Array(1024 * 1024).fill(1), shape: [1, 1, 1024, 1024] };
    const plan = sc.createConv2d(rand([1100, 1, 1, 1]), null, {}, ctx);
    try {
      const before = ctx.memoryStats();
      expectSimdconvError(() => plan.run(input), 'OUT_OF_MEMORY', 'output');
      expect.soft(ctx.memoryStats().bytesInUse, 'nothing left allocated by the failed run').toBe(before.bytesInUse);
      expect.soft(ctx.memoryStats().memoryBytes, 'rejected before growing the memory').toBe(before.memoryBytes);
      // A retry with the same shape must fail the same way (not run the kernel on unallocated buffers).
      expectSimdconvError(() => plan.run(input), 'OUT_OF_MEMORY', 'output');
      // Other plans on the context are intact, and this one still runs a sensible input.
      expect(other.run(x).data).toEqual(ref.data);
      expect(plan.run(rand([1, 1, 2, 3])).shape).toEqual([1, 1100, 2, 3]);
    } finally {
      plan.dispose();
      other.dispose();
    }
    expect(ctx.memoryStats().bytesInUse).toBe(0);
  });

  it.each(['simd128', 'relaxed'] as const)('%s: an input over 4 GiB is rejected naming the input, before allocating', async (name) => {
    const ctx = await fresh(name);
    const input = { data: new Float32Array(33000 * 33000), shape: [1, 1, 33000, 33000] };
    const plan = sc.createConv2d(rand([1, 1, 1, 1]), null, {}, ctx);
    try {
      const before = ctx.memoryStats();
      expectSimdconvError(() => plan.run(input), 'OUT_OF_MEMORY', 'input');
      expect(ctx.memoryStats().bytesInUse).toBe(before.bytesInUse);
    } finally {
      plan.dispose();
    }
    expect(ctx.memoryStats().bytesInUse).toBe(0);
  });

  it.each(['simd128', 'relaxed'] as const)('%s: weights over 4 GiB are rejected at plan creation, leaving nothing allocated', async (name) => {
    const ctx = await fresh(name);
    const weight = { data: new Float32Array(33000 * 33000), shape: [1, 1, 33000, 33000] };
    expectSimdconvError(() => sc.createConv2d(weight, rand([1]), {}, ctx), 'OUT_OF_MEMORY', 'weight');
    expect(ctx.memoryStats().bytesInUse, 'bias buffer released').toBe(0);
  });
});
