/**
 * Depthwise convolution (groups == Cin > 1, Cout = M * Cin) on the dedicated kernels of assembly/depthwise.ts,
 * for 1-D, 2-D and 3-D alike. The reduction is the kernel taps only, so the GEMM path has nothing to block on;
 * these kernels run the taps directly with zero padding handled in-kernel.
 *
 * - channels-first: weights stay in PyTorch's [C*M][taps] order; the kernel vectorises along the output width
 *   and reads edge columns with masked vector loads at their true positions, so the input buffer carries
 *   guard bytes before and after it (never read into a result; they only keep the loads inside memory).
 *   2-D 3x3 kernels at stride 2 run a kernel of their own (assembly/depthwise-3x3-s2.ts), on the same weights.
 *   Narrow 2-D maps with a kernel 3 or 5 wide at stride 1 or 2 (3 wide at stride 2: another height) run
 *   channel-blocked instead (assembly/depthwise-blocked.ts says where and why), on weights packed once more as
 *   [C*M / 4][taps][4] when the plan is made.
 *   Threads split the output channels (blocks of 4 on the blocked path). A run with its input or output
 *   outside wasm memory goes chunk by chunk of channels (CHUNK_BYTES).
 * - channels-last: weights are packed once as [taps][C*M rounded up to 4] so each tap is one vector load.
 *   Threads split the output rows.
 *
 * Non-zero padding modes run on a padded copy (pad_image), as the GEMM plan does. Workspaces depend on the
 * input shape and are re-sized only when it changes.
 */
import { convForward } from '../../reference.js';
import type { KernelInfo, PlanInfo } from '../../plan.js';
import { padsByCopy } from '../../lowering.js';
import { type ConvGeometry, type ConvParams, shapeSize, to3d } from '../../shape.js';
import { needsPadCopy, padImage } from './pad-copy.js';
import { queueBytesFor, runCalls, threadsFor, workQueueFor } from './dispatch.js';
import { DwconvCfArgs, DwconvClArgs } from './gen/kernels.js';
import { setArgs } from './kernel-args.js';
import type { ChannelChunks } from './runner.js';
import { STAGING_SPARE, Staging } from './staging.js';
import { BLOCKED_MAX_OW_THREADED, DEPTHWISE_CHUNK_BYTES, DEPTHWISE_MAC_COST, DEPTHWISE_MIN_PER_THREAD } from './tile-policy.js';
import { WasmPlan, type WasmPrepared } from './wasm-plan.js';
import type { WasmRuntime } from './runtime.js';

/** One input shape's buffers and calls. */
interface Shape {
  /** Padded copy for non-zero padding modes (heap block, data 16 bytes in), else 0. */
  paddedBlock: number;
  workspaces: number[];
  /** One kernel call per thread, each over all the work units, claiming chunks from `queue`. */
  calls: Array<DwconvCfArgs | DwconvClArgs>;
  /** The calls' work queue (dispatch.ts workQueueFor; 0 for one thread). */
  queue: number;
  /**
   * The channels-first kernel the calls run (dwconv_cf picks it by the same predicates); on the channel-blocked
   * one their queue units are blocks of 4 output channels.
   */
  cfKernel: CfKernel;
  /** Input staging with the guard bytes the channels-first kernel may read before / after it. */
  staging: Staging;
}

/** The channels-first kernels: per plane (depthwise.ts), channel-blocked, 3x3 stride 2 (depthwise-3x3-s2.ts). */
type CfKernel = 'plane' | 'blocked' | 's2';

/** What the runner and WasmPlan need (wasm-plan.ts), with the shape's own state. */
type Prepared = Shape & WasmPrepared;

const align16 = (n: number) => Math.ceil(n / 16) * 16;

export class WasmDepthwiseConvPlan extends WasmPlan<Prepared> {
  private readonly weights: number;
  /** The channels-first weights packed for the channel-blocked kernel, where it can apply (else 0). */
  private readonly blockedWeights: number = 0;
  private readonly bias: number;
  private readonly channelsLast: boolean;
  private readonly multiplier: number;
  /** Input channels per chunk of the last run with a staged input or output (0: whole images). */
  private lastChunk = 0;
  /** The channels-first kernel of the last run. */
  private lastCfKernel: CfKernel = 'plane';

