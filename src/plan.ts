/**
 * Plans: weights checked and packed once, then `run` many times (XNNPACK's operator life cycle).
 * `PlanBase` holds what every backend shares: input/output validation, the per-input-shape geometry cache,
 * and the disposed state. A backend supplies `prepare` (per new input shape: size workspaces) and `execute`.
 */
import type { TensorBlock } from './backends/wasm/heap.js';
import { SimdconvError } from './errors.js';
import { type ConvGeometry, type ConvParams, checkOut, checkShapeArg, readTensor, resolveConvGeometry, shapeSize } from './shape.js';

/** wasm32's limit, applied on every backend so that a shape means the same everywhere. */
export const MAX_TENSOR_BYTES = 2 ** 32;
import type { Tensor } from './types.js';

/** The kernel paths a plan can take (the strategy of a kernel family for the last input shape). */
export type KernelPathName =
  | 'gemm-direct'
  | 'gemm-im2col'
  | 'gemm-1x1'
  | 'gemm-taps'
  | 'depthwise'
  | 'depthwise-blocked'
  | 'transposed'
  | 'transposed-col2im'
  | 'winograd'
  | 'reference'
  | 'webgpu-gemm'
  | 'webgpu-depthwise'
  | 'channel-shuffle'
  | 'composite';

/** Particulars of a kernel path for the last input shape; a field is absent where it does not apply. */
export interface KernelFlags {
  /** GEMM direct path: a stride above 1 (read through the width-phase copy). */
  readonly strided?: boolean;
  /** Channels-last tensors on the channels-first kernels, through transposing copies. */
  readonly viaChannelsFirst?: boolean;
  /** A reflect / replicate / circular padding mode, run on a padded copy of each image. */
  readonly padCopy?: 'reflect' | 'replicate' | 'circular';
  /** GEMM direct path: a 1x1 convolution's pixels re-cut into rows of this many (recutRowLength). */
  readonly rowLength?: number;
  /** GEMM direct path: a large output sent out in bands of this many rows. */
  readonly bandRows?: number;
  /** GEMM direct path: weights past the cache swept in blocks of this many channel tiles (tile-policy.ts tileBlockFor). */
  readonly tileBlock?: number;
  /** Depthwise channels-first: a staged run in chunks of this many channels. */
  readonly chunkChannels?: number;
  /**
   * Depthwise channels-first: the width stride, and how the kernel splits a strided row ('in-register': the
   * 3x3 stride-2 kernel's shuffles of the loaded row, no copy).
   */
  readonly stride?: number;
  readonly split?: 'parity' | 'even/odd' | 'lane gather' | 'in-register';
  /** Depthwise channels-last: the channel multiplier M where above 1. */
  readonly multiplier?: number;
  /** Tap split: the kernel taps that read the input somewhere, one GEMM each over its box of outputs. */
  readonly taps?: number;
  /** Transposed convolutions: the stride phases, one sub-convolution each. */
  readonly phases?: number;
  /** Winograd: the transform, 'F(2x2, 3x3)' or 'F(2x2x2, 3x3x3)'. */
  readonly transform?: string;
  /** WebGPU: the padding pass's shader, run before the convolution's. */
  readonly padPass?: string;
  /** Channel shuffle: the groups. */
  readonly groups?: number;
}

/** Which kernel a plan runs, as fields (tests compare these); `describeKernel` makes the display string. */
export interface KernelInfo {
  readonly path: KernelPathName;
  /** The kernel's own name: its export family or shader, e.g. 'gemm-6x8-packed-a-cf', 'dwconv-cf-4px'. */
  readonly name: string;
  /** The microkernel's register tile (rows x columns), where the path has one. */
  readonly tile?: string;
  /** The layout the kernel computes in. */
  readonly layout?: 'channels-first' | 'channels-last';
  readonly flags: KernelFlags;
}

/**
 * The display string of a kernel: its name, the path, and the flags that are set, e.g.
 * 'gemm-6x8-packed-a-cf [gemm-direct] (strided, padCopy reflect)'. WebGPU plans name their shaders instead.
 */
