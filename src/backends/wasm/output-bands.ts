/**
 * The band buffers of a banded run (gemm-conv-plan.ts BAND_BYTES says why bands): the kernels write output
 * rows [r0, r0 + bandRows) of every channel into a buffer, channel after channel, and the host copies them
 * from there into the caller's output. With two buffers the copy of one band overlaps the computing of the
 * next: the calling thread copies band k - 1 out (`flush`, passed to runCalls as its `meanwhile`) while the
 * other threads start on band k in the other buffer, then joins them; one buffer serves one thread, whose
 * copy runs before the next band's kernels.
 * Everything is allocated once per input shape, so a run allocates nothing: the buffers (on first use) and a
 * view per channel and buffer, for a full band and for the last band's rows (made again only when memory
 * growth replaces the buffer).
 */
import type { WasmHeap } from './heap.js';

export class OutputBands {
  private readonly buffers: number[];
  private views: Float32Array[] = [];
  /** The band computed last and not yet copied out: where it goes, and its first view; `out` null when none. */
  private out: Float32Array | null = null;
  private at = 0;
  private first = 0;

  /**
   * `count` buffers of `bandRows` rows of `rowLength` values per channel, for images of `rows` rows: bytes
   * counted by the caller (bytesFor) before it allocates.
   */
  constructor(
    private readonly heap: WasmHeap,
    count: 1 | 2,
    private readonly channels: number,
    readonly bandRows: number,
    private readonly rows: number,
    private readonly rowLength: number,
  ) {
    this.buffers = Array.from({ length: count }, () => heap.alloc(OutputBands.bytesFor(1, channels, bandRows, rowLength), 'workspace'));
  }

  static bytesFor(count: number, channels: number, bandRows: number, rowLength: number): number {
    return count * channels * bandRows * rowLength * 4;
  }

  /** The byte offset of the buffer that the k-th band of a run is computed into. */
  buffer(k: number): number {
    return this.buffers[k % this.buffers.length]!;
  }

  /**
   * Records that the k-th band of the run, output rows [r0, r0 + its rows) of image n, is computed: the next
   * flush copies it into `out` (the whole output, channels-first).
   */
  computed(out: Float32Array, k: number, n: number, r0: number): void {
    const last = r0 + this.bandRows > this.rows;
    this.out = out;
    this.at = (n * this.channels * this.rows + r0) * this.rowLength;
    this.first = (2 * (k % this.buffers.length) + (last ? 1 : 0)) * this.channels;
  }

  /** Copies the band computed last into its place in the output, if there is one not yet copied. */
  readonly flush = (): void => {
    const out = this.out;
    if (!out) return;
    this.out = null;
    const memory = this.heap.memory;
    if (this.views[0]?.buffer !== memory.buffer) this.makeViews(memory.buffer);
    const plane = this.rows * this.rowLength;
    for (let c = 0; c < this.channels; c++) out.set(this.views[this.first + c]!, this.at + c * plane);
  };

  /** Forgets a band not copied out (a run that failed part way must not write into its output later). */
  clear(): void {
    this.out = null;
  }

  release(): void {
    for (const b of this.buffers) this.heap.release(b);
    this.buffers.length = 0;
    this.views = [];
  }

  private makeViews(buffer: ArrayBufferLike): void {
    const { channels, bandRows, rowLength } = this;
    const lastRows = this.rows % bandRows;
    this.views = [];
    for (const b of this.buffers) {
      for (const rows of [bandRows, lastRows]) {
        for (let c = 0; c < channels; c++) this.views.push(new Float32Array(buffer, b + c * bandRows * rowLength * 4, rows * rowLength));
      }
    }
  }
}
