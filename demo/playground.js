// The playground tab: every card of the zoo, run live on wasm (one thread), wasm threads (in a Worker) and
// WebGPU, each output checked against the float64 reference, with the output-size formula, parameter and
// FLOP counts from the introspection API beside it.
import * as sc from 'simdconv';
import { convFlops, convOutputShape, convParameterCount, receptiveField } from 'simdconv';
import { check, reference } from './check.js';
import { figures, overlayTaps } from './render.js';
import { cards } from './zoo.js';

const TAP_COLORS = ['#ffd400', '#00c2ff', '#ff4fd8'];
const GPU_CREATE = { conv2d: 'createConv2d', conv3d: 'createConv3d', convTranspose2d: 'createConvTranspose2d' };

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children.flat()) node.append(c);
  return node;
}

const perAxis = (v, n) => (Array.isArray(v) ? v : new Array(n).fill(v ?? 0));

/** The output-size formula of a step with its numbers, one line per spatial axis (PyTorch's docs' form). */
function formulas(step, inShape) {
  const rank = step.weight.shape.length - 2;
  const out = convOutputShape(step.op, inShape, step.weight.shape, step.options);
  const k = step.weight.shape.slice(2);
  const s = perAxis(step.options.stride ?? 1, rank);
  const p = perAxis(step.options.padding ?? 0, rank);
  const d = perAxis(step.options.dilation ?? 1, rank);
  const names = ['D', 'H', 'W'].slice(3 - rank);
  return names.map((n, i) => {
    const x = inShape[2 + i];
    return step.op.startsWith('convTranspose')
      ? `${n}out = (${n} − 1)·s − 2p + d·(k − 1) + 1 = (${x} − 1)·${s[i]} − 2·${p[i]} + ${d[i]}·(${k[i]} − 1) + 1 = ${out[2 + i]}`
      : `${n}out = ⌊(${n} + 2p − d·(k − 1) − 1) / s⌋ + 1 = ⌊(${x} + 2·${p[i]} − ${d[i]}·(${k[i]} − 1) − 1) / ${s[i]}⌋ + 1 = ${out[2 + i]}`;
  });
}

/** Parameters and FLOPs of a variant's convolution steps, and the size formula of each. */
function facts(variant, input) {
  let shape = input.shape;
  let params = 0;
  let flops = 0;
  const lines = [];
  for (const s of variant.steps) {
    if (s.shuffle) {
      lines.push(`channel shuffle, ${s.shuffle} groups: a permutation, no arithmetic`);
      continue;
    }
    lines.push(...formulas(s, shape).map((f) => (variant.steps.length > 1 ? `${s.op} [${s.weight.shape.slice(2).join('x')}]: ${f}` : f)));
    params += convParameterCount(s.op, s.weight.shape);
    flops += convFlops(s.op, shape, s.weight.shape, s.options);
    shape = convOutputShape(s.op, shape, s.weight.shape, s.options);
  }
  return { lines, params, flops };
}

const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

function median(run, n) {
  const times = [];
  let y;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    y = run();
    times.push(performance.now() - t0);
  }
  return { y, ms: times.sort((a, b) => a - b)[n >> 1] };
}

/**
 * WebGPU: one call of the steps (plans made, intermediates resident, one readback, plans disposed); a shuffle
 * reads back and goes on on the host. Pipelines are compiled on the first call and cached, as in an app.
 */
async function gpuSteps(gpu, steps, input) {
  const once = async () => {
    let x = input;
    const made = [];
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      if (s.shuffle) {
        x = sc.channelShuffle(x.read ? await x.read() : x, s.shuffle);
        continue;
      }
      const plan = gpu[GPU_CREATE[s.op]](s.weight, null, s.options);
      made.push(plan);
      const last = i === steps.length - 1 || steps[i + 1].shuffle;
      x = last ? await plan.run(x) : plan.runResident(x);
      if (!last) made.push(x);
    }
    for (const m of made) m.dispose(); // after the readback that used them
    return x;
  };
  await once();
  const times = [];
  let y;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    y = await once();
    times.push(performance.now() - t0);
  }
  return { y, ms: times.sort((a, b) => a - b)[1] };
}

/**
 * Builds the playground in `root` and runs every variant on every available backend. Returns, per variant,
 * whether each backend's output was within the bound of the reference.
 */
