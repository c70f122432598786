/**
 * ONNX 1.12's backend node tests (test/fixtures/onnx.json, from Debian's python3-onnx by
 * test/fixtures/generate_onnx.py) for the ops whose semantics match ours: each node's attributes mapped to
 * simdconv's options (pads to [before, after] pairs, auto_pad to 'same-upper' / 'same-lower' / 'valid',
 * output_shape to outputSize), run on every backend, within the float32 bound of the reduction.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../src/types.js';
import { type Backends, allBackends } from './helpers/backends.js';
import { errorBound } from './helpers/tolerance.js';

interface OnnxTensor {
  readonly shape: number[];
  readonly data: number[];
}

interface OnnxCase {
  readonly name: string;
  readonly op: string;
  readonly attributes: Record<string, number | string | number[]>;
  readonly inputs: OnnxTensor[];
  readonly outputs: OnnxTensor[];
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/onnx.json', import.meta.url), 'utf8')) as { onnx: string; cases: OnnxCase[] };

let backends: Backends;
beforeAll(async () => {
  backends = await allBackends();
});
afterAll(() => backends.destroy());

const tensor = (t: OnnxTensor): Tensor => ({ data: Float32Array.from(t.data), shape: t.shape });

/** ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end, ...] as one [before, after] pair per axis. */
function pairs(pads: number[]): [number, number][] {
  const rank = pads.length / 2;
  return Array.from({ length: rank }, (_, i) => [pads[i]!, pads[rank + i]!]);
}

const AUTO_PAD: Record<string, string | undefined> = { NOTSET: undefined, SAME_UPPER: 'same-upper', SAME_LOWER: 'same-lower', VALID: 'valid' };

/** The simdconv op and options of an ONNX Conv / ConvTranspose node. */
function convCall(c: OnnxCase): { op: string; options: Record<string, unknown> } {
  const a = c.attributes;
  const rank = c.inputs[0]!.shape.length - 2;
  const transposed = c.op === 'ConvTranspose';
  const options: Record<string, unknown> = {};
  if (a.strides) options.stride = a.strides;
  if (a.dilations) options.dilation = a.dilations;
  if (a.group) options.groups = a.group;
  if (a.pads) options.padding = pairs(a.pads as number[]);
  const auto = AUTO_PAD[(a.auto_pad as string | undefined) ?? 'NOTSET'];
  if (auto) options.padding = auto;
  if (transposed && a.output_shape) options.outputSize = a.output_shape;
  else if (transposed && a.output_padding) options.outputPadding = a.output_padding;
  return { op: `${transposed ? 'convTranspose' : 'conv'}${rank}d`, options };
}

const convCases = fixtures.cases.filter((c) => c.op === 'Conv' || c.op === 'ConvTranspose');

describe(`ONNX ${fixtures.onnx} node tests`, () => {
  it('holds the Conv and ConvTranspose tests, auto_pad and asymmetric pads among them', () => {
    const names = convCases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['test_conv_with_autopad_same', 'test_convtranspose_autopad_same', 'test_conv_with_strides_and_asymmetric_padding']));
    expect(convCases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(convCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { op, options } = convCall(c);
    const [x, w, b] = c.inputs.map(tensor) as [Tensor, Tensor, Tensor | undefined];
    const expected = c.outputs[0]!;
    // Reduction: Cin/groups x kernel taps for Conv, Cout/groups x taps for ConvTranspose (W is (Cin, Cout/g, k...)).
    const reduction = w.shape.slice(1).reduce((p, q) => p * q, 1);
    const scale = Math.max(...x.data.map(Math.abs)) * Math.max(...w.data.map(Math.abs)) * reduction;
    for (const [name, run] of Object.entries(backends.runners)) {
      const y = await run(op, x, w, b ?? null, options);
      expect(y.shape, `${name}: shape`).toEqual(expected.shape);
      const bad = expected.data.findIndex((e, i) => !(Math.abs(y.data[i]! - e) <= errorBound(reduction, scale) + Math.abs(e) * 2 ** -24));
      expect(bad, `${name}: first mismatch at ${bad}: got ${y.data[bad]}, expected ${expected.data[bad]}`).toBe(-1);
    }
  });
});
