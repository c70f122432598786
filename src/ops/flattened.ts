/**
 * Flattened convolution (Jin, Dundar & Culurciello, "Flattened Convolutional Neural Networks for
 * Feedforward Acceleration", 2014): each 3-D filter replaced by three 1-D filters applied in sequence,
 * lateral (across channels: a 1x1 convolution Cin -> Cout), vertical ((kH, 1), depthwise) and horizontal
 * ((1, kW), depthwise). On the wasm backend both intermediates stay in wasm memory.
 *
 * Definition, which the tests check against:
 *   flattenedConv2d(x, L, V, H, o) =
 *     conv2d(conv2d(conv2d(x, L, o.lateralBias, { activation, layout }),
 *                   V, o.verticalBias, { groups: Cout, stride: [sH, 1], padding: [pH, 0], dilation: [dH, 1], paddingMode, activation, layout }),
 *            H, o.horizontalBias, { groups: Cout, stride: [1, sW], padding: [0, pW], dilation: [1, dW], paddingMode, activation: outActivation, layout })
 * ('same' and 'valid' padding pass to the vertical and horizontal stages.) Without biases or activations
 * and with zero padding this is conv2d with the rank-1 filters W[o, c, i, j] = L[o, c] V[o, i] H[o, j].
 */
import type { ChainStage } from '../chain.js';
import { withRenamed } from '../chain.js';
import { chainMakers } from '../backends/wasm/chain.js';
import { type Context, getContext } from '../context.js';
import { SimdconvError } from '../errors.js';
import { resolveConvParams } from '../shape.js';
import type { Activation, Tensor } from '../types.js';
import { ChainCompositePlan, type CompositePlan, SPLIT_CONV2D_KEYS, type SplitConv2dOptions } from './composite.js';
import { checkPlanOptions, checkWeight, runComposite, splitSpatial } from './composite.js';

/** A lateral 1x1 stage, then a vertical (kH, 1) and a horizontal (1, kW) depthwise stage. */
export interface FlattenedConvOptions extends SplitConv2dOptions {
  /** Biases of the three stages, each (Cout). */
  lateralBias?: Tensor | null;
  verticalBias?: Tensor | null;
  horizontalBias?: Tensor | null;
  /** After the lateral and after the vertical stage. Default 'none' (the paper's linear filters). */
  activation?: Activation;
}

export type FlattenedConvPlanOptions = Omit<FlattenedConvOptions, 'out'>;

const NAME = 'flattened-conv2d';
const KEYS: readonly string[] = ['lateralBias', 'verticalBias', 'horizontalBias', 'activation', ...SPLIT_CONV2D_KEYS];

function create(
  lateralWeight: Tensor,
  verticalWeight: Tensor,
  horizontalWeight: Tensor,
  options: FlattenedConvPlanOptions | undefined,
  context: Context | undefined,
): CompositePlan {
  const ctx = context ?? getContext();
  const o = options ?? {};
  lateralWeight = checkWeight('conv2d', 'lateralWeight', lateralWeight);
  verticalWeight = checkWeight('conv2d', 'verticalWeight', verticalWeight);
  horizontalWeight = checkWeight('conv2d', 'horizontalWeight', horizontalWeight);
  const cout = lateralWeight.shape[0]!;
  const expect = (argument: string, w: Tensor, ok: boolean, what: string) => {
    if (!ok) throw new SimdconvError('INVALID_ARGUMENT', `${argument}.shape`, what, `[${w.shape.join(', ')}]`);
  };
  expect('lateralWeight', lateralWeight, lateralWeight.shape[2] === 1 && lateralWeight.shape[3] === 1, '(Cout, Cin, 1, 1): a lateral (1x1) kernel');
  expect('verticalWeight', verticalWeight, verticalWeight.shape[1] === 1 && verticalWeight.shape[3] === 1, '(Cout, 1, kH, 1): a depthwise vertical kernel');
  expect(
    'horizontalWeight',
    horizontalWeight,
    horizontalWeight.shape[1] === 1 && horizontalWeight.shape[2] === 1,
    '(Cout, 1, 1, kW): a depthwise horizontal kernel',
  );
  for (const [argument, w] of [
    ['verticalWeight', verticalWeight],
    ['horizontalWeight', horizontalWeight],
  ] as const) {
    if (w.shape[0] !== cout) {
      throw new SimdconvError(
        'CHANNEL_MISMATCH',
        `${argument}.shape[0]`,
        `${cout} (lateralWeight.shape[0]: one 1-D filter per output channel)`,
        String(w.shape[0]),
      );
    }
  }
  const { vertical, horizontal } = splitSpatial(verticalWeight.shape[2]!, horizontalWeight.shape[3]!, o);
  const lateralRename = { weight: 'lateralWeight', bias: 'options.lateralBias' };
  const verticalRename = { weight: 'verticalWeight', bias: 'options.verticalBias' };
  const horizontalRename = { weight: 'horizontalWeight', bias: 'options.horizontalBias', 'options.activation': 'options.outActivation' };
  const lateral = withRenamed(lateralRename, () =>
    resolveConvParams('conv2d', lateralWeight, o.lateralBias, { activation: o.activation, layout: vertical.layout }),
  );
  const verticalParams = withRenamed(verticalRename, () =>
    resolveConvParams('conv2d', verticalWeight, o.verticalBias, { ...vertical, groups: cout, activation: o.activation }),
  );
  const horizontalParams = withRenamed(horizontalRename, () =>
    resolveConvParams('conv2d', horizontalWeight, o.horizontalBias, { ...horizontal, groups: cout, activation: o.outActivation }),
  );
  const stages: ChainStage[] = [
    { name: 'lateral', params: lateral, rename: lateralRename },
    { name: 'vertical', params: verticalParams, rename: verticalRename },
    { name: 'horizontal', params: horizontalParams, rename: horizontalRename },
  ];
  return new ChainCompositePlan(NAME, ctx.createChain(stages, chainMakers));
}

/** Flattened convolution in one call: lateral (Cout, Cin, 1, 1), vertical (Cout, 1, kH, 1), horizontal (Cout, 1, 1, kW). */
export function flattenedConv2d(
  input: Tensor,
  lateralWeight: Tensor,
  verticalWeight: Tensor,
  horizontalWeight: Tensor,
  options?: FlattenedConvOptions,
): Tensor {
  return runComposite({ name: NAME, keys: KEYS }, input, options, (o) => create(lateralWeight, verticalWeight, horizontalWeight, o, undefined));
}

/** A flattened-convolution plan. */
export function createFlattenedConv2d(
  lateralWeight: Tensor,
  verticalWeight: Tensor,
  horizontalWeight: Tensor,
  options?: FlattenedConvPlanOptions,
  context?: Context,
): CompositePlan {
  checkPlanOptions({ name: NAME, keys: KEYS }, options);
  return create(lateralWeight, verticalWeight, horizontalWeight, options, context);
}

// Single-op entry points (`simdconv/flattened`) carry init too, so one import is enough.
export { init } from '../context.js';
