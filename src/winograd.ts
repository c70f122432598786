/**
 * simdconv/winograd: makes `algorithm: 'winograd'` and `'fast'` available (README: Winograd). The main `simdconv` entry
 * imports it; a bundle built from single-op entries (`simdconv/conv2d`, `simdconv/conv3d`) holds the Winograd
 * kernel path only when it also has `import 'simdconv/winograd'`, so that those who never ask for it do not
 * carry it.
 */
import { WasmChoicePlan } from './backends/wasm/choice-plan.js';
import { defaultConvPlan, installWinograd } from './backends/wasm/select.js';
import {
  FAST_WINOGRAD_BELOW,
  WasmWinogradConvPlan,
  winograd43Considered,
  winograd43CostRatio,
  winogradApplies,
  winogradCostRatio,
  winogradFits,
} from './backends/wasm/winograd-conv-plan.js';
import type { ConvGeometry } from './shape.js';

/** 'fast''s path for a shape: the Winograd variant with the lowest predicted time, where below FAST_WINOGRAD_BELOW. */
function fastPath(g: ConvGeometry): 'winograd' | 'winograd43' | 'default' {
  const r23 = winogradCostRatio(g);
  const r43 = winograd43Considered(g) ? winograd43CostRatio(g) : Infinity;
  if (Math.min(r23, r43) >= FAST_WINOGRAD_BELOW) return 'default';
  return r43 < r23 ? 'winograd43' : 'winograd';
}

installWinograd({
  winograd: (rt, params) => (winogradApplies(params) ? new WasmWinogradConvPlan(rt, params) : null),
  // Per input shape: the Winograd variant the cost model predicts fastest, where faster than the default path.
  fast: (rt, params) =>
    winogradFits(params)
      ? new WasmChoicePlan(
          rt,
          params,
          {
            winograd: (r, p) => new WasmWinogradConvPlan(r, { ...p, algorithm: 'winograd' }),
            winograd43: (r, p) => new WasmWinogradConvPlan(r, { ...p, algorithm: 'winograd' }, 4),
            default: (r, p) => defaultConvPlan(r, { ...p, algorithm: 'default' }, true),
          },
          fastPath,
          'default',
        )
      : null,
});
