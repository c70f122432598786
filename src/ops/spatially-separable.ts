/**
 * Spatially separable convolution: a (kH, 1) "column" convolution followed by a (1, kW) "row" one, the
 * factorisation of a rank-1 kH x kW kernel (Sobel, Gaussian, box filters; Inception-v3's 1x7 / 7x1 pairs).
 * `factorizeSeparableKernel` splits a rank-1 kernel into the two factors.
 *
 * Definition, which the tests check against:
 *   spatiallySeparableConv2d(x, col, row, o) =
 *     conv2d(conv2d(x, col, o.columnBias, { groups, stride: [sH, 1], padding: [pH, 0], dilation: [dH, 1], paddingMode, activation, layout }),
 *            row, o.rowBias, { groups: rowGroups, stride: [1, sW], padding: [0, pW], dilation: [1, dW], paddingMode, activation: outActivation, layout })
 * ('same' and 'valid' padding pass to both stages.) With zero padding, no column bias and no activation
 * between, this equals conv2d with the kernel col ⊗ row; with 'reflect' / 'replicate' / 'circular' padding too,
 * since those pad each axis independently.
 */
import type { ChainStage } from '../chain.js';
import { withRenamed } from '../chain.js';
import { chainMakers } from '../backends/wasm/chain.js';
import { type Context, getContext } from '../context.js';
import { SimdconvError, describe } from '../errors.js';
import { readTensor, resolveConvParams } from '../shape.js';
import type { Activation, Tensor } from '../types.js';
import { ChainCompositePlan, type CompositePlan, SPLIT_CONV2D_KEYS, type SplitConv2dOptions } from './composite.js';
import { checkOptionKeys, checkPlanOptions, checkWeight, runComposite, splitSpatial } from './composite.js';

/** The column stage is the vertical one (kH, 1), the row stage the horizontal one (1, kW). */
export interface SpatiallySeparableOptions extends SplitConv2dOptions {
  /** Bias of the column stage, (Cmid). */
  columnBias?: Tensor | null;
  /** Bias of the row stage, (Cout). */
  rowBias?: Tensor | null;
  /** Groups of the column stage, and of the row stage unless `rowGroups` is given. Default 1. */
  groups?: number;
  /** Groups of the row stage (e.g. Cout for the depthwise row factor `factorizeSeparableKernel` returns). */
  rowGroups?: number;
  /** After the column stage (its bias included). Default 'none'. */
  activation?: Activation;
}

export type SpatiallySeparablePlanOptions = Omit<SpatiallySeparableOptions, 'out'>;

const NAME = 'spatially-separable-conv2d';
const KEYS: readonly string[] = ['columnBias', 'rowBias', 'groups', 'rowGroups', 'activation', ...SPLIT_CONV2D_KEYS];