  constructor(rt: WasmRuntime, params: ConvParams) {
    super(rt, params, convForward);
    const { heap } = rt;
    const cm = params.outChannels;
    const taps = shapeSize(params.kernel);
    this.channelsLast = params.layout === 'channels-last';
    this.multiplier = cm / params.inChannels;
    const cmp = Math.ceil(cm / 4) * 4;

    // Bias zero-filled past C*M: the channels-last kernel loads it 4 or 16 channels at a time.
    const biasLen = cmp + 16;
    this.bias = this.stageBias(params.bias, cm, biasLen - cm);

    const src = params.weight.data;
    if (this.channelsLast) {
      const raw = heap.alloc(src.length * 4, 'weight');
      heap.f32(raw, src.length).set(src);
      this.weights = this.allocWeights(taps * cmp * 4);
      rt.kernels.dwconv_pack_cl(raw, cm, taps, this.weights);
      heap.release(raw);
    } else {
      // PyTorch's (C*M, 1, *k) is already [channel][tap].
      this.weights = this.allocWeights(src.length * 4);
      heap.f32(this.weights, src.length).set(src);
      // Packed where the blocked path can apply at some input shape (the kernel's own predicate, for a
      // 2-D or 1-D input one column wide); whether it does depends on the output width, known per shape.
      const [KD, , KW] = to3d(params.kernel, 1);
      const [, , SW] = to3d(params.stride, 1);
      const [, , DW] = to3d(params.dilation, 1);
      if (params.kernel.length <= 2 && rt.kernels.dwconv_cf_blocked_applies(1, KD, KW, SW, DW, 1) === 1) {
        this.blockedWeights = this.allocWeights(cmp * taps * 4);
        rt.kernels.dwconv_pack_blocked(this.weights, cm, taps, this.blockedWeights);
      }
    }
  }

  get info(): PlanInfo {
    // The last shape's parameters: 'same-upper' padding is resolved per input shape.
    const p = this.lastGeometry?.params ?? this.params;
    const sw = p.stride[p.stride.length - 1]!;
    const padCopy = padsByCopy(p) ? { padCopy: p.paddingMode as 'reflect' | 'replicate' | 'circular' } : {};
    const chunks = this.lastChunk ? { chunkChannels: this.lastChunk } : {};
    const kernel: KernelInfo = this.channelsLast
      ? { path: 'depthwise', name: 'dwconv-cl-4ch', tile: '4ch', layout: 'channels-last', flags: { ...(this.multiplier > 1 && { multiplier: this.multiplier }), ...padCopy } }
      : this.lastCfKernel === 's2'
        ? { path: 'depthwise', name: 'dwconv-3x3-s2-4px', tile: '4px', layout: 'channels-first', flags: { stride: 2, split: 'in-register', ...chunks, ...padCopy } }
        : this.lastCfKernel === 'blocked'
        ? { path: 'depthwise-blocked', name: 'dwconv-cf-blocked-4ch-8px', tile: '4ch-8px', layout: 'channels-first', flags: { stride: sw, ...(sw === 2 && { split: 'parity' }), ...chunks, ...padCopy } }
        : {
            path: 'depthwise',
            name: 'dwconv-cf-4px',
            tile: '4px',
            layout: 'channels-first',
            flags: { stride: sw, ...(sw === 2 ? { split: 'even/odd' } : sw > 2 ? { split: 'lane gather' } : {}), ...chunks, ...padCopy },
          };
    return this.infoOf(kernel);
  }

