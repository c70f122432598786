/** Stable machine-readable error codes. Tests and callers switch on `code`, never on the message text. */
export type ErrorCode =
  | 'INVALID_TENSOR' // not a {data: Float32Array, shape} object, or data.length != prod(shape)
  | 'INVALID_RANK' // wrong number of dimensions
  | 'CHANNEL_MISMATCH' // weight's Cin/groups does not match input channels, bias length != Cout, ...
  | 'INVALID_GROUPS' // groups not a positive integer, or not dividing Cin / Cout
  | 'INVALID_ARGUMENT' // stride/dilation not positive ints, negative padding, bad option value, wrong array length
  | 'INVALID_PADDING_MODE' // unknown padding mode or its limits (reflect needs pad < size, circular pad <= size, ...)
  | 'KERNEL_TOO_LARGE' // dilated kernel larger than the padded input
  | 'EMPTY_OUTPUT' // an output dimension would be < 1, or a zero-sized dimension in the input
  | 'OUTPUT_MISMATCH' // the preallocated `out` has the wrong shape or length, or aliases the input
  | 'OUT_OF_MEMORY' // buffers would exceed what wasm memory can hold (checked before allocating)
  | 'NOT_INITIALIZED' // a synchronous op called before `await init()`
  | 'DISPOSED' // a plan used after dispose()
  | 'BACKEND_UNAVAILABLE'; // a requested backend cannot run here

/** The one error class every bad input raises. `argument` names the offending argument. */
export class SimdconvError extends Error {
  override readonly name = 'SimdconvError';
  constructor(
    readonly code: ErrorCode,
    readonly argument: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${argument}: expected ${expected}, received ${received}`);
  }
}

/** Render a value for an error message without dumping large buffers. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(length ${(value as Float32Array).length})`;
  if (Array.isArray(value)) return value.length > 8 ? `[array of ${value.length}]` : `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'object') return `object with keys {${Object.keys(value as object).join(', ')}}`;
  return typeof value;
}