function create(columnWeight: Tensor, rowWeight: Tensor, options: SpatiallySeparablePlanOptions | undefined, context: Context | undefined): CompositePlan {
  const ctx = context ?? getContext();
  const o = options ?? {};
  columnWeight = checkWeight('conv2d', 'columnWeight', columnWeight);
  rowWeight = checkWeight('conv2d', 'rowWeight', rowWeight);
  if (columnWeight.shape[3] !== 1) {
    throw new SimdconvError('INVALID_ARGUMENT', 'columnWeight.shape', '(Cmid, Cin/groups, kH, 1): a column kernel', `[${columnWeight.shape.join(', ')}]`);
  }
  if (rowWeight.shape[2] !== 1) {
    throw new SimdconvError('INVALID_ARGUMENT', 'rowWeight.shape', '(Cout, Cmid/rowGroups, 1, kW): a row kernel', `[${rowWeight.shape.join(', ')}]`);
  }
  const { vertical, horizontal } = splitSpatial(columnWeight.shape[2]!, rowWeight.shape[3]!, o);

  const columnRename = { weight: 'columnWeight', bias: 'options.columnBias' };
  const column = withRenamed(columnRename, () =>
    resolveConvParams('conv2d', columnWeight, o.columnBias, { ...vertical, groups: o.groups, activation: o.activation }),
  );

  const rowGroupsArg = o.rowGroups === undefined ? 'options.groups' : 'options.rowGroups';
  const rowGroups = o.rowGroups ?? column.groups;
  if (!Number.isInteger(rowGroups) || rowGroups < 1) throw new SimdconvError('INVALID_GROUPS', rowGroupsArg, 'a positive integer', describe(rowGroups));
  const cmid = column.outChannels;
  if (cmid % rowGroups !== 0) {
    throw new SimdconvError(
      'INVALID_GROUPS',
      rowGroupsArg,
      `a divisor of the intermediate channels (columnWeight.shape[0] = ${cmid}) for the row stage`,
      String(rowGroups),
    );
  }
  if (rowWeight.shape[1]! * rowGroups !== cmid) {
    throw new SimdconvError(
      'CHANNEL_MISMATCH',
      'rowWeight.shape[1]',
      `${cmid / rowGroups} (columnWeight.shape[0] / row groups = ${cmid} / ${rowGroups})`,
      String(rowWeight.shape[1]),
    );
  }
  const rowRename = { weight: 'rowWeight', bias: 'options.rowBias', 'options.groups': rowGroupsArg, 'options.activation': 'options.outActivation' };
  const row = withRenamed(rowRename, () =>
    resolveConvParams('conv2d', rowWeight, o.rowBias, { ...horizontal, groups: rowGroups, activation: o.outActivation }),
  );

  const stages: ChainStage[] = [
    { name: 'column', params: column, rename: columnRename },
    { name: 'row', params: row, rename: rowRename },
  ];
  return new ChainCompositePlan(NAME, ctx.createChain(stages, chainMakers));
}

/** (kH, 1) then (1, kW) convolution in one call. */
export function spatiallySeparableConv2d(input: Tensor, columnWeight: Tensor, rowWeight: Tensor, options?: SpatiallySeparableOptions): Tensor {
  return runComposite({ name: NAME, keys: KEYS }, input, options, (o) => create(columnWeight, rowWeight, o, undefined));
}

/** A spatially separable conv2d plan: column weight (Cmid, Cin/groups, kH, 1), row weight (Cout, Cmid/rowGroups, 1, kW). */
export function createSpatiallySeparableConv2d(
  columnWeight: Tensor,
  rowWeight: Tensor,
  options?: SpatiallySeparablePlanOptions,
  context?: Context,
): CompositePlan {
  checkPlanOptions({ name: NAME, keys: KEYS }, options);
  return create(columnWeight, rowWeight, options, context);
}

export interface SeparableFactors {
  /** (kH, 1) for a (kH, kW) kernel; (Cout, Cin/groups, kH, 1) for a 4-D one. */
  readonly column: Tensor;
  /** (1, kW) for a (kH, kW) kernel; (Cout, 1, 1, kW) for a 4-D one (a depthwise row stage: rowGroups = Cout). */
  readonly row: Tensor;
}

export interface FactorizeOptions {
  /**
   * Largest residual |kernel - column ⊗ row| accepted, relative to the Frobenius norm of the matrix being
   * factorised. Default 8 * (rows + cols) * 2^-24: a few float32 roundings per element, so a rank-1 kernel
   * built in float32 (or rounded to it from float64) is accepted and anything measurably rank-2 is not.
   */
  tolerance?: number;
}

