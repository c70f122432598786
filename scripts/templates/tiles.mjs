// The GEMM-shaped microkernel tiles, from one template: MR rows (output channels, or pixels on the
// channels-last kernels) x 8 columns (two v128 per row) or x 4 (one), accumulated over a reduction whose
// steps each load one B row (one or two vectors) and splat MR values of A. The kernels differ only in where a
// step's A and B come from and in the epilogue (per-row or per-column bias, clamp, store); a kernel family
// passes those as snippets. AssemblyScript cannot return MR x 2 accumulators from a helper (no multi-v128
// return), so sharing one body by function calls is not possible: hence a generator (XNNPACK's *.c.in
// templates are the model). scripts/gen-kernels.mjs writes assembly/gen/tiles.ts from `tiles()`.
//
// Why the loops look as they do (one accumulator chain per vector, a small runtime loop bounded by a pointer,
// the tiles exported so that Binaryen keeps them functions of their own): assembly/gemm.ts.

const acc = (r, j, nv) => (nv === 2 ? `c${r}${j}` : `c${r}`);

/**
 * One tile function. `step.a(r)` is the expression of step's A value for row r (splatted), `step.b` the B
 * vectors' load expressions, `loop` the lines opening the reduction loop(s) (closed by as many braces as
 * `loop.close`), `advance` the lines ending a step, `epilogue(accs)` the lines after the loop.
 */
function tile({ doc, name, params, mr, nv, prologue = [], loop, step, advance, epilogue }) {
  const lines = [];
  for (const line of doc) lines.push(`// ${line}`.trimEnd());
  lines.push(`export function ${name}(`);
  lines.push(...params.map((p) => `  ${p}`));
  lines.push('): void {');
  for (const line of prologue) lines.push(`  ${line}`);
  for (let r = 0; r < mr; r++) {
    if (nv === 2) lines.push(`  let c${r}0 = f32x4.splat(0), c${r}1 = f32x4.splat(0);`);
  }
  if (nv === 1) {
    lines.push(`  let ${Array.from({ length: Math.min(3, mr) }, (_, r) => `c${r} = f32x4.splat(0)`).join(', ')};`);
    if (mr > 3) lines.push(`  let ${Array.from({ length: mr - 3 }, (_, r) => `c${r + 3} = f32x4.splat(0)`).join(', ')};`);
  }
  let indent = '  ';
  for (const line of loop.open) {
    lines.push(indent + line);
    if (line.endsWith('{')) indent += '  ';
  }
  step.b.forEach((expr, j) => lines.push(`${indent}const b${j} = ${expr};`));
  for (let r = 0; r < mr; r++) {
    lines.push(`${indent}${r === 0 ? 'let ' : ''}av = ${step.a(r)};`);
    for (let j = 0; j < nv; j++) lines.push(`${indent}${acc(r, j, nv)} = madd(av, b${j}, ${acc(r, j, nv)});`);
  }
  for (const line of advance) lines.push(indent + line);
  for (const line of loop.open) {
    if (!line.endsWith('{')) continue;
    indent = indent.slice(2);
    lines.push(`${indent}}`);
  }
  const accs = Array.from({ length: mr }, (_, r) => Array.from({ length: nv }, (_, j) => acc(r, j, nv))).flat();
  for (const line of epilogue(accs)) lines.push(`  ${line}`);
  lines.push('}');
  return lines.join('\n');
}

/**
 * Epilogue lines: bias, clamp to [lo, hi] (clampv, NaN-propagating) and store row by row, stopping after mr
 * rows. `bias: 'row'` splats one bias per row (rows are output channels), 'col' loads 8 per-column biases
 * (rows are pixels). `store(r, vectors)` is row r's store statement.
 */
function storeRows({ mr, nv, bias, store }) {
  const lines = ['const vlo = f32x4.splat(lo);', 'const vhi = f32x4.splat(hi);'];
  if (bias === 'col') lines.push('const bias0 = v128.load(bias);', 'const bias1 = v128.load(bias, 16);');
  for (let r = 0; r < mr; r++) {
    if (r > 0) lines.push(`if (mr < ${r + 1}) return;`);
    if (bias === 'row' && nv === 2) lines.push(`${r === 0 ? 'let ' : ''}bv = v128.load32_splat(bias${r ? `, ${4 * r}` : ''});`);
    const vs = Array.from({ length: nv }, (_, j) => {
      const b = bias === 'col' ? `bias${j}` : nv === 2 ? 'bv' : `v128.load32_splat(bias${r ? `, ${4 * r}` : ''})`;
      return `clampv(f32x4.add(${acc(r, j, nv)}, ${b}), vlo, vhi)`;
    });
    lines.push(`${store(r, vs)};`);
  }
  return lines;
}

