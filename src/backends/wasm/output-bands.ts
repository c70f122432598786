/**
 * The band buffers of a banded run (tile-policy.ts BAND_BYTES says why bands): the kernels write output
 * rows [r0, r0 + bandRows) of every channel into a buffer, channel after channel, and the host copies them
 * from there into the caller's output. With two buffers the copy of one band overlaps the computing of the
 * next: the calling thread copies band k - 1 out (`flush`, passed to runCalls as its `meanwhile`) while the
 * other threads start on band k in the other buffer, then joins them; one buffer serves one thread, whose
 * copy runs before the next band's kernels.
 *
 * Alignment. Copies out of shared memory (with threads) run byte by byte unless source and destination agree
 * modulo 8 bytes (staging.ts stagingShift has the figures). A channel's rows start `plane` floats after the
 * previous channel's in the output, so with an odd plane (odd rows and row length: 147x147) every other
 * channel's piece was one float off. So a channel's rows lie `stride` floats apart in a buffer, `stride` of the
 * plane's parity, and each band starts a float into its buffer where its place in the output needs it (as
 * stagingShift decides): then every piece's source and destination agree. Paired at two threads
 * (bench/ab-builds.mjs --offset 0, relaxed / SIMD128): Inception-v3's stem conv (149x149 output) 1.21x / 1.17x,
 * 32->64 147x147 1.03x / 1.02x; even planes 0.98-1.01x.
 *
 * Everything is allocated once per input shape, so a run allocates nothing: the buffers (on first use) and a
 * view per channel, buffer, start and band height, made on first use (again only when memory growth replaces
 * the buffer).
 */
import type { WasmHeap } from './heap.js';
import { stagingShift } from './staging.js';

export class OutputBands {
  private readonly buffers: number[];
  /** Floats from one channel's rows to the next in a buffer: at least bandRows * rowLength, of the plane's parity. */
  readonly stride: number;
  /** Per (buffer, start, full or last band): a view per channel, made on first use. */
  private views: (Float32Array[] | undefined)[] = [];
  private viewsOf: ArrayBufferLike | null = null;
  /** The band computed last and not yet copied out: where it goes, and its views; `out` null when none. */
  private out: Float32Array | null = null;
  private at = 0;
  private pending: Float32Array[] = [];

  /**
   * `count` buffers of `bandRows` rows of `rowLength` values per channel, for images of `rows` rows: bytes
   * counted by the caller (bytesFor) before it allocates.
   */
  constructor(
    private readonly heap: WasmHeap,
    private readonly count: 1 | 2,
    private readonly channels: number,
    readonly bandRows: number,
    private readonly rows: number,
    private readonly rowLength: number,
  ) {
    this.stride = OutputBands.strideFor(bandRows, rows, rowLength);
    this.buffers = Array.from({ length: count }, () => heap.alloc(OutputBands.bytesFor(1, channels, bandRows, rows, rowLength), 'workspace'));
  }

  private static strideFor(bandRows: number, rows: number, rowLength: number): number {
    const band = bandRows * rowLength;
    return band + ((band ^ (rows * rowLength)) & 1);
  }

  /** Bytes of `count` buffers: the channels' strides and the float a band may start into its buffer. */
  static bytesFor(count: number, channels: number, bandRows: number, rows: number, rowLength: number): number {
    return count * (channels * OutputBands.strideFor(bandRows, rows, rowLength) + 1) * 4;
  }

  /**
   * The byte offset the kernels write the k-th band of a run into: output rows [r0, r0 + bandRows) of image n,
   * bound for `out` (the whole output, channels-first). Channel c's rows go `stride` floats after channel c - 1's.
   */
  target(k: number, out: Float32Array, n: number, r0: number): number {
    return this.buffers[k % this.count]! + this.shiftOf(out, this.offsetOf(n, r0));
  }

  /** Records that the k-th band of the run (see target) is computed: the next flush copies it into `out`. */
  computed(out: Float32Array, k: number, n: number, r0: number): void {
    const at = this.offsetOf(n, r0);
    const shift = this.shiftOf(out, at);
    const last = r0 + this.bandRows > this.rows;
    const memory = this.heap.memory;
    if (this.viewsOf !== memory.buffer) {
      this.views = [];
      this.viewsOf = memory.buffer;
    }
    const key = ((k % this.count) * 2 + (shift >> 2)) * 2 + (last ? 1 : 0);
    this.pending = this.views[key] ??= this.makeViews(this.buffers[k % this.count]! + shift, last ? this.rows % this.bandRows : this.bandRows);
    this.out = out;
    this.at = at;
  }

  /** Copies the band computed last into its place in the output, if there is one not yet copied. */
  readonly flush = (): void => {
    const out = this.out;
    if (!out) return;
    this.out = null;
    const plane = this.rows * this.rowLength;
    const views = this.pending;
    for (let c = 0; c < this.channels; c++) out.set(views[c]!, this.at + c * plane);
  };

  /** Forgets a band not copied out (a run that failed part way must not write into its output later). */
  clear(): void {
    this.out = null;
  }

  release(): void {
    for (const b of this.buffers) this.heap.release(b);
    this.buffers.length = 0;
    this.views = [];
    this.viewsOf = null;
  }

  /** Where in the output (a float index into `out`) the band of rows from r0 of image n starts. */
  private offsetOf(n: number, r0: number): number {
    return (n * this.channels * this.rows + r0) * this.rowLength;
  }

  /** Bytes (0 or 4) the band starts into its buffer (buffers start on 8-byte boundaries): staging.ts stagingShift. */
  private shiftOf(out: Float32Array, at: number): 0 | 4 {
    return stagingShift(this.heap.memory, (out.byteOffset >> 2) + at);
  }

  private makeViews(at: number, rows: number): Float32Array[] {
    const buffer = this.heap.memory.buffer;
    return Array.from({ length: this.channels }, (_, c) => new Float32Array(buffer, at + c * this.stride * 4, rows * this.rowLength));
  }
}
