// What the suite runs, at each thread count. A config names a module in ./peers/ and the options
// its createPeer(layer, options) receives besides { threads }. isa picks the ceiling a config is
// measured against ('native' has none); baseline marks the wasm peers simdconv is compared with.

export const THREADS = [1, 2];

// spins: its thread pool may keep spinning for a while after a run (the suite pauses before the next config).
export const PEER_CONFIGS = [
  { label: 'tfjs-wasm', peer: 'tfjs-wasm', isa: 'simd128', baseline: true },
  { label: 'ort-web', peer: 'ort-web', isa: 'simd128', baseline: true, spins: true },
  { label: 'ort-node', peer: 'ort-node', isa: 'native', spins: true },
];

// ─── simdconv's own configs: both wasm builds (relaxed SIMD needs the engine's support) ───────────
export const OWN_CONFIGS = [
  { label: 'simdconv relaxed', peer: 'simdconv', isa: 'relaxed', options: { build: 'relaxed' } },
  { label: 'simdconv simd128', peer: 'simdconv', isa: 'simd128', options: { build: 'simd128' } },
  // The opt-in Winograd F(2x2, 3x3) / F(2x2x2, 3x3x3) (options.algorithm): 3x3(x3) stride-1 layers only, n/a elsewhere. GFLOP/s
  // count the direct convolution's multiply-adds, so they can pass the ceiling (it does 2.25x fewer).
  // `optional`: the table leaves out the layers where they do not apply (the JSON keeps them, with the reason).
  { label: 'simdconv relaxed winograd', peer: 'simdconv', isa: 'relaxed', optional: true, options: { build: 'relaxed', algorithm: 'winograd' } },
  { label: 'simdconv simd128 winograd', peer: 'simdconv', isa: 'simd128', optional: true, options: { build: 'simd128', algorithm: 'winograd' } },
];
