// The row loops of the channel-blocked depthwise kernel (assembly/depthwise-blocked.ts), one per kernel
// width K (3, 5) and width stride S (1, 2), from one template: lanes are 4 output channels, a step computes 8
// output pixels of one row into 8 accumulators, a kernel row at a time (K weight vectors, the pixel vectors
// the 8 pixels' taps read). AssemblyScript cannot keep 8 accumulators in an array or return them from a
// helper, so the unrolled steps come from here (as scripts/templates/tiles.mjs does the GEMM tiles).
// scripts/gen-kernels.mjs writes assembly/gen/depthwise-blocked-rows.ts from `depthwiseBlockedRows()`.
//
// Order of a step: input-major. Each pixel vector is loaded once and feeds every accumulator whose taps read
// it, so at most one or two input vectors are live beside the 8 accumulators and K weights (K = 5: 15 of the
// 16 vector registers of x64). Stride 2 reads rows split by column parity: tap t of pixel j reads even
// position j + t / 2 (t even) or odd position j + (t - 1) / 2 (t odd), both consecutive vectors again.

const PIXELS = 8;
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** The multiply-adds of one kernel row of a step, in input-major order. */
function stepLines(S, K) {
  const lines = [];
  if (S === 1) {
    for (let m = 0; m < PIXELS + K - 1; m++) {
      lines.push(`const i${m} = v128.load(p, ${m * 16});`);
      for (let j = Math.max(0, m - K + 1); j <= Math.min(PIXELS - 1, m); j++) lines.push(`a${j} = madd(i${m}, k${m - j}, a${j});`);
    }
    return lines;
  }
  const half = (K - 1) >> 1;
  for (let m = 0; m < PIXELS + half; m++) {
    // Even position m: taps t = 2 (m - j); odd position m: taps t = 2 (m - j) + 1.
    for (const [v, base, parity] of [
      ['e', 'p', 0],
      ['o', 'q', 1],
    ]) {
      const uses = range(PIXELS)
        .map((j) => ({ j, t: 2 * (m - j) + parity }))
        .filter(({ t }) => t >= 0 && t < K);
      if (!uses.length) continue;
      lines.push(`const ${v}${m} = v128.load(${base}, ${m * 16});`);
      for (const { j, t } of uses) lines.push(`a${j} = madd(${v}${m}, k${t}, a${j});`);
    }
  }
  return lines;
}

function rowsFunction(S, K) {
  const accs = range(PIXELS).map((j) => `a${j}`);
  const weights = range(K).map((t) => `k${t} = v128.load(wk${t ? `, ${t * 16}` : ''})`);
  return [
    `// Output rows of one block of 4 channels, kernel ${K} wide, width stride ${S}: see depthwise-blocked.ts blockRows.`,
    `export function blockRowsS${S}K${K}(`,
    '  s: usize, rowB: usize, odd: usize, wk0: usize, bv: usize, y: usize, oplane: usize, lanes: i32,',
    '  OH: i32, OW: i32, KH: i32, SH: i32, DH: i32, bounds: usize, clamped: bool,',
    '): void {',
    `  const wEnd = wk0 + <usize>KH * ${K * 16};`,
    '  const kStep = <usize>DH * rowB;',
    '  for (let oh = 0; oh < OH; oh++) {',
    '    const rowIn = s + <usize>(oh * SH) * rowB;',
    '    const yr = y + (<usize>(oh * OW) << 2);',
    `    for (let ow = 0; ow < OW; ow += ${PIXELS}) {`,
    '      const b = v128.load(bv);',
    `      let ${accs.map((a) => `${a} = b`).join(', ')};`,
    '      let p = rowIn + (<usize>ow << 4);',
    `      for (let wk = wk0; wk < wEnd; wk += ${K * 16}) {`,
    `        const ${weights.join(', ')};`,
    ...(S === 2 ? ['        const q = p + odd;'] : []),
    ...stepLines(S, K).map((l) => `        ${l}`),
    '        p += kStep;',
    '      }',
    '      const at = yr + (<usize>ow << 2);',
    `      const full = lanes == 4 && (oh * OW + ow + ${PIXELS} <= OH * OW);`,
    `      const n = min(${PIXELS}, OW - ow);`,
    '      if (clamped) {',
    '        const vlo = v128.load(bounds);',
    '        const vhi = v128.load(bounds, 16);',
    '        storeChannelRows(',
    '          at, oplane, full, lanes, n,',
    `          ${accs.map((a) => `clampv(${a}, vlo, vhi)`).join(', ')},`,
    '        );',
    '      } else {',
    `        storeChannelRows(at, oplane, full, lanes, n, ${accs.join(', ')});`,
    '      }',
    '    }',
    '  }',
    '}',
  ].join('\n');
}

/** The row functions blockRowsS{S}K{K} for every kernel width and stride the blocked kernel takes. */
export function depthwiseBlockedRows() {
  const parts = ["import { clampv, madd } from '../simd';", "import { storeChannelRows } from '../depthwise-blocked';", ''];
  for (const K of [3, 5]) for (const S of [1, 2]) parts.push(rowsFunction(S, K), '');
  return parts.join('\n');
}
