// The module's exports: kernels only, addressed by raw byte offsets into the imported memory.
// Memory is managed by the host (src/backends/wasm/heap.ts); nothing here allocates.
export { pack_a, pack_b_8 } from './gemm';
// The microkernel tiles, generated from one template (scripts/templates/tiles.mjs).
export { gemm_4x8_packed_a, gemm_6x8_packed_a, gemm_6x8_packed_b, direct_tile_6x8, direct_tile_6x4, direct_tile_6x4x2, direct_tile_4x4x2, direct_tile_4x8 } from './gen/tiles';
export { im2col_cf, im2col_cl } from './im2col';
export { direct_tap_offsets, copy_into_padded } from './direct';
export { dwconv_cf_workspace, dwconv_cl_workspace, dwconv_pack_cl } from './depthwise';
export { dwconv_cf_blocked_applies, dwconv_cf_blocked_workspace, dwconv_pack_blocked } from './depthwise-blocked';
export { dwconv_3x3_s2_applies } from './depthwise-3x3-s2';
export { tconv_pad } from './transposed';
export { transpose_block, copy_cl_into_padded_cf } from './layout';
export { fill_channels, add_box, clamp_floats, col2im_add_cf } from './box';
// The drivers the host runs through runCalls and the thread pool, one argument struct each (generated).
export {
  conv_direct_cf, conv_gemm_cf, conv_gemm_cl, dwconv_cf, dwconv_cl, interpolate_cf, interpolate_cl, pad_image, pool_cf, pool_cl, schedule_tally, tconv_cf, tconv_cl,
  wino_f222_cf, wino_f23_cf, wino_f43_cf, kernel_abi,
} from './gen/drivers';

export function heap_base(): usize {
  return __heap_base;
}
