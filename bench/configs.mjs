// What the suite runs, at each thread count. A config names a module in ./peers/ and the options
// its createPeer(layer, options) receives besides { threads }. isa picks the ceiling a config is
// measured against ('native' has none); baseline marks the wasm peers simdconv is compared with.

export const THREADS = [1, 2];

export const PEER_CONFIGS = [
  { label: 'tfjs-wasm', peer: 'tfjs-wasm', isa: 'simd128', baseline: true },
  { label: 'ort-web', peer: 'ort-web', isa: 'simd128', baseline: true },
  { label: 'ort-node', peer: 'ort-node', isa: 'native' },
];

// ─── simdconv's own configs: both wasm builds (relaxed SIMD needs the engine's support) ───────────
export const OWN_CONFIGS = [
  { label: 'simdconv relaxed', peer: 'simdconv', isa: 'relaxed', options: { build: 'relaxed' } },
  { label: 'simdconv simd128', peer: 'simdconv', isa: 'simd128', options: { build: 'simd128' } },
];
