// A measured WebAssembly SIMD ceiling: one thread running 12 independent f32x4 accumulators.
// - Relaxed SIMD (measured only where this engine validates it): acc = relaxed_madd(acc, m, c), 2 flops per
//   lane; 12 chains of the 4-cycle multiply-add keep both FMA ports busy.
// - SIMD128: 6 chains of acc = acc * m and 6 of acc = acc + c, 1 flop per lane each: the rate of independent
//   multiplies and adds, which is what a mul + add microkernel (products off the accumulator chain) can reach.
//   The earlier form, 12 chains of acc = acc * m + c, waits on a multiply then an add per step and measured
//   6% under it here (39.0 against 41.4 GFLOP/s; a 4x8 GEMM tile on L1-resident panels ran 40.8); with both
//   ports of each kind, mixed independent multiplies and adds issued 2.9 a cycle, pure adds or pure
//   multiplies 2.0. Assembled from text with wabt.
import initWabt from 'wabt';

const ACCUMULATORS = 12;
const flopsPerIteration = (relaxed) => ACCUMULATORS * 4 * (relaxed ? 2 : 1);

// (func (export "peak") (param $n i32) (result f32)): runs $n iterations, returns a lane so the work stays live.
function kernelText(relaxed) {
  const accs = Array.from({ length: ACCUMULATORS }, (_, i) => `$a${i}`);
  const step = (a, i) =>
    relaxed
      ? `(local.set ${a} (f32x4.relaxed_madd (local.get ${a}) (local.get $m) (local.get $c)))`
      : i % 2
        ? `(local.set ${a} (f32x4.mul (local.get ${a}) (local.get $one)))`
        : `(local.set ${a} (f32x4.add (local.get ${a}) (local.get $c)))`;
  return `(module (func (export "peak") (param $n i32) (result f32)
    (local $m v128) (local $c v128) (local $one v128) ${accs.map((a) => `(local ${a} v128)`).join(' ')}
    (local.set $m (f32x4.splat (f32.const 0.9999)))
    (local.set $c (f32x4.splat (f32.const 0.0001)))
    (local.set $one (f32x4.splat (f32.const 1))) ;; the multiply chains stay at their start: no denormals
    ${accs.map((a, i) => `(local.set ${a} (f32x4.splat (f32.const ${i / ACCUMULATORS})))`).join('\n    ')}
    (loop $next
      ${accs.map(step).join('\n      ')}
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${accs.slice(1).reduce((sum, a) => `(f32x4.add ${sum} (local.get ${a}))`, `(local.get ${accs[0]})`)})))`;
}

async function kernelBytes(relaxed) {
  const wabt = await initWabt();
  const module = wabt.parseWat('peak.wat', kernelText(relaxed), { simd: true, relaxed_simd: relaxed });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** Whether this engine accepts relaxed SIMD (Node 20 only with --experimental-wasm-relaxed-simd). */
export const relaxedSimdValidates = async () => WebAssembly.validate(await kernelBytes(true));

async function compile(relaxed) {
  const bytes = await kernelBytes(relaxed);
  if (!WebAssembly.validate(bytes)) return null;
  const { instance } = await WebAssembly.instantiate(bytes);
  const peak = instance.exports.peak;
  return Object.assign((n) => peak(n), { flopsPerIteration: flopsPerIteration(relaxed) });
}

const warm = (peak) => {
  const warmUntil = performance.now() + 100;
  while (performance.now() < warmUntil) peak(10_000);
};

// GFLOP/s of each of `runs` runs of about 50 ms.
function runs(peak, count) {
  const n = 10_000_000;
  return Array.from({ length: count }, () => {
    const t0 = performance.now();
    peak(n);
    return (n * peak.flopsPerIteration) / ((performance.now() - t0) * 1e6);
  });
}

/**
 * { simd128, relaxed }: single-thread GFLOP/s, the best of ten ~50 ms runs (on a shared machine the best run
 * is the least disturbed one), after enough short calls for V8 to tier the kernel up from Liftoff; relaxed is
 * null where relaxed SIMD does not validate.
 */
export async function measurePeak() {
  const meter = await createPeakMeter();
  const best = (peak) => peak && Math.max(...runs(peak, 10));
  return { simd128: best(meter.kernels.simd128), relaxed: best(meter.kernels.relaxed) };
}

/**
 * The ceiling measured in passing: sample() runs each kernel once (~50 ms) and returns { simd128, relaxed } in
 * GFLOP/s, so a benchmark can interleave it with the layers it times and compare each layer with the ceiling
 * of the same stretch of time.
 */
export async function createPeakMeter() {
  const kernels = { simd128: await compile(false), relaxed: await compile(true) };
  for (const k of Object.values(kernels)) if (k) warm(k);
  return {
    kernels,
    sample: () => ({ simd128: runs(kernels.simd128, 1)[0], relaxed: kernels.relaxed && runs(kernels.relaxed, 1)[0] }),
  };
}
