// Charts for the benchmark's results, as self-contained SVG strings.

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/**
 * Horizontal bars of ratios, one row per layer and one bar per series, with a line at 1x: how many times the
 * best wasm peer's speed each series reaches. subtitle: lines; rows: [{ name, values: (number | null)[] }].
 */
export function ratioChart({ title, subtitle = [], series, rows }) {
  const left = 150,
    top = 54 + 17 * subtitle.length,
    bar = 11,
    rowGap = 10,
    right = 70;
  const rowH = series.length * bar + rowGap;
  const plotW = 520;
  const width = left + plotW + right;
  const height = top + rows.length * rowH + 56;
  const maxValue = Math.max(2, ...rows.flatMap((r) => r.values.filter((v) => v != null)));
  const step = maxValue > 6 ? 2 : maxValue > 3 ? 1 : 0.5;
  const xMax = Math.ceil(maxValue / step) * step;
  const x = (v) => left + (v / xMax) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  subtitle.forEach((line, i) => out.push(`<text x="12" y="${42 + 17 * i}" fill="#555">${escape(line)}</text>`));
  const bottom = top + rows.length * rowH;
  for (let v = 0; v <= xMax + 1e-9; v += step) {
    out.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${bottom}" stroke="#e4e4e4"/>`,
      `<text x="${x(v)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${+v.toPrecision(3)}x</text>`,
    );
  }
  rows.forEach((r, ri) => {
    const y0 = top + ri * rowH;
    out.push(`<text x="${left - 8}" y="${y0 + (series.length * bar) / 2 + 4}" text-anchor="end">${escape(r.name)}</text>`);
    r.values.forEach((v, si) => {
      if (v == null) return;
      const y = y0 + si * bar;
      out.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left)}" height="${bar - 2}" fill="${series[si].color}"><title>${escape(`${r.name}, ${series[si].name}: ${v.toFixed(2)}x`)}</title></rect>`,
        `<text x="${x(v) + 4}" y="${y + bar - 3}" font-size="10" fill="#333">${v.toFixed(2)}x</text>`,
      );
    });
  });
  // The peers' level.
  out.push(
    `<line x1="${x(1)}" x2="${x(1)}" y1="${top - 10}" y2="${bottom}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    `<text x="${x(1) + 4}" y="${top - 12}" font-size="10" fill="#c0392b">best wasm peer</text>`,
  );
  series.forEach(({ name, color }, si) => {
    const lx = left + si * 200,
      ly = bottom + 38;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="11" height="11" fill="${color}"/>`, `<text x="${lx + 16}" y="${ly}">${escape(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The chart `npm run bench` writes (bench/results/latest.svg): per layer, simdconv's default (exact) path on the
 * relaxed build against the best wasm peer (TF.js wasm or ONNX Runtime Web) at 1 and at 2 threads.
 */
export function vsPeersChart({ meta, layers }) {
  const series = [
    { name: 'simdconv, 1 thread', color: '#4e79a7', label: 'simdconv relaxed', threads: 1 },
    { name: 'simdconv, 2 threads', color: '#a0cbe8', label: 'simdconv relaxed', threads: 2 },
  ];
  const rows = layers.map((l) => ({
    name: l.name,
    values: series.map((s) => l.results.find((r) => r.label === s.label && r.threads === s.threads && r.status === 'ok')?.vsBestWasmPeer ?? null),
  }));
  return ratioChart({
    title: 'simdconv against the best wasm peer, per layer (higher is faster)',
    subtitle: [
      'relaxed SIMD build, default (exact) path, against TF.js wasm and ONNX Runtime Web at the same thread count',
      `${meta.date.slice(0, 10)}, Node ${meta.node}, ${meta.cpu} (${meta.cpus} vCPUs)`,
    ],
    series,
    rows,
  });
}

// `node bench/chart.mjs`: redraws bench/results/latest.svg from latest.json.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const results = JSON.parse(readFileSync(new URL('./results/latest.json', import.meta.url), 'utf8'));
  writeFileSync(new URL('./results/latest.svg', import.meta.url), `${vsPeersChart(results)}\n`);
  console.log('wrote bench/results/latest.svg');
}
