/**
 * Loader for test/fixtures/golden.json, the PyTorch ground truth written by
 * test/fixtures/generate_golden.py (run it with `/usr/bin/python3 test/fixtures/generate_golden.py`).
 *
 * Inputs, weights and biases are float32; the expected output is torch's float64 result on those same
 * float32 values, so it is exact up to float64 rounding (NaN and +-Inf included where planted).
 */
import { readFileSync } from 'node:fs';
import type { ConvOp, ConvTransposeOp } from '../../src/shape.js';
import type { ConvOptions, ConvTransposeOptions, Tensor } from '../../src/types.js';

export interface Tensor64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

interface GoldenBase {
  /** Unique and descriptive, e.g. "conv2d_reflect_pad1_b2". */
  readonly name: string;
  readonly input: Tensor;
  /** PyTorch layout: conv (Cout, Cin/groups, *k), transposed (Cin, Cout/groups, *k). */
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** torch's float64 output. */
  readonly output: Tensor64;
}

export interface GoldenConvCase extends GoldenBase {
  readonly op: ConvOp;
  readonly options: ConvOptions;
}

export interface GoldenConvTransposeCase extends GoldenBase {
  readonly op: ConvTransposeOp;
  readonly options: ConvTransposeOptions;
}

export type GoldenCase = GoldenConvCase | GoldenConvTransposeCase;

export function isTransposeCase(c: GoldenCase): c is GoldenConvTransposeCase {
  return c.op.startsWith('convTranspose');
}

interface RawTensor {
  shape: number[];
  data: string;
}

interface RawFile {
  torch: string;
  cases: Array<{
    name: string;
    op: GoldenCase['op'];
    input: RawTensor;
    weight: RawTensor;
    bias: RawTensor | null;
    options: ConvOptions & ConvTransposeOptions;
    output: RawTensor;
  }>;
}

const FIXTURE = new URL('../fixtures/golden.json', import.meta.url);

let cache: { torch: string; cases: GoldenCase[] } | undefined;

function load(): { torch: string; cases: GoldenCase[] } {
  if (cache) return cache;
  const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as RawFile;
  const cases = raw.cases.map(
    (c) =>
      ({
        name: c.name,
        op: c.op,
        input: decodeFloat32(c.input),
        weight: decodeFloat32(c.weight),
        bias: c.bias === null ? null : decodeFloat32(c.bias),
        options: c.options,
        output: decodeFloat64(c.output),
      }) as GoldenCase,
  );
  cache = { torch: raw.torch, cases };
  return cache;
}

/** All golden cases, decoded. Tests must not mutate the returned tensors (they are shared). */
export function loadGolden(): GoldenCase[] {
  return load().cases;
}

/** The torch version that produced the fixtures. */
export function goldenTorchVersion(): string {
  return load().torch;
}

function bytesOf(t: RawTensor, width: number): DataView {
  const bytes = Buffer.from(t.data, 'base64');
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * width) {
    throw new Error(`golden.json: ${bytes.length} bytes for shape [${t.shape.join(', ')}] of ${width}-byte values`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeFloat32(t: RawTensor): Tensor {
  const view = bytesOf(t, 4);
  const data = new Float32Array(view.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
  return { shape: t.shape, data };
}

function decodeFloat64(t: RawTensor): Tensor64 {
  const view = bytesOf(t, 8);
  const data = new Float64Array(view.byteLength / 8);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(8 * i, true);
  return { shape: t.shape, data };
}