export async function playground(root, { gpu, gpuReason, threads }) {
  const results = [];
  for (const card of cards()) {
    const section = h('section', { class: 'card', id: card.id }, h('h2', {}, card.title), h('p', { class: 'lead' }, card.text));
    const inputFigs = figures(card.input, { show: card.input.shape[1] === 3 ? 'rgb' : undefined, labels: card.inputLabels, scale: card.inputScale ?? 1 });
    if (card.receptive) {
      const [field] = receptiveField(card.receptive.map((d) => ({ kernel: 3, dilation: d, padding: d })));
      overlayTaps(inputFigs[0], card.input.shape[3], card.receptive, field.size, TAP_COLORS);
      const legend = card.receptive.map((d, i) => `<span style="color:${TAP_COLORS[i]}">●</span> taps at d = ${d}`).join(' ');
      inputFigs[0].querySelector('figcaption').innerHTML =
        `${legend}<br><span style="color:#e3342f">□</span> field of the three stacked: ${field.size} x ${field.size}`;
    }
    section.append(h('div', { class: 'row' }, h('div', { class: 'io' }, h('h3', {}, 'input'), h('div', { class: 'tiles' }, inputFigs))));
    root.append(section);

    const outputs = [];
    for (const v of card.variants) {
      const ref = reference(v.steps, card.input);
      const { lines, params, flops } = facts(v, card.input);
      const wasm = median(() => v.run(sc, card.input), 5);
      const result = { card: card.id, variant: v.label, wasm: { ...check(wasm.y, ref), ms: wasm.ms } };
      outputs.push(wasm.y);
      // Outputs are drawn as wide as the input, but for the stride card, where their true size is the point.
      const scale = v.trueSize ? 1 : (card.input.shape.at(-1) * (card.inputScale ?? 1)) / wasm.y.shape.at(-1);
      const timing = h('table', { class: 'times' });
      const row = (name, cell) => timing.append(h('tr', {}, h('th', {}, name), h('td', {}, cell)));
      row('wasm, 1 thread', `${fmtMs(wasm.ms)} ${result.wasm.ok ? '✓' : '✗'}`);
      const box = h(
        'div',
        { class: 'io' },
        h('h3', {}, v.label),
        h('code', {}, v.code),
        h('div', { class: 'tiles' }, figures(wasm.y, { show: v.show, scale })),
        h(
          'div',
          { class: 'facts' },
          h(
            'div',
            { class: 'formula' },
            lines.map((l) => h('div', {}, l)),
          ),
          h('div', {}, `${params.toLocaleString()} weights · ${flops.toLocaleString()} FLOPs`),
        ),
        timing,
      );
      if (v.compareWith !== undefined) box.dataset.compareWith = String(v.compareWith);
      section.querySelector('.row').append(box);

      if (threads.ready) {
        const t = await threads.run(v.steps, card.input);
        if (t.error) row(`wasm, ${threads.count} threads`, t.error);
        else {
          result.threads = { ...check(t.y, ref), ms: t.ms, threads: t.threads };
          row(
            `wasm, ${threads.count} threads`,
            `${fmtMs(t.ms)} ${result.threads.ok ? '✓' : '✗'}${t.threads < threads.count ? ' (too small to split: ran on one)' : ''}`,
          );
        }
      } else row('wasm, threads', `n/a: ${threads.reason}`);

      if (gpu) {
        try {
          const g = await gpuSteps(gpu, v.steps, card.input);
          result.webgpu = { ...check(g.y, ref), ms: g.ms };
          row('WebGPU', `${fmtMs(g.ms)} ${result.webgpu.ok ? '✓' : '✗'}`);
        } catch (e) {
          result.webgpu = { ok: false, error: `${e.name}: ${e.message}` };
          row('WebGPU', result.webgpu.error);
        }
      } else row('WebGPU', `n/a: ${gpuReason}`);
      results.push(result);
    }
    // Two ways to the same result: say how close they came.
    card.variants.forEach((v, i) => {
      if (v.compareWith === undefined) return;
      const a = outputs[i].data;
      const b = outputs[v.compareWith].data;
      let diff = 0;
      for (let j = 0; j < a.length; j++) diff = Math.max(diff, Math.abs(a[j] - b[j]));
      section.append(h('p', { class: 'note' }, `Largest difference between the two results: ${diff.toExponential(1)} (float32 rounding).`));
    });
  }
  return results;
}
