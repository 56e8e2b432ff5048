/**
 * 1-D work over more than 65535 workgroups is laid out as rows of exactly 65535 groups; kernels
 * recover the linear index with `linear_index(wid, lid, wg_size)` and mask the excess. The row
 * width is a constant rather than the `num_workgroups` builtin, which Dawn feeds through an
 * internal uniform that differs per dispatch size (lavapipe then specialises the shader again for
 * every size).
 */
export const GRID_ROW = 65535;

export function grid1d(total: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(total / workgroupSize);
  if (groups <= GRID_ROW) return [groups, 1, 1];
  return [GRID_ROW, Math.ceil(groups / GRID_ROW), 1];
}

export const LINEAR_INDEX_WGSL = /* wgsl */ `
fn linear_index(wid: vec3u, lid: u32, wg_size: u32) -> u32 {
  return (wid.y * ${GRID_ROW}u + wid.x) * wg_size + lid;
}
`;
