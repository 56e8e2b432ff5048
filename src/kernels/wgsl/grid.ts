/**
 * 1-D work over more than 65535 workgroups is laid out as a 2-D grid; kernels recover the linear
 * index with `linear_index(wid, nwg, lid)`.
 */
export function grid1d(total: number, workgroupSize: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(total / workgroupSize);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

export const LINEAR_INDEX_WGSL = /* wgsl */ `
fn linear_index(wid: vec3u, nwg: vec3u, lid: u32, wg_size: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wg_size + lid;
}
`;

/**
 * Workgroup tree reduction over `WG` lanes (a power of two): `reduce_sum(lid, v)` and
 * `reduce_max(lid, v)` return the workgroup's total to every lane. Each call ends with a barrier,
 * so calls can follow one another.
 */
export function reduceWgsl(wg: number): string {
  return /* wgsl */ `
var<workgroup> red: array<f32, ${wg}>;
fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduce_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
`;
}