  protected prepare(g: ConvGeometry): Prepared {
    const { heap } = this.rt;
    const p = g.params;
    const padCopy = padsByCopy(p);
    const paddedSize = g.inSize.map((n, i) => n + p.padBefore[i]! + p.padAfter[i]!);
    // What the kernel sees: the padded copy with no padding left, or the input with zero padding.
    const [D, H, W] = to3d(padCopy ? paddedSize : g.inSize, 1);
    const [OD, OH, OW] = to3d(g.outSize, 1);
    const [KD, KH, KW] = to3d(p.kernel, 1);
    const [SD, SH, SW] = to3d(p.stride, 1);
    const [DD, DH, DW] = to3d(p.dilation, 1);
    const [PD, PH, PW] = padCopy ? [0, 0, 0] : to3d(p.padBefore, 0);
    const C = p.inChannels;
    const M = this.multiplier;

    // Channels-first edge blocks read up to PW columns before a row and, past its end, up to the last lane
    // of the last 4-pixel block (stride 2 reads the input exactly, splitting it into its workspace, whose
    // guards the kernel sizes itself). Channels-last reads at most 3 elements past the end.
    let before = 16;
    let after = 32;
    if (!this.channelsLast) {
      const maxPos = (OW + 2) * SW - PW + DW * (KW - 1) + 1;
      before = align16(PW * 4) + 16;
      after = align16(Math.max(0, maxPos - (W - 1)) * 4) + 32;
    }
    const wanted = threadsFor(this.rt, (DEPTHWISE_MAC_COST * g.macs) / g.batch, DEPTHWISE_MIN_PER_THREAD);
    // The kernel's own predicate; it runs ahead of the other channels-first paths where it applies.
    const s2 = !this.channelsLast && this.rt.kernels.dwconv_3x3_s2_applies(D, KD, KH, KW, SH, SW, DH, DW) === 1;
    const blocked =
      !s2 &&
      this.blockedWeights !== 0 &&
      (wanted === 1 || OW <= BLOCKED_MAX_OW_THREADED) &&
      this.rt.kernels.dwconv_cf_blocked_applies(D, KD, KW, SW, DW, OW) === 1;
    const wsBytes = this.channelsLast
      ? this.rt.kernels.dwconv_cl_workspace(C, M, OD, OH, OW, KD, KH, KW)
      : Math.max(
          this.rt.kernels.dwconv_cf_workspace(D, H, W, OD, OH, OW, KD, KH, KW, SW, DW, PW),
          blocked ? this.rt.kernels.dwconv_cf_blocked_workspace(OH, OW, KH, KW, SH, DH, SW) : 0,
        );
    // Work units: output channels (channels-first; blocks of 4 on the blocked path) or output rows
    // (channels-last). Every thread's call covers them all and claims chunks from the queue.
    const units = this.channelsLast ? OD * OH : blocked ? Math.ceil(p.outChannels / 4) : p.outChannels;
    const threads = Math.min(units, wanted);
    const workspaces = Array.from({ length: threads }, () => heap.alloc(wsBytes, 'workspace'));
    const queue = workQueueFor(this.rt, threads);
    this.threads = threads;
    const paddedLen = padCopy ? C * shapeSize(paddedSize) : 0;
    const paddedBlock = padCopy ? heap.alloc(16 + paddedLen * 4 + after, 'workspace') : 0;
    this.workspaceBytes = wsBytes * workspaces.length + (padCopy ? 16 + paddedLen * 4 + after : 0) + queueBytesFor(threads);

    const geometry = { x: 0, w: this.weights, bias: this.bias, y: 0, C, M, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW, DD, DH, DW, PD, PH, PW, lo: p.clamp.min, hi: p.clamp.max, queue };
    // Threads split output rows (channels-last) or output channels (channels-first; blocks of 4 on the blocked
    // path, whose weights `wb` are 0 where it does not apply).
    const calls = workspaces.map((ws) =>
      this.channelsLast
        ? DwconvClArgs.create(heap, { ...geometry, ws, r0: 0, r1: units })
        : DwconvCfArgs.create(heap, { ...geometry, ws, co0: 0, co1: p.outChannels, wb: blocked ? this.blockedWeights : 0 }),
    );
    const cfKernel: CfKernel = s2 ? 's2' : blocked ? 'blocked' : 'plane';
    const shape: Shape = { paddedBlock, workspaces, calls, queue, cfKernel, staging: new Staging(heap, padCopy ? 16 : before, after) };
    const job = this.jobFor(g, (src, dst) => this.compute(g, shape, src, dst), { staging: shape.staging, chunks: this.chunksFor(g, shape) });
    return { ...shape, job, blocks: [paddedBlock, queue, ...workspaces] };
  }