/** Row r of an output whose rows are ldc bytes apart from c. */
const rowAt = (r, c = 'c', ldc = 'ldc') => (r === 0 ? c : r === 1 ? `${c} + ${ldc}` : `${c} + ${r} * ${ldc}`);

/** A splat of row r's A value from a packed panel [K][rows] (rows * 4 bytes per step). */
const packedA = (r) => (r === 0 ? 'v128.load32_splat(a)' : `v128.load32_splat(a, ${4 * r})`);

/** An epilogue as its own inlined function taking the accumulators, for the kernels that share it. */
function epilogueFunction({ doc, name, mr, nv, bias, store }) {
  const accs = Array.from({ length: mr }, (_, r) => Array.from({ length: nv }, (_, j) => acc(r, j, nv))).flat();
  const lines = doc.map((l) => `// ${l}`);
  lines.push('// @ts-ignore: decorator', '@inline', `export function ${name}(`, '  mr: i32, nr: i32, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32,');
  for (let i = 0; i < accs.length; i += 6)
    lines.push(
      `  ${accs
        .slice(i, i + 6)
        .map((a) => `${a}: v128`)
        .join(', ')},`,
    );
  lines.push('): void {');
  for (const line of storeRows({ mr, nv, bias, store })) lines.push(`  ${line}`);
  lines.push('}');
  return lines.join('\n');
}

const TILE_PARAMS = ['mr: i32, nr: i32, steps: i32, x: usize, offsets: usize,', 'a: usize, c: usize, ldc: usize, bias: usize, lo: f32, hi: f32,'];
const PAIR_PARAMS = ['mr: i32, steps: i32, x: usize, d1: usize, offsets: usize, a: usize, tile: usize, bias: usize, lo: f32, hi: f32,'];
/** The direct kernels' reduction: one offset-table entry per step (assembly/direct.ts direct_tap_offsets). */
const OFFSET_LOOP = {
  open: ['const end = offsets + (<usize>steps << 2);', 'for (let t = offsets; t < end; t += 4) {', 'const src = x + <usize>load<u32>(t);'],
};

