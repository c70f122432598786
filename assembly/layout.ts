// Layout changes between channels-last ([pixels][C]) and channels-first ([C][pixels]), for paths whose kernels
// only exist channels-first (the Winograd transforms vectorise across tiles of one channel). Both directions are
// one transpose of a [rows][cols] matrix, done in 4x4 blocks of vectors.

// dst[j][i] = src[i][j] for i < rows, j < cols; src rows are srcStride floats apart, dst rows dstStride.
export function transpose_block(src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, cols: i32): void {
  const sRow = <usize>srcStride << 2;
  const dRow = <usize>dstStride << 2;
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  // Blocks of 32 columns: the 4-row strips of one block write 32 dst rows, which stay in L1 until the next
  // strip adds to them. Whole rows at a time (3136 dst rows for a 56x56 image) ran 0.3x: every strip refetched
  // each dst line from L2.
  for (let j0 = 0; j0 < cols4; j0 += 32) {
    const j1 = min(j0 + 32, cols4);
    for (let i = 0; i < rows4; i += 4) {
      const s = src + <usize>i * sRow;
      const d = dst + (<usize>i << 2);
      for (let j = j0; j < j1; j += 4) {
        const o = <usize>j << 2;
        const r0 = v128.load(s + o);
        const r1 = v128.load(s + sRow + o);
        const r2 = v128.load(s + 2 * sRow + o);
        const r3 = v128.load(s + 3 * sRow + o);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const e = d + <usize>j * dRow;
        v128.store(e, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(e + dRow, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(e + 2 * dRow, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(e + 3 * dRow, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
    }
  }
  for (let i = 0; i < rows4; i += 4) {
    const s = src + <usize>i * sRow;
    const d = dst + (<usize>i << 2);
    for (let j = cols4; j < cols; j++) {
      for (let r = 0; r < 4; r++) store<f32>(d + <usize>j * dRow + (<usize>r << 2), load<f32>(s + <usize>r * sRow + (<usize>j << 2)));
    }
  }
  for (let i = rows4; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(dst + <usize>j * dRow + (<usize>i << 2), load<f32>(src + <usize>i * sRow + (<usize>j << 2)));
  }
}

// A channels-last image [D][H][W][C] into the interior of a zero-bordered channels-first buffer
// [C][Dp][Hp][SW * segW] (borders zeroed once by the plan), rows split into SW width phases as copy_into_padded
// (direct.ts) does: padded column c to segment c % SW, position c / SW.
export function copy_cl_into_padded_cf(
  x: usize, y: usize, C: i32, D: i32, H: i32, W: i32, PD: i32, PH: i32, PW: i32, Dp: i32, Hp: i32, SW: i32, segW: i32,
): void {
  const Wq = SW * segW;
  const plane = Dp * Hp * Wq;
  const planeBytes = <usize>plane << 2;
  const rowBytes = <usize>(W * C) << 2;
  for (let d = 0; d < D; d++) {
    for (let h = 0; h < H; h++) {
      const row = y + (<usize>((d + PD) * Hp + h + PH) * Wq << 2);
      if (SW == 1) {
        transpose_block(x, C, row + (<usize>PW << 2), plane, W, C);
      } else {
        let phase = PW % SW;
        let pos = PW / SW;
        for (let w = 0; w < W; w++) {
          const dst = row + (<usize>(phase * segW + pos) << 2);
          const src = x + (<usize>(w * C) << 2);
          for (let c = 0; c < C; c++) store<f32>(dst + <usize>c * planeBytes, load<f32>(src + (<usize>c << 2)));
          if (++phase == SW) {
            phase = 0;
            pos++;
          }
        }
      }
      x += rowBytes;
    }
  }
}
