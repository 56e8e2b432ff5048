/**
 * The portable GEMM kernel (no workgroup memory, no subgroups): each invocation owns an 8×4
 * output block, loading A and B as vec4 along K (or along N for "kn") when the sizes allow, and
 * with guarded scalar loads otherwise. Workgroup memory does not pay on lavapipe.
 */
import { type BLayout, type EpilogueVariant, epilogueWgsl, gemmSignature } from './gemm-epilogue.js';
import type { KernelSignature } from '../kernel.js';

export interface BlockedGemmVariant extends EpilogueVariant {
  bLayout: BLayout;
  vecA: boolean;
  vecB: boolean;
}

/** Columns per invocation (one vec4). */
const TN = 4;
/** Rows per invocation: 8 reuses each B load twice as often as 4 (~10% faster on lavapipe). */
const TM = 8;
const WG = 8;

/** Workgroups for an M×N×batch product. */
export function blockedGemmGrid(M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / (TN * WG)), Math.ceil(M / (TM * WG)), batch];
}

/** K mod 4 leftovers; only emitted for the scalar-A variant (vec4 A implies K % 4 == 0). */
function tailLoop(v: BlockedGemmVariant): string {
  const bk =
    v.bLayout === 'nk'
      ? 'vec4(load_b(rowB[0] + k), load_b(rowB[1] + k), load_b(rowB[2] + k), load_b(rowB[3] + k))'
      : v.vecB
        ? 'load_b((bBase + k * p.N + n0) / 4u)'
        : 'vec4(bkn(bBase + k * p.N, n0), bkn(bBase + k * p.N, n0 + 1u), bkn(bBase + k * p.N, n0 + 2u), bkn(bBase + k * p.N, n0 + 3u))';
  return `for (; k < p.K; k++) {
    let bk = ${bk};
    for (var r = 0u; r < ${TM}u; r++) { acc[r] += load_a(rowA[r] + k) * bk; }
  }`;
}

export function blockedGemmKernel(v: BlockedGemmVariant): { signature: KernelSignature; body: string } {
  // vec4 of A[row, k..k+3] (k + 3 < K in the main loop)
  const loadA = v.vecA ? 'load_a((base + k) / 4u)' : 'vec4(load_a(base + k), load_a(base + k + 1u), load_a(base + k + 2u), load_a(base + k + 3u))';
  // "nk": vec4 of B[n, k..k+3];  "kn": vec4 of B[k, n0..n0+3] (zero past N)
  const loadBnk = v.vecB ? 'load_b((base + k) / 4u)' : 'vec4(load_b(base + k), load_b(base + k + 1u), load_b(base + k + 2u), load_b(base + k + 3u))';
  const loadBkn = v.vecB
    ? 'load_b((bBase + k * p.N + n0) / 4u)'
    : 'vec4(bkn(bBase + k * p.N, n0), bkn(bBase + k * p.N, n0 + 1u), bkn(bBase + k * p.N, n0 + 2u), bkn(bBase + k * p.N, n0 + 3u))';
  const body = /* wgsl */ `
${epilogueWgsl(v)}

fn loadA4(base: u32, k: u32) -> vec4<f32> { return ${loadA}; }
${v.vecB ? '' : 'fn bkn(row: u32, n: u32) -> f32 { if (n < p.N) { return load_b(row + n); } return 0.0; }'}
${v.bLayout === 'nk' ? `fn loadB4(base: u32, k: u32) -> vec4<f32> { return ${loadBnk}; }` : ''}

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * ${TN}u;
  let m0 = gid.y * ${TM}u;
  let batch = gid.z;
  if (n0 >= p.N || m0 >= p.M) { return; }
  let aBase = batch * p.strideA;
  let bBase = batch * p.strideB;
  // Rows and columns past the edge are clamped for loading and dropped at the store.
  var rowA: array<u32, ${TM}>;
  for (var r = 0u; r < ${TM}u; r++) { rowA[r] = aBase + min(m0 + r, p.M - 1u) * p.K; }
  ${v.bLayout === 'nk' ? `var rowB: array<u32, ${TN}>;
  for (var c = 0u; c < ${TN}u; c++) { rowB[c] = bBase + min(n0 + c, p.N - 1u) * p.K; }` : ''}
  var acc: array<vec4<f32>, ${TM}>;  // acc[r][c] = out[m0 + r, n0 + c]
  var k = 0u;
  for (; k + 4u <= p.K; k += 4u) {
    ${
      v.bLayout === 'nk'
        ? `let b0 = loadB4(rowB[0], k); let b1 = loadB4(rowB[1], k); let b2 = loadB4(rowB[2], k); let b3 = loadB4(rowB[3], k);
    for (var r = 0u; r < ${TM}u; r++) {
      let av = loadA4(rowA[r], k);
      acc[r] += vec4(dot(av, b0), dot(av, b1), dot(av, b2), dot(av, b3));
    }`
        : `let b0 = ${loadBkn};
    let b1 = ${loadBkn.replaceAll('k * p.N', '(k + 1u) * p.N')};
    let b2 = ${loadBkn.replaceAll('k * p.N', '(k + 2u) * p.N')};
    let b3 = ${loadBkn.replaceAll('k * p.N', '(k + 3u) * p.N')};
    for (var r = 0u; r < ${TM}u; r++) {
      let av = loadA4(rowA[r], k);
      acc[r] += av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
    }`
    }
  }
  ${v.vecA ? '' : tailLoop(v)}
  for (var r = 0u; r < ${TM}u; r++) {
    let m = m0 + r;
    if (m >= p.M) { break; }
    for (var c = 0u; c < ${TN}u; c++) {
      let n = n0 + c;
      if (n >= p.N) { break; }
      let o = batch * p.strideOut + m * p.N + n;
      store_out(o, epilogue(acc[r][c], m, n, o));
    }
  }
}`;
  return { signature: gemmSignature(v, v.vecA ? 'vec4<f32>' : 'f32', v.vecB ? 'vec4<f32>' : 'f32'), body };
}