export function tiles() {
  const parts = [`import { clampv, madd, storePartial, storePartial8, storeStrided8 } from '../simd';`];

  // ---- Epilogues shared by several tiles.
  for (const mr of [6, 4]) {
    parts.push(
      epilogueFunction({
        doc: [`Epilogue of a ${mr}x8 tile whose rows are output channels: per-row bias, clamp, store mr rows of nr columns.`],
        name: `storeRows${mr}x8`,
        mr,
        nv: 2,
        bias: 'row',
        store: (r, [v0, v1]) => `storePartial8(${rowAt(r)}, ${v0}, ${v1}, nr)`,
      }),
    );
  }
  parts.push(
    epilogueFunction({
      doc: ['Epilogue of a 6x8 tile whose rows are pixels (channels-last): per-column bias, clamp, store mr rows of nr', 'columns.'],
      name: 'storeCols6x8',
      mr: 6,
      nv: 2,
      bias: 'col',
      store: (r, [v0, v1]) => `storePartial8(${rowAt(r)}, ${v0}, ${v1}, nr)`,
    }),
  );
  const rowsEpilogue =
    (mr, c = 'c', ldc = 'ldc', nr = 'nr') =>
    (accs) => [`storeRows${mr}x8(mr, ${nr}, ${c}, ${ldc}, bias, lo, hi, ${accs.join(', ')});`];

  // ---- GEMM (assembly/gemm.ts): packed panels on both sides.
  parts.push(
    tile({
      doc: [
        'C[mr x nr] = clamp(A * B + bias): A a packed 6-row weight panel [K][6], B a row-major panel (row stride ldb',
        'bytes), rows of C output channels (gemm.ts).',
      ],
      name: 'gemm_6x8_packed_a',
      params: ['mr: i32, nr: i32, k: i32,', 'a: usize, b: usize, ldb: usize, c: usize, ldc: usize,', 'bias: usize, lo: f32, hi: f32,'],
      mr: 6,
      nv: 2,
      loop: { open: ['const end = a + <usize>k * 24;', 'for (; a < end; a += 24) {'] },
      step: { b: ['v128.load(b)', 'v128.load(b, 16)'], a: packedA },
      advance: ['b += ldb;'],
      epilogue: rowsEpilogue(6),
    }),
    tile({
      doc: [
        "The 4-row variant of gemm_6x8_packed_a (gemm.ts says where it runs). lda: bytes from one step's four weights to",
        'the next (16 on 4-row panels, 24 for the first four rows of a 6-row panel: gemm_packed_a).',
      ],
      name: 'gemm_4x8_packed_a',
      params: ['mr: i32, nr: i32, k: i32,', 'a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize,', 'bias: usize, lo: f32, hi: f32,'],
      mr: 4,
      nv: 2,
      loop: { open: ['const end = a + <usize>k * lda;', 'for (; a < end; a += lda) {'] },
      step: { b: ['v128.load(b)', 'v128.load(b, 16)'], a: packedA },
      advance: ['b += ldb;'],
      epilogue: rowsEpilogue(4),
    }),
    tile({
      doc: [
        'Channels-last: A row-major (six rows lda bytes apart, all readable whatever mr is; mr only limits the stores),',
        'B a packed 8-column weight panel [K][8], rows of C pixels with per-column bias (gemm.ts says why mr must stay a',
        'runtime value).',
      ],
      name: 'gemm_6x8_packed_b',
      params: ['mr: i32, nr: i32, k: i32,', 'a: usize, lda: usize, b: usize, c: usize, ldc: usize,', 'bias: usize, lo: f32, hi: f32,'],
      mr: 6,
      nv: 2,
      loop: { open: ['const end = a + (<usize>k << 2);', 'for (; a < end; a += 4) {'] },
      step: {
        b: ['v128.load(b)', 'v128.load(b, 16)'],
        a: (r) => (r === 0 ? 'v128.load32_splat(a)' : `v128.load32_splat(a + ${r === 1 ? 'lda' : `${r} * lda`})`),
      },
      advance: ['b += 32;'],
      epilogue: (accs) => [`storeCols6x8(mr, nr, c, ldc, bias, lo, hi, ${accs.join(', ')});`],
    }),
  );

  // ---- Direct convolution (assembly/direct.ts): B read through a table of per-step offsets into the padded image.
  parts.push(
    tile({
      doc: ['One 6-output-channel x 8-pixel tile of the direct convolution: gemm_6x8_packed_a with B read through the', 'offset table (direct.ts).'],
      name: 'direct_tile_6x8',
      params: TILE_PARAMS,
      mr: 6,
      nv: 2,
      loop: OFFSET_LOOP,
      step: { b: ['v128.load(src)', 'v128.load(src, 16)'], a: packedA },
      advance: ['a += 24;'],
      epilogue: rowsEpilogue(6),
    }),
    tile({
      doc: ['The 4-row variant, for 4 or 8 output channels per group (gemm.ts gemm_4x8_packed_a says why).'],
      name: 'direct_tile_4x8',
      params: TILE_PARAMS,
      mr: 4,
      nv: 2,
      loop: OFFSET_LOOP,
      step: { b: ['v128.load(src)', 'v128.load(src, 16)'], a: packedA },
      advance: ['a += 16;'],
      epilogue: rowsEpilogue(4),
    }),
    tile({
      doc: [
        "The 6-row tile for a row's last 1..4 pixels (a row of 28 ends in 4): one vector per row, half the multiply-adds",
        'of a 6x8 tile there, where the 6x8 tile computed 8 pixels to store 4.',
      ],
      name: 'direct_tile_6x4',
      params: TILE_PARAMS,
      mr: 6,
      nv: 1,
      loop: OFFSET_LOOP,
      step: { b: ['v128.load(src)'], a: packedA },
      advance: ['a += 24;'],
      epilogue: () => storeRows({ mr: 6, nv: 1, bias: 'row', store: (r, [v]) => `storePartial(${rowAt(r)}, ${v}, nr)` }),
    }),
  );
  for (const mr of [6, 4]) {
    parts.push(
      tile({
        doc: [
          `The ${mr}x8 tile's shape for rows ending in 1..4 pixels: the last 4 pixels of two output rows (d1 bytes apart in`,
          "the padded image), into `tile` (rows of 8: the first row's four columns, then the second's) for the caller to",
          'scatter (direct.ts says why not in place).',
        ],
        name: `direct_tile_${mr}x4x2`,
        params: PAIR_PARAMS,
        mr,
        nv: 2,
        loop: OFFSET_LOOP,
        step: { b: ['v128.load(src)', 'v128.load(src + d1)'], a: packedA },
        advance: [`a += ${4 * mr};`],
        epilogue: rowsEpilogue(mr, 'tile', '32', '8'),
      }),
    );
  }

  // ---- Transposed convolution (assembly/transposed.ts): taps x channels, each tap at its own offset.
  parts.push(
    tile({
      doc: [
        'Channels-first 4x8 tile of a transposed convolution reading B in place, for a single 4-channel panel',
        "(transposed.ts). a: packed weights [ntaps][cinG][4]; b: the padded input at the tile's first pixel of channel 0",
        '(channel planes ldb bytes apart); toff: ntaps tap offsets (bytes); c: output, rows ldc apart, lanes `step` apart.',
      ],
      name: 'tconv_tile_cf',
      params: [
        'mr: i32, nr: i32, cinG: i32, ntaps: i32, toff: usize,',
        'a: usize, b: usize, ldb: usize, c: usize, ldc: usize, step: usize,',
        'bias: usize, lo: f32, hi: f32,',
      ],
      mr: 4,
      nv: 2,
      prologue: ['const rowBytes = <usize>cinG * ldb;'],
      loop: {
        open: [
          'for (let t = 0; t < ntaps; t++) {',
          'let bp = b + <usize>load<i32>(toff + (<usize>t << 2));',
          'const end = bp + rowBytes;',
          'while (bp < end) {',
        ],
      },
      step: { b: ['v128.load(bp)', 'v128.load(bp, 16)'], a: packedA },
      advance: ['a += 16;', 'bp += ldb;'],
      epilogue: () => storeRows({ mr: 4, nv: 2, bias: 'row', store: (r, [v0, v1]) => `storeStrided8(${rowAt(r)}, ${v0}, ${v1}, nr, step)` }),
    }),
    tile({
      doc: [
        "Channels-last 4x8 tile of a transposed convolution (transposed.ts). x: padded input at the group's first",
        "channel; inTab/outTab: 4 byte offsets of the tile's pixels into x and y (rows >= mr re-read row 0, so every",
        "load stays in bounds); b: packed weights [ntaps][cinG][8]; y: output at the tile's first channel.",
      ],
      name: 'tconv_tile_cl',
      params: [
        'mr: i32, nr: i32, cinG: i32, ntaps: i32, toff: usize,',
        'x: usize, inTab: usize, b: usize, y: usize, outTab: usize,',
        'bias: usize, lo: f32, hi: f32,',
      ],
      mr: 4,
      nv: 2,
      prologue: [
        'const a0 = x + <usize>load<i32>(inTab);',
        'const a1 = mr > 1 ? x + <usize>load<i32>(inTab, 4) : a0;',
        'const a2 = mr > 2 ? x + <usize>load<i32>(inTab, 8) : a0;',
        'const a3 = mr > 3 ? x + <usize>load<i32>(inTab, 12) : a0;',
      ],
      loop: {
        open: [
          'const kb = <usize>cinG << 2;',
          'for (let t = 0; t < ntaps; t++) {',
          'let o = <usize>load<i32>(toff + (<usize>t << 2));',
          'const end = o + kb;',
          'while (o < end) {',
        ],
      },
      step: { b: ['v128.load(b)', 'v128.load(b, 16)'], a: (r) => `v128.load32_splat(a${r} + o)` },
      advance: ['b += 32;', 'o += 4;'],
      epilogue: () =>
        storeRows({
          mr: 4,
          nv: 2,
          bias: 'col',
          store: (r, [v0, v1]) => `storePartial8(y + <usize>load<i32>(outTab${r ? `, ${4 * r}` : ''}), ${v0}, ${v1}, nr)`,
        }),
    }),
  );
  return `${parts.join('\n\n')}\n`;
}
