/**
 * Public data types. A tensor is a plain structural object so that other libraries can pass their own
 * buffers without conversion: `{ data: Float32Array, shape: number[] }`, row-major (C order).
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * A tensor that lives in a context's wasm memory (`context.tensor(shape)`): wasm plans read and write it in
 * place, with no copy. `data` is a fresh view on every access (growing the memory detaches older views), so
 * read it when needed rather than keeping it. `dispose()` gives the memory back; the tensor is unusable after.
 */
export interface ResidentTensor extends Tensor {
  dispose(): void;
}

/** An integer applied to every spatial axis, or one per axis. */
export type SpatialArg = number | readonly number[];

/** Padding before and after, one `[before, after]` pair per spatial axis (`[[top, bottom], [left, right]]`). */
export type PaddingPairs = readonly (readonly [number, number])[];

/**
 * ONNX's `auto_pad` (TF's 'SAME' is 'same-upper'): an output of ceil(size / stride) (transposed: size * stride),
 * the total padding this needs split in half, the odd element after ('same-upper') or before ('same-lower').
 */
export type AutoPad = 'same-upper' | 'same-lower';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/** NCHW-style (PyTorch, default) or channels-last (TF.js style). */
export type Layout = 'channels-first' | 'channels-last';

/**
 * How a convolution is computed. 'default': a direct or GEMM-lowered sum per output (error within the classic
 * float32 bound of a K-term dot product). 'winograd': Winograd F(2x2, 3x3) for conv2d, F(2x2x2, 3x3x3) for
 * conv3d, where it applies (the wasm backend, a 3x3(x3) kernel, stride 1, any dilation in 2-D and none in
 * 3-D, one group, either layout, zero padding): 2.25x (3.375x) fewer multiplies, an error bound a few times the
 * direct one, and an infinite input can give NaN where the direct sum gives +-Inf. Elsewhere it is ignored;
 * `plan.info.kernel` says what ran. 'fast': per input shape, whichever of the default path, F(2x2, 3x3) and
 * (undilated 2-D) F(4x4, 3x3) the plan's cost model predicts fastest (wasm; docs/ARCHITECTURE.md); its error
 * bound is that of the algorithm it ran (F(4x4, 3x3)'s is larger than F(2x2, 3x3)'s).
 */
export type Algorithm = 'default' | 'winograd' | 'fast';

/** Fused epilogue applied after bias: relu, relu6, or a general clamp. */
export type Activation = 'none' | 'relu' | 'relu6' | { readonly min?: number; readonly max?: number };

export interface ConvOptions {
  /** Default 1. */
  stride?: SpatialArg;
  /**
   * Int, per-axis array, `[before, after]` pairs per axis, 'same' (PyTorch's: stride 1, extra element at the
   * end), 'valid', or 'same-upper' / 'same-lower' (ONNX auto_pad, any stride). Default 0.
   */
  padding?: SpatialArg | PaddingPairs | 'same' | 'valid' | AutoPad;
  /** Default 1. */
  dilation?: SpatialArg;
  /** Default 1. Cin and Cout must both be divisible by groups. */
  groups?: number;
  /** Default 'zeros'. */
  paddingMode?: PaddingMode;
  /** Fused activation after bias. Default 'none'. */
  activation?: Activation;
  /**
   * 'channels-first' (default, N C *spatial, as PyTorch) or 'channels-last' (N *spatial C, as TF.js).
   * Weights are always PyTorch's layout (Cout, Cin/groups, *k).
   */
  layout?: Layout;
  /** 'default', or the opt-in 'winograd' or 'fast' (see Algorithm). Default 'default'. */
  algorithm?: Algorithm;
  /** Preallocated output; validated for shape and length, then written and returned. */
  out?: Tensor;
}

export interface ConvTransposeOptions {
  stride?: SpatialArg;
  /**
   * Int, per-axis array, `[before, after]` pairs per axis (trimmed from the full output), or 'same-upper' /
   * 'same-lower' (ONNX ConvTranspose auto_pad: output size * stride). Default 0.
   */
  padding?: SpatialArg | PaddingPairs | AutoPad;
  outputPadding?: SpatialArg;
  dilation?: SpatialArg;
  groups?: number;
  /** Explicit spatial output size (as ConvTranspose*d.forward(output_size=...)); overrides outputPadding. */
  outputSize?: readonly number[];
  activation?: Activation;
  layout?: Layout;
  out?: Tensor;
}
