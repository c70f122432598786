/**
 * The staging runner: the one place that decides where a wasm plan's tensors are while its kernels run.
 * A plan describes one input shape's work as a RunJob (made in `prepare`); `runJob` picks a strategy per run:
 * - resident: input and output already in wasm memory (Context.tensor, chains): the kernels read and write them
 *   in place, which saves a copy each way (most of a bandwidth-bound layer);
 * - staged: what is not in wasm memory is copied into a staging buffer (input) or out of one (output), whole;
 * - banded output: a large output not in wasm memory is computed band of rows by band into buffers that stay in
 *   cache and copied out from there, overlapping the next band's kernels with threads (BandedOutput);
 * - chunked channels: a channels-first depthwise run goes chunk of channels by chunk, each chunk's copy in,
 *   kernels and copy out meeting in L2 (ChannelChunks).
 * docs/ARCHITECTURE.md, "Running a plan", has the picture.
 */
import { type KernelCall, runCalls } from './dispatch.js';
import { OutputBands } from './output-bands.js';
import type { WasmRuntime } from './runtime.js';
import { STAGING_SPARE, type Staging, stagingShift } from './staging.js';

/** A large channels-first output that `runJob` sends out band of rows by band (tile-policy.ts bandRowsFor says when). */
export interface BandedOutput {
  readonly channels: number;
  /** Output rows per image, their length, and rows per band. */
  readonly rows: number;
  readonly rowLength: number;
  readonly bandRows: number;
  readonly calls: readonly KernelCall[];
  readonly queue: number;
  /** Points the calls at rows [r0, r1) of image n of the input at `x`, into `y`, channel rows `stride` floats apart. */
  band(x: number, n: number, r0: number, r1: number, y: number, stride: number): void;
  /** Points the calls at whole images again. */
  unband(): void;
}

/** A channels-first run whose output channels read one input channel each, which `runJob` may run chunk by chunk. */
export interface ChannelChunks {
  /** Input channels per image, input floats per channel, output floats per input channel. */
  readonly channels: number;
  readonly inPlane: number;
  readonly outPerChannel: number;
  readonly calls: readonly KernelCall[];
  readonly queue: number;
  /** Input channels per chunk for this run, or 0 to run whole images. */
  channelsPerChunk(input: Float32Array, inputResident: boolean, outputResident: boolean): number;
  /**
   * Points the calls at input channels [c0, c1) of the image at `x`, writing output channel c's values at
   * `y` + c * outPerChannel floats (`y` may lie before a chunk buffer: it wraps as wasm's u32 sums do).
   */
  chunk(x: number, y: number, c0: number, c1: number): void;
  /** Points the calls at whole images again. */
  unchunk(): void;
}

/** One input shape's work, as a plan describes it to the runner. */
export interface RunJob {
  readonly batch: number;
  readonly staging: Staging;
  /** Runs every image of the input at byte offset `src` into the output at `dst` (both in wasm memory). */
  images(src: number, dst: number): void;
  readonly bands?: BandedOutput;
  readonly chunks?: ChannelChunks;
}

/** Runs `job` from `input` to `out`, wherever they are (see the strategies above). */
export function runJob(rt: WasmRuntime, job: RunJob, input: Float32Array, out: Float32Array): void {
  const { memory } = rt;
  const inputResident = input.buffer === memory.buffer;
  const outResident = out.buffer === memory.buffer;
  if (job.bands && !outResident) return runBanded(rt, job, job.bands, input, out);
  const chunk = job.chunks?.channelsPerChunk(input, inputResident, outResident) ?? 0;
  if (chunk) return runChunked(rt, job, job.chunks!, chunk, input, out);
  // The output's offset is read before any staging: an allocation may grow the memory and detach the views.
  const dst = outResident ? out.byteOffset : -1;
  const src = inputInMemory(memory, job.staging, input);
  const y = dst >= 0 ? dst : job.staging.output(out.byteLength + STAGING_SPARE) + stagingShift(memory, out.byteOffset >> 2);
  job.images(src, y);
  if (dst < 0) out.set(new Float32Array(memory.buffer, y, out.length));
}

/** The byte offset of `input` in wasm memory: its own where it is there already, else staged (copied) there. */
function inputInMemory(memory: WebAssembly.Memory, staging: Staging, input: Float32Array): number {
  if (input.buffer === memory.buffer) return input.byteOffset;
  const src = stagedInput(memory, staging, input);
  new Float32Array(memory.buffer, src, input.length).set(input);
  return src;
}

/** Where a staged copy of `input` goes, a float into its buffer where that keeps the copy aligned (stagingShift). */
function stagedInput(memory: WebAssembly.Memory, staging: Staging, input: Float32Array): number {
  return staging.input(input.byteLength + STAGING_SPARE) + stagingShift(memory, input.byteOffset >> 2);
}

