// A grouped bar chart as a self-contained SVG string: one group per layer, one bar per config.

// Tableau's paired palette: a dark and a light shade per hue.
const PAIRS = [['#4e79a7', '#a0cbe8'], ['#f28e2b', '#ffbe7d'], ['#59a14f', '#8cd17d'], ['#b6992d', '#f1ce63'], ['#e15759', '#ff9d9a'], ['#79706e', '#bab0ac'], ['#d37295', '#fabfd2']];
export const pairedColor = (index, light) => PAIRS[index % PAIRS.length][light ? 1 : 0];
const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// 1, 2 or 5 times a power of ten, giving at most 6 gridlines up to max.
function niceStep(max) {
  const power = 10 ** Math.floor(Math.log10(max / 5));
  return power * [1, 2, 5, 10].find((m) => max / (power * m) <= 6);
}

/** series: [{ name, color }]; groups: [{ name, values: (number | null)[] }], one value per series, null for no bar. */
export function groupedBarChart({ title, yLabel, series, groups }) {
  const bar = 9, gap = 18, left = 56, top = 48, plotH = 300, legendRow = 16;
  const groupW = Math.max(series.length * bar + gap, 90); // room for a layer name under the bars
  const width = Math.max(left + groups.length * groupW + 16, left + 4 * 170, 8 * title.length);
  const height = top + plotH + 40 + Math.ceil(series.length / 4) * legendRow + 16;
  const maxValue = Math.max(1, ...groups.flatMap((g) => g.values.filter((v) => v != null)));
  const step = niceStep(maxValue);
  const yMax = Math.ceil(maxValue / step) * step;
  const y = (v) => top + plotH - (v / yMax) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${width - 16}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(6)}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - series.length * bar) / 2;
    g.values.forEach((v, si) => {
      if (v == null) return;
      out.push(`<rect x="${x0 + si * bar}" y="${y(v)}" width="${bar - 1}" height="${top + plotH - y(v)}" fill="${series[si].color}"><title>${escape(`${g.name}, ${series[si].name}: ${v.toFixed(1)}`)}</title></rect>`);
    });
    out.push(`<text x="${x0 + (series.length * bar) / 2}" y="${top + plotH + 16}" text-anchor="middle">${escape(g.name)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${width - 16}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  series.forEach(({ name, color }, si) => {
    const lx = left + (si % 4) * 170, ly = top + plotH + 40 + Math.floor(si / 4) * legendRow;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 14}" y="${ly}">${escape(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