  /**
   * Channels-first runs with the input or output outside wasm memory go chunk by chunk of channels (runner.ts;
   * CHUNK_BYTES says why). A resident input goes in chunks only where the kernel can read it in place (guardsFit).
   */
  private chunksFor(g: ConvGeometry, shape: Shape): ChannelChunks {
    const M = this.multiplier;
    const C = g.params.inChannels;
    const calls = shape.calls as DwconvCfArgs[];
    return {
      channels: C,
      inPlane: shapeSize(g.inSize),
      outPerChannel: M * shapeSize(g.outSize),
      calls,
      queue: shape.queue,
      channelsPerChunk: (input, inputResident, outResident) => {
        const chunk = inputResident && (outResident || !this.guardsFit(shape, input.byteOffset, input.byteLength)) ? 0 : this.chunkChannelsFor(g, shape);
        this.lastChunk = chunk;
        this.lastCfKernel = shape.cfKernel;
        return chunk;
      },
      // The blocked path's units are blocks of 4 output channels (chunkChannelsFor keeps c0 * M a multiple of 4).
      chunk: (x, y, c0, c1) => {
        for (const call of calls) {
          call.x = x;
          call.y = y;
          call.co0 = c0 * M;
          call.co1 = c1 * M;
        }
      },
      unchunk: () => {
        for (const call of calls) setArgs(call, { co0: 0, co1: C * M });
      },
    };
  }

  /**
   * Input channels per chunk of a staged channels-first run, or 0 to run whole images. On the blocked path a
   * multiple of 4 per thread: every chunk starts on a block of 4 output channels, and the threads get as many
   * blocks each (paired against the per-plane kernel, two threads, 144 ch 56x56: chunks of 20 channels, 5
   * blocks, 0.98-1.00x; of 16, 0.96-1.01x). On the per-plane path at least a channel per thread: planes larger
   * than a chunk went one channel at a time, which one thread computes while the others wait (paired, two
   * threads, SIMD128: 16 ch 400x400 2.05x, 32 ch 224x224 1.81x, with the chunk size per thread).
   */
  private chunkChannelsFor(g: ConvGeometry, prep: Shape): number {
    if (this.channelsLast || needsPadCopy(g)) return 0;
    const perChannel = (shapeSize(g.inSize) + this.multiplier * shapeSize(g.outSize)) * 4;
    const threads = prep.calls.length;
    const fit = Math.floor(DEPTHWISE_CHUNK_BYTES * threads / perChannel);
    const chunk = prep.cfKernel === 'blocked' ? Math.max(4 * threads, fit - (fit % (4 * threads))) : Math.max(threads, fit);
    return chunk < g.params.inChannels ? chunk : 0;
  }

  /** Whether the guard span around an input of `bytes` at byte offset `src` lies inside memory. */
  private guardsFit(prep: Shape, src: number, bytes: number): boolean {
    return src >= prep.staging.before && src + bytes + prep.staging.after <= this.rt.memory.buffer.byteLength;
  }

  /** The kernels, after moving the input into the guarded staging block when its guard span leaves memory. */
  private compute(g: ConvGeometry, prep: Shape, src: number, dst: number): void {
    const bytes = shapeSize(g.inputShape) * 4;
    let x = src;
    // The masked edge loads need the guard span around the input to lie inside memory; copy when it does not.
    if (!prep.paddedBlock && !this.guardsFit(prep, src, bytes)) {
      x = prep.staging.input(bytes + STAGING_SPARE);
      new Uint8Array(this.rt.memory.buffer).copyWithin(x, src, src + bytes);
    }
    this.computeImages(g, prep, x, dst);
  }

  /** The kernel calls, from the input at byte offset `x` to the output at `y` (both in wasm memory). */
  private computeImages(g: ConvGeometry, prep: Shape, x: number, y: number): void {
    const inImage = (shapeSize(g.inputShape) / g.batch) * 4;
    const outImage = (shapeSize(g.outputShape) / g.batch) * 4;
    const padCopy = needsPadCopy(g);
    for (let n = 0; n < g.batch; n++) {
      let src = x + n * inImage;
      if (padCopy) {
        const padded = prep.paddedBlock + 16;
        padImage(this.rt, g, src, padded);
        src = padded;
      }
      for (const call of prep.calls) {
        call.x = src;
        call.y = y + n * outImage;
      }
      runCalls(this.rt, prep.calls, prep.queue);
    }
  }
}
