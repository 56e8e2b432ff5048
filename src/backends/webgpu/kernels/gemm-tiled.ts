/**
 * GEMM for hardware GPUs: a workgroup of 16×16 invocations owns a 64×64 output tile. Per step of
 * 16 along K it stages A[64 rows, 16] and B[16, 64 columns] in workgroup memory (each invocation
 * loading 4 + 4 values, neighbours reading neighbouring addresses), then every invocation takes
 * its 4×4 outputs — rows ty + 16i, columns tx + 16j, so a warp's stores fall on consecutive
 * addresses — from the staged slices: each value read from memory feeds 64 FMAs, against 4–16 in
 * the subgroup and blocked kernels. Any M, N, K and both B layouts (loads guarded, zero past the
 * edges); no subgroups, so it runs everywhere (the tests force it on lavapipe), but the policy
 * picks it only on hardware adapters: on a CPU rasterizer workgroup memory and barriers cost more
 * than they save. Reference: gemmRef (matmul.ts). Cost: 2·M·N·K flops.
 */
import { type BLayout, type EpilogueVariant, epilogueWgsl, gemmSignature } from './gemm-epilogue.js';
import type { KernelSignature } from '../kernel.js';
import { TILED_GEMM } from '../policy.js';

/** Output tile side per workgroup, K step, invocations per side (each owning PER×PER outputs). */
const { tile: TILE, k: TK, side: WG } = TILED_GEMM;
const PER = TILE / WG;

export interface TiledGemmVariant extends EpilogueVariant {
  bLayout: BLayout;
}

export function tiledGemmKernel(v: TiledGemmVariant): { signature: KernelSignature; body: string } {
  const loads = (TILE * TK) / (WG * WG);
  // The staged slices, k-major: a_tile[k][m], b_tile[k][n].
  const stageB =
    v.bLayout === 'nk'
      ? `let n = e / ${TK}u;  // B[n0 + n, k0 + kk]: consecutive invocations read along K
        let kk = e % ${TK}u;
        let gn = n0 + n;
        let gk = k0 + kk;
        b_tile[kk * ${TILE}u + n] = select(0.0, load_b(bBase + min(gn, p.N - 1u) * p.K + min(gk, p.K - 1u)), gn < p.N && gk < p.K);`
      : `let kk = e / ${TILE}u;  // B[k0 + kk, n0 + n]: consecutive invocations read along N
        let n = e % ${TILE}u;
        let gn = n0 + n;
        let gk = k0 + kk;
        b_tile[kk * ${TILE}u + n] = select(0.0, load_b(bBase + min(gk, p.K - 1u) * p.N + min(gn, p.N - 1u)), gn < p.N && gk < p.K);`;
  const body = /* wgsl */ `
${epilogueWgsl(v)}

var<workgroup> a_tile: array<f32, ${TILE * TK}>;
var<workgroup> b_tile: array<f32, ${TILE * TK}>;

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let n0 = wid.x * ${TILE}u;
  let m0 = wid.y * ${TILE}u;
  let batch = wid.z;
  let aBase = batch * p.strideA;
  let bBase = batch * p.strideB;
  // acc[i][j] = out[m0 + lid.y + ${WG}i, n0 + lid.x + ${WG}j]
  var acc: array<vec4<f32>, ${PER}>;
  for (var k0 = 0u; k0 < p.K; k0 += ${TK}u) {
    for (var t = 0u; t < ${loads}u; t++) {
      let e = li + t * ${WG * WG}u;
      {
        let m = e / ${TK}u;  // A[m0 + m, k0 + kk]: consecutive invocations read along K
        let kk = e % ${TK}u;
        let gm = m0 + m;
        let gk = k0 + kk;
        a_tile[kk * ${TILE}u + m] = select(0.0, load_a(aBase + min(gm, p.M - 1u) * p.K + min(gk, p.K - 1u)), gm < p.M && gk < p.K);
      }
      {
        ${stageB}
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let row = kk * ${TILE}u;
      let b = vec4(${Array.from({ length: PER }, (_, j) => `b_tile[row + lid.x + ${WG * j}u]`).join(', ')});
      ${Array.from({ length: PER }, (_, i) => `acc[${i}] += a_tile[row + lid.y + ${WG * i}u] * b;`).join('\n      ')}
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${PER}u; i++) {
    let m = m0 + lid.y + i * ${WG}u;
    for (var j = 0u; j < ${PER}u; j++) {
      let n = n0 + lid.x + j * ${WG}u;
      if (m < p.M && n < p.N) {
        let o = batch * p.strideOut + m * p.N + n;
        store_out(o, epilogue(acc[i][j], m, n, o));
      }
    }
  }
}`;
  return { signature: gemmSignature(v, 'f32', 'f32'), body };
}

/** Workgroups for an M×N×batch product. */
export function tiledGemmGrid(M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / TILE), Math.ceil(M / TILE), batch];
}
