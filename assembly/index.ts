// The module's exports: kernels only, addressed by raw byte offsets into the imported memory.
// Memory is managed by the host (src/backends/wasm/heap.ts); nothing here allocates.
export { pack_a, pack_b_8, gemm_4x8_packed_a, gemm_6x8_packed_a, gemm_6x8_packed_b } from './gemm';
export { im2col_cf, im2col_cl } from './im2col';
export { pad_image } from './pad';
export { conv_gemm_cf, conv_gemm_cl } from './conv';
export { conv_direct_cf, direct_tile_6x8, direct_tile_6x4, direct_tile_6x4x2, direct_tile_4x4x2, direct_tile_4x8, direct_tap_offsets, copy_into_padded } from './direct';
export { dwconv_cf, dwconv_cl, dwconv_cf_workspace, dwconv_cl_workspace, dwconv_pack_cl } from './depthwise';
export { dwconv_cf_blocked_applies, dwconv_cf_blocked_workspace, dwconv_pack_blocked } from './depthwise-blocked';
export { tconv_cf, tconv_cl, tconv_pad } from './transposed';
export { wino_f23_cf, wino_f222_cf } from './winograd';
export { transpose_block, copy_cl_into_padded_cf } from './layout';
export { schedule_tally } from './schedule';

export function heap_base(): usize {
  return __heap_base;
}
