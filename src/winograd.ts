/**
 * simdconv/winograd: makes `algorithm: 'winograd'` available (README: Winograd). The main `simdconv` entry
 * imports it; a bundle built from single-op entries (`simdconv/conv2d`, `simdconv/conv3d`) holds the Winograd
 * kernel path only when it also has `import 'simdconv/winograd'`, so that those who never ask for it do not
 * carry it.
 */
import { installWinograd } from './backends/wasm/select.js';
import { WasmWinogradConvPlan, winogradApplies } from './backends/wasm/winograd-conv-plan.js';

installWinograd((rt, params) => (winogradApplies(params) ? new WasmWinogradConvPlan(rt, params) : null));