/**
 * Splits a rank-1 ("separable") kernel into a column and a row factor, exactly as far as float32 allows.
 *
 * - (kH, kW): kernel = column (kH, 1) times row (1, kW).
 * - (Cout, Cin/groups, kH, kW): for each output channel o, the kernel viewed as a ((Cin/groups)*kH) x kW
 *   matrix must be rank 1; then kernel[o, c, i, j] = column[o, c, i, 0] * row[o, 0, 0, j], so
 *   `spatiallySeparableConv2d(x, column, row, { groups, rowGroups: Cout })` equals `conv2d(x, kernel, null, { groups })`
 *   (a depthwise kernel (C, 1, kH, kW) is the common case: one rank-1 kH x kW filter per channel).
 *
 * The factors come from the largest-magnitude element (i, j): column = M[:, j], row = M[i, :] / M[i, j]
 * (computed in float64), so row[j] = 1; the residual max |M - column ⊗ row| is checked against the tolerance.
 * Throws SimdconvError('INVALID_ARGUMENT', 'kernel', 'a rank-1 (separable) kernel', ...) otherwise.
 */
export function factorizeSeparableKernel(kernel: Tensor, options?: FactorizeOptions): SeparableFactors {
  kernel = readTensor('kernel', kernel);
  checkOptionKeys(options, ['tolerance'], 'factorizeSeparableKernel');
  const tolerance = options?.tolerance;
  if (tolerance !== undefined && (typeof tolerance !== 'number' || !(tolerance >= 0) || !Number.isFinite(tolerance))) {
    throw new SimdconvError('INVALID_ARGUMENT', 'options.tolerance', 'a finite number >= 0', describe(tolerance));
  }
  const shape = kernel.shape;
  if (shape.length !== 2 && shape.length !== 4) {
    throw new SimdconvError('INVALID_RANK', 'kernel', '2 dimensions (kH, kW) or 4 (Cout, Cin/groups, kH, kW)', `shape [${shape.join(', ')}]`);
  }
  if (kernel.data.length === 0) throw new SimdconvError('EMPTY_OUTPUT', 'kernel.shape', 'no zero-sized dimension', `[${shape.join(', ')}]`);
  const bad = kernel.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new SimdconvError('INVALID_ARGUMENT', 'kernel', 'finite values', `${kernel.data[bad]} at index ${bad}`);

  const [outer, cin] = shape.length === 2 ? [1, 1] : [shape[0]!, shape[1]!];
  const kh = shape[shape.length - 2]!;
  const kw = shape[shape.length - 1]!;
  const rows = cin * kh;
  const column = new Float32Array(outer * rows);
  const row = new Float32Array(outer * kw);
  const m = kernel.data;
  for (let o = 0; o < outer; o++) {
    const base = o * rows * kw;
    let pivot = 0;
    let norm2 = 0;
    for (let t = 0; t < rows * kw; t++) {
      const v = m[base + t]!;
      norm2 += v * v;
      if (Math.abs(v) > Math.abs(m[base + pivot]!)) pivot = t;
    }
    const pi = Math.floor(pivot / kw);
    const pj = pivot % kw;
    const p = m[base + pivot]!;
    const r = new Float64Array(kw);
    if (p !== 0) for (let j = 0; j < kw; j++) r[j] = m[base + pi * kw + j]! / p;
    let residual = 0;
    for (let i = 0; i < rows; i++) {
      const c = m[base + i * kw + pj]!;
      column[o * rows + i] = c;
      for (let j = 0; j < kw; j++) residual = Math.max(residual, Math.abs(m[base + i * kw + j]! - c * r[j]!));
    }
    row.set(r, o * kw);
    const limit = (tolerance ?? 8 * (rows + kw) * 2 ** -24) * Math.sqrt(norm2);
    if (residual > limit) {
      throw new SimdconvError(
        'INVALID_ARGUMENT',
        'kernel',
        'a rank-1 (separable) kernel',
        `${outer > 1 ? `output channel ${o}: ` : ''}residual ${residual.toExponential(3)} from the rank-1 fit through its largest element (limit ${limit.toExponential(3)})`,
      );
    }
  }
  if (shape.length === 2) return { column: { data: column, shape: [kh, 1] }, row: { data: row, shape: [1, kw] } };
  return { column: { data: column, shape: [outer, cin, kh, 1] }, row: { data: row, shape: [outer, 1, 1, kw] } };
}

// Single-op entry points (`simdconv/spatially-separable`) carry init too, so one import is enough.
export { init } from '../context.js';