export function describeKernel(k: KernelInfo): string {
  const flags = Object.entries(k.flags).flatMap(([key, v]) => (v === true ? [key] : v === false || v === undefined ? [] : [`${key} ${v}`]));
  return `${k.name} [${k.path}]${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

export interface PlanInfo extends KernelInfo {
  readonly backend: 'wasm' | 'js' | 'webgpu';
  /** The kernel path chosen, as a display string: describeKernel of the fields above (e.g. 'gemm-6x8-packed-a-cf (packed im2col)'). */
  readonly kernel: string;
  /** Bytes of packed weights and bias held by the plan. */
  readonly weightBytes: number;
  /** Bytes of scratch space for the last input shape (im2col panel, padded copy). */
  readonly workspaceBytes: number;
  /** Threads the last input shape was split across (1 when not split; absent where a path never splits). */
  readonly threads?: number;
}

export interface ConvPlan {
  readonly params: ConvParams;
  /** Output shape for an input shape, by the same code path `run` uses. */
  outputShape(inputShape: readonly number[]): number[];
  /** Runs the convolution. Writes into `out` when given (validated), else returns a new tensor. */
  run(input: Tensor, out?: Tensor): Tensor;
  readonly info: PlanInfo;
  /** Frees the plan's wasm memory; the plan throws DISPOSED afterwards. Idempotent. */
  dispose(): void;
}

/**
 * What plans and chains share: the checks of `run`'s tensors, the last input shape's geometry and prepared
 * state (workspaces re-sized only when the shape changes), and the disposed state. `G` is what an input shape
 * resolves to: one geometry (a plan) or one per stage (a chain).
 */
export abstract class ShapeCached<G, Prepared> {
  private cached: { shape: readonly number[]; geometry: G; prepared: Prepared | null } | null = null;
  private disposed = false;
  /** True while `execute` runs (resident runs included: wasm-plan.ts). */
  protected running = false;

  /** What an input shape resolves to (throws the shape's SimdconvError). */
  protected abstract resolve(shape: readonly number[]): G;
  /** The geometry whose output `run` returns. */
  protected abstract outputOf(g: G): { readonly outputShape: readonly number[] };
  /** Extra checks before an input shape is prepared (none by default). */
  protected checkResolved(_shape: readonly number[], _g: G): void {}
  protected abstract prepare(g: G): Prepared;
  protected abstract releasePrepared(p: Prepared): void;
  protected abstract execute(g: G, prepared: Prepared, input: Float32Array, out: Float32Array): void;
  /** Frees what is held beyond the per-shape state (packed weights, stage plans). */
  protected abstract releaseHeld(): void;
  /**
   * Where a run's tensor is, taken before `prepare` (which may grow wasm memory and so detach views of it), and
   * the view `execute` gets after it: the array itself here; the wasm backend places its live tensors by offset.
   */
  protected place(data: Float32Array, _argument: 'input' | 'options.out'): Placed {
    return data;
  }
  protected viewOf(placed: Placed): Float32Array {
    return placed as Float32Array;
  }
  /** Computes a shape without `prepare` and `execute` when the backend says so (true: done; none by default). */
  protected bypass(_g: G, _input: Float32Array, _out: Float32Array): boolean {
    return false;
  }
  /** Runs after `execute` on the run's tensors (views made again: the run may have grown wasm memory). */
  protected afterRun(_g: G, _input: Float32Array, _out: Float32Array): void {}

  outputShape(inputShape: readonly number[]): number[] {
    checkShapeArg('inputShape', inputShape);
    return [...this.outputOf(this.resolve(inputShape)).outputShape];
  }

  /** Each argument is read once (readTensor, checkOut) and only what was validated is used. */
  run(input: Tensor, out?: Tensor): Tensor {
    this.assertNotDisposed();
    const x = readTensor('input', input);
    const entry = this.resolved(x.shape);
    const last = this.outputOf(entry.geometry);
    const y = out === undefined ? null : checkOut(out, last, x);
    const src = this.place(x.data, 'input');
    const dst = y === null ? null : this.place(y.data, 'options.out');
    const target = y?.data ?? new Float32Array(shapeSize(last.outputShape));
    this.running = true;
    try {
      if (!this.bypass(entry.geometry, this.viewOf(src), dst === null ? target : this.viewOf(dst))) {
        const prepared = this.preparedOf(entry);
        this.execute(entry.geometry, prepared, this.viewOf(src), dst === null ? target : this.viewOf(dst));
        this.afterRun(entry.geometry, this.viewOf(src), dst === null ? target : this.viewOf(dst));
      }
    } finally {
      this.running = false;
    }
    return out ?? { data: target, shape: [...last.outputShape] };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.cached?.prepared) this.releasePrepared(this.cached.prepared);
    this.cached = null;
    this.releaseHeld();
  }

  /** Throws DISPOSED after dispose(), and while the plan runs (a run from inside its own run). */
  protected assertNotDisposed(): void {
    if (this.disposed) throw new SimdconvError('DISPOSED', 'plan', 'a plan that has not been disposed', 'a disposed plan');
    if (this.running) throw new SimdconvError('INVALID_ARGUMENT', 'plan', 'one run at a time', 'a run inside its own run');
  }

  protected get lastGeometry(): G | null {
    return this.cached?.geometry ?? null;
  }

  /**
   * The geometry for this input shape and its prepared state. Protected so a backend can run the plan on its
   * own buffers (the wasm backend's resident runs, src/backends/wasm/resident.ts).
   */
  protected geometryFor(shape: readonly number[]): { geometry: G; prepared: Prepared } {
    const entry = this.resolved(shape);
    return { geometry: entry.geometry, prepared: this.preparedOf(entry) };
  }

  /** The geometry for this input shape, nothing prepared yet (a backend's `bypass` decides first). */
  protected geometryOnly(shape: readonly number[]): G {
    return this.resolved(shape).geometry;
  }

  /** The cached entry for this input shape, resolved and checked (a new shape releases the last one's state). */
  private resolved(shape: readonly number[]): { geometry: G; prepared: Prepared | null } {
    // Compared element by element: the run path allocates nothing for a shape it has seen.
    const last = this.cached?.shape;
    if (last && last.length === shape.length && last.every((d, i) => d === shape[i])) return this.cached!;
    const geometry = this.resolve(shape);
    this.checkResolved(shape, geometry);
    if (this.cached?.prepared) this.releasePrepared(this.cached.prepared);
    this.cached = { shape: [...shape], geometry, prepared: null };
    return this.cached;
  }

  private preparedOf(entry: { geometry: G; prepared: Prepared | null }): Prepared {
    return (entry.prepared ??= this.prepare(entry.geometry));
  }
}

/** A tensor's data as `ShapeCached.place` found it: the array, or a live wasm tensor's block (heap.ts). */
export type Placed = Float32Array | TensorBlock;

/** A plan of one convolution: its geometry per input shape, with wasm32's size limit on every backend. */
export abstract class PlanBase<Prepared> extends ShapeCached<ConvGeometry, Prepared> implements ConvPlan {
  constructor(readonly params: ConvParams) {
    super();
  }

  abstract readonly info: PlanInfo;

  protected resolve(shape: readonly number[]): ConvGeometry {
    return resolveConvGeometry(this.params, shape);
  }

  protected outputOf(g: ConvGeometry): ConvGeometry {
    return g;
  }

  protected override checkResolved(shape: readonly number[], geometry: ConvGeometry): void {
    checkTensorBytes(shape, geometry.outputShape);
  }
}

/** wasm32's limit on a run's input and output (OUT_OF_MEMORY naming the one over it). */
export function checkTensorBytes(shape: readonly number[], outputShape: readonly number[]): void {
  const inputBytes = shapeSize(shape) * 4;
  if (inputBytes > MAX_TENSOR_BYTES) {
    throw new SimdconvError('OUT_OF_MEMORY', 'input', `an input of at most ${MAX_TENSOR_BYTES} bytes`, `shape [${shape.join(', ')}] (${inputBytes} bytes)`);
  }
  const outputBytes = shapeSize(outputShape) * 4;
  if (outputBytes > MAX_TENSOR_BYTES) {
    const shown = `shape [${outputShape.join(', ')}] (${outputBytes} bytes)`;
    throw new SimdconvError('OUT_OF_MEMORY', 'output', `an output of at most ${MAX_TENSOR_BYTES} bytes`, shown);
  }
}