/** The band buffers of each job, made by its first banded run (released with releaseJob). */
const bandBuffers = new WeakMap<RunJob, OutputBands>();

/**
 * Each band of output rows is computed into a band buffer and copied from there into `out`. With threads,
 * this thread copies each band out while the others start on the next (output-bands.ts).
 */
function runBanded(rt: WasmRuntime, job: RunJob, b: BandedOutput, input: Float32Array, out: Float32Array): void {
  const x = inputInMemory(rt.memory, job.staging, input);
  let bands = bandBuffers.get(job);
  if (!bands) {
    bands = new OutputBands(rt.heap, b.calls.length > 1 ? 2 : 1, b.channels, b.bandRows, b.rows, b.rowLength);
    bandBuffers.set(job, bands);
  }
  const R = b.rows;
  const B = b.bandRows;
  try {
    let k = 0;
    for (let n = 0; n < job.batch; n++) {
      for (let r0 = 0; r0 < R; r0 += B, k++) {
        const y = bands.target(k, out, n, r0);
        b.band(x, n, r0, Math.min(R, r0 + B), y, bands.stride);
        runCalls(rt, b.calls, b.queue, bands.flush);
        bands.computed(out, k, n, r0);
      }
    }
    bands.flush();
  } finally {
    bands.clear();
    // Unbanded runs (resident outputs, chains) see whole images again.
    b.unband();
  }
}

/**
 * Channel c of the output reads only channel c of the input (c / M with a multiplier), so the run stages the
 * input, computes and copies the output out chunk by chunk of channels (whichever of the two is not in wasm
 * memory already); with threads the calling thread copies the next chunk in and the last one out while the
 * others compute (depthwise-conv-plan.ts CHUNK_BYTES has the measurements). A staged output goes through one
 * chunk buffer (two with threads) rather than a whole staged image.
 */
function runChunked(rt: WasmRuntime, job: RunJob, c: ChannelChunks, chunk: number, input: Float32Array, out: Float32Array): void {
  const { memory } = rt;
  // Offsets are read before any staging: an allocation may grow the memory and detach the views.
  const inputResident = input.buffer === memory.buffer;
  const outResident = out.buffer === memory.buffer;
  const outAt = out.byteOffset;
  const { channels: C, inPlane, outPerChannel: P } = c;
  const x = inputResident ? input.byteOffset : stagedInput(memory, job.staging, input);
  const chunkBuffers = outResident ? [] : job.staging.outputChunks(c.calls.length > 1 ? 2 : 1, chunk * P * 4 + STAGING_SPARE);
  const buffer = memory.buffer;
  const perImage = Math.ceil(C / chunk);
  const steps = job.batch * perImage;
  // Step s is input channels [first(s), last(s)) counted over the whole batch (image n's start at n * C).
  // Copies go through views made per chunk: a few small objects per run, like the staged run's one view.
  const first = (s: number) => Math.floor(s / perImage) * C + (s % perImage) * chunk;
  const last = (s: number) => Math.min(first(s) + chunk, Math.floor(s / perImage) * C + C);
  const copyIn = (s: number) => {
    if (inputResident) return;
    const i0 = first(s) * inPlane;
    const i1 = last(s) * inPlane;
    new Float32Array(buffer, x + i0 * 4, i1 - i0).set(input.subarray(i0, i1));
  };
  // Step s's chunk buffer, a float into its block where that keeps the copy out aligned (stagingShift).
  const chunkAt = (s: number) => chunkBuffers[s % chunkBuffers.length]! + stagingShift(memory, (outAt >> 2) + first(s) * P);
  const copyOut = (s: number) => {
    if (outResident) return;
    const o0 = first(s) * P;
    const o1 = last(s) * P;
    out.set(new Float32Array(buffer, chunkAt(s), o1 - o0), o0);
  };
  let step = 0;
  // The calling thread's share while the others compute step `step` (before it, on one thread).
  const meanwhile = () => {
    if (step > 0) copyOut(step - 1);
    if (step + 1 < steps) copyIn(step + 1);
  };
  try {
    copyIn(0);
    for (; step < steps; step++) {
      const n = Math.floor(step / perImage);
      const c0 = first(step) - n * C;
      const c1 = last(step) - n * C;
      // A chunk buffer stands for the outputs of input channels [c0, c1): the kernels address input channel c's
      // outputs at y + c * P floats, so y lies c0 * P floats before the buffer (wrapping below 0 as u32 sums do).
      const y = outResident ? outAt + n * C * P * 4 : (chunkAt(step) - c0 * P * 4) >>> 0;
      c.chunk(x + n * C * inPlane * 4, y, c0, c1);
      runCalls(rt, c.calls, c.queue, meanwhile);
    }
    copyOut(steps - 1);
  } finally {
    c.unchunk();
  }
}

/** Frees a job's staging and band buffers. */
export function releaseJob(job: RunJob): void {
  job.staging.release();
  bandBuffers.get(job)?.release();
}
