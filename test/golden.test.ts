/**
 * PyTorch golden tests: every case of test/fixtures/golden.json (torch 1.13, float64 on float32 data) is run
 * through the float64 reference (must agree to float64 rounding) and through the public op (must agree
 * within the float32 error bound of test/helpers/tolerance.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as sc from '../src/index.js';
import { referenceConv, referenceConvTranspose } from '../src/reference.js';
import type { Tensor } from '../src/types.js';
import { type GoldenCase, type Tensor64, goldenTorchVersion, isTransposeCase, loadGolden } from './helpers/golden.js';
import { absTensor, expectConvClose } from './helpers/tolerance.js';

const cases = loadGolden();

function runReference(c: GoldenCase, input: Tensor, weight: Tensor, bias: Tensor | null): Tensor64 {
  return isTransposeCase(c) ? referenceConvTranspose(c.op, input, weight, bias, c.options) : referenceConv(c.op, input, weight, bias, c.options);
}

function runPublic(c: GoldenCase): Tensor {
  const { input, weight, bias } = c;
  switch (c.op) {
    case 'conv1d':
      return sc.conv1d(input, weight, bias, c.options);
    case 'conv2d':
      return sc.conv2d(input, weight, bias, c.options);
    case 'conv3d':
      return sc.conv3d(input, weight, bias, c.options);
    case 'convTranspose1d':
      return sc.convTranspose1d(input, weight, bias, c.options);
    case 'convTranspose2d':
      return sc.convTranspose2d(input, weight, bias, c.options);
    case 'convTranspose3d':
      return sc.convTranspose3d(input, weight, bias, c.options);
  }
}

/**
 * Products summed into one output element, at most: (Cin / groups) * prod(kernel). For a convolution that
 * is weight.shape[1] * prod(k); a transposed weight is (Cin, Cout/groups, *k), so Cin / groups per group.
 */
function reductionSize(c: GoldenCase): number {
  const [c0, c1, ...kernel] = c.weight.shape as [number, number, ...number[]];
  const perGroupIn = isTransposeCase(c) ? c0 / (c.options.groups ?? 1) : c1;
  return kernel.reduce((a, b) => a * b, perGroupIn);
}

/** The reference evaluated on |input|, |weight|, |bias|: sum of |products| per output, the scale of any rounding error. */
function absBound(c: GoldenCase): Float64Array {
  return runReference(c, absTensor(c.input), absTensor(c.weight), c.bias && absTensor(c.bias)).data;
}

/**
 * Two float64 evaluations of the same sum (torch's and ours, in different orders) each lie within
 * gamma_K * sum|products| of the exact value, gamma_K ~ K * 2^-53; allow twice that.
 */
function expectFloat64Close(actual: Tensor64, expected: Tensor64, bound: Float64Array, k: number): void {
  expect([...actual.shape]).toEqual([...expected.shape]);
  const tolerance = 2 * (k + 2) * 2 ** -53;
  const bad: string[] = [];
  for (let i = 0; i < expected.data.length && bad.length < 5; i++) {
    const e = expected.data[i]!;
    const a = actual.data[i]!;
    const ok = Number.isFinite(e) ? Math.abs(a - e) <= tolerance * bound[i]! : Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!ok) bad.push(`[${i}] reference ${a}, torch ${e} (|sum| bound ${bound[i]})`);
  }
  expect(bad, `mismatches (first 5):\n${bad.join('\n')}`).toEqual([]);
}

describe(`golden fixtures (torch ${goldenTorchVersion()})`, () => {
  it('covers every op, batched and unbatched, with unique names', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const op of ['conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d'] as const) {
      const ofOp = cases.filter((c) => c.op === op);
      const rank = Number(op.at(-2));
      expect(ofOp.filter((c) => c.input.shape.length === rank + 2).length, `${op} batched`).toBeGreaterThan(2);
      expect(ofOp.filter((c) => c.input.shape.length === rank + 1).length, `${op} unbatched`).toBeGreaterThan(0);
    }
    expect(cases.some((c) => c.output.data.some(Number.isNaN))).toBe(true);
    expect(cases.some((c) => c.output.data.some((v) => v === Infinity) && c.output.data.some((v) => v === -Infinity))).toBe(true);
  });
});

describe('float64 reference matches torch', () => {
  it.for(cases)('$name', (c) => {
    const actual = runReference(c, c.input, c.weight, c.bias);
    expectFloat64Close(actual, c.output, absBound(c), reductionSize(c));
  });
});

describe('public ops match torch within the float32 bound', () => {
  beforeAll(async () => {
    await sc.init();
  });

  it.for(cases)('$name', (c) => {
    expectConvClose(runPublic(c), c.output, absBound(c), reductionSize(c));
  });
});
