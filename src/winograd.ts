/**
 * simdconv/winograd: makes `algorithm: 'winograd'` and `'fast'` available (README: Winograd). The main `simdconv` entry
 * imports it; a bundle built from single-op entries (`simdconv/conv2d`, `simdconv/conv3d`) holds the Winograd
 * kernel path only when it also has `import 'simdconv/winograd'`, so that those who never ask for it do not
 * carry it.
 */
import { WasmChoicePlan } from './backends/wasm/choice-plan.js';
import { defaultConvPlan, installWinograd } from './backends/wasm/select.js';
import { FAST_WINOGRAD_BELOW, WasmWinogradConvPlan, winogradApplies, winogradCostRatio, winogradFits } from './backends/wasm/winograd-conv-plan.js';

installWinograd({
  winograd: (rt, params) => (winogradApplies(params) ? new WasmWinogradConvPlan(rt, params) : null),
  // Per input shape: Winograd where the cost model predicts it faster, else the default path.
  fast: (rt, params) =>
    winogradFits(params)
      ? new WasmChoicePlan(
          rt,
          params,
          {
            winograd: (r, p) => new WasmWinogradConvPlan(r, { ...p, algorithm: 'winograd' }),
            default: (r, p) => defaultConvPlan(r, { ...p, algorithm: 'default' }, true),
          },
          (g) => (winogradCostRatio(g) < FAST_WINOGRAD_BELOW ? 'winograd' : 'default'),
          'default',
        )
      : null,
});
