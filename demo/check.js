// Every output on the page is checked against the float64 reference (simdconv/reference), with the bound the
// test suite uses: |y - exact| <= gamma_K * sum |w x|, gamma_K = K u / (1 - K u), u = 2^-24, where K counts the
// products summed along the chain of steps (plus one rounding per intermediate).
import { channelShuffle } from 'simdconv';
import { referenceConv, referenceConvTranspose } from 'simdconv/reference';

const U = 2 ** -24;
const absT = (t) => ({ data: t.data.map(Math.abs), shape: t.shape });

function step64(s, x, abs) {
  if (s.shuffle) return channelShuffle(x, s.shuffle); // a permutation: exact
  const w = abs ? absT(s.weight) : s.weight;
  const y = s.op.startsWith('convTranspose') ? referenceConvTranspose(s.op, x, w, null, s.options) : referenceConv(s.op, x, w, null, s.options);
  return { data: Float32Array.from(y.data), shape: y.shape }; // rounded to float32, as the next step's input
}

/**
 * The most products one output element sums along the steps, plus a rounding per step: a convolution's
 * (Cin/groups) x kernel taps, weight (Cout, Cin/groups, *k) or, transposed, (Cin, Cout/groups, *k).
 */
function reductionLength(steps) {
  let K = 0;
  for (const s of steps) {
    if (s.shuffle) continue;
    const [a, b, ...kernel] = s.weight.shape;
    const taps = kernel.reduce((p, k) => p * k, 1);
    K += (s.op.startsWith('convTranspose') ? a / (s.options.groups ?? 1) : b) * taps + 1;
  }
  return K;
}

/** The float64 reference of a variant's steps, and the error bound for each output element. */
export function reference(steps, input) {
  let exact = input;
  let absolute = absT(input);
  for (const s of steps) {
    exact = step64(s, exact, false);
    absolute = step64(s, absolute, true);
  }
  const K = reductionLength(steps) + 1;
  const gamma = (K * U) / (1 - K * U);
  return { exact, bound: absolute.data.map((v) => gamma * v + 2 ** -126) };
}

/** Largest |error| / bound over the output: at most 1 passes. */
export function check(actual, ref) {
  if (actual.shape.join() !== ref.exact.shape.join()) return { ok: false, why: `shape [${actual.shape}], expected [${ref.exact.shape}]` };
  let worst = 0;
  for (let i = 0; i < actual.data.length; i++) worst = Math.max(worst, Math.abs(actual.data[i] - ref.exact.data[i]) / ref.bound[i]);
  return { ok: worst <= 1, worst };
}
