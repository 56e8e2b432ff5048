/**
 * GEMM kernel for adapters with a fixed subgroup size S: one subgroup per workgroup, each lane
 * owning 4 adjacent output columns of a TM-row block. Lane l loads row m0 + l of A (a vec4 along
 * K) and the subgroup shares the rows by broadcast, so per 4 steps of K a lane issues
 * ⌈TM/S⌉ + 4 vector loads for 16·TM FMAs. On lavapipe (S = 8, one SIMD register per subgroup)
 * that is what bounds a GEMM: the per-invocation "blocked" kernel needs 12 loads for 128 FMAs
 * and reaches 6–7 GFLOP/s; this one 17–23.
 *
 * Where K % 4 != 0 (an im2col'd 3×3 conv over RGB has K = 27) the operands along K are read as
 * guarded scalars, zero past K. The "kn" layout needs N % 4 == 0 (B is read as vec4 along N).
 * Lanes past the edges clamp their loads (every lane must take part in the broadcasts) and store
 * nothing. Reference: gemmRef (matmul.ts). Cost: 2·M·N·K flops.
 */
import { type BLayout, type EpilogueVariant, epilogueWgsl, gemmSignature } from './gemm-epilogue.js';
import type { KernelSignature } from '../kernel.js';

/** Output rows per workgroup. 16 rows keep the accumulators (16 vec4) in registers on AVX2. */
export const SUBGROUP_GEMM_ROWS = 16;

export interface SubgroupGemmVariant extends EpilogueVariant {
  bLayout: BLayout;
  subgroupSize: number;
  /** K % 4 == 0 and 4-aligned batch strides: operands along K load as vec4. */
  vecK: boolean;
}

/** Whether the subgroup kernel takes this product ("kn" reads B as vec4 along N). */
export function subgroupGemmFits(bLayout: BLayout, N: number, strideB: number): boolean {
  return bLayout === 'nk' || (N % 4 === 0 && strideB % 4 === 0);
}

/**
 * Whether the kernel ends in the vector epilogue (gemm-epilogue.ts): "kn" has N % 4 == 0, so each
 * lane's four columns are one vec4 of the output. "nk" keeps the scalar one, which takes any N
 * (attention's scores: N is the token count) and either axis (mhsa.proj's bias runs along M).
 */
export const subgroupVectorEpilogue = (bLayout: BLayout, runtime: boolean): boolean => bLayout === 'kn' && !runtime;

export function subgroupGemmKernel(v: SubgroupGemmVariant): { signature: KernelSignature; body: string } {
  if (v.vector !== subgroupVectorEpilogue(v.bLayout, !!v.runtime)) throw new Error(`subgroupGemmKernel: vector epilogue ${v.vector} for "${v.bLayout}"`);
  const S = v.subgroupSize;
  const TM = SUBGROUP_GEMM_ROWS;
  const aLoads = Math.ceil(TM / S);
  const rowA = Array.from({ length: aLoads }, (_, j) => `let rowA${j} = aBase + min(m0 + lane + ${S * j}u, p.M - 1u) * p.K;`);
  const loadA = Array.from({ length: aLoads }, (_, j) => (v.vecK ? `let a${j} = load_a((rowA${j} + k) / 4u);` : `let a${j} = along_k(rowA${j}, k);`));
  // b0..b3: "kn" → B[k + c, n0..n0+3]; "nk" → B[n0 + c, k..k+3]
  const colB = v.bLayout === 'kn' ? ['let colB = bBase + min(n0, p.N - 4u);'] : [0, 1, 2, 3].map((c) => `let rowB${c} = bBase + min(n0 + ${c}u, p.N - 1u) * p.K;`);
  const loadB = [0, 1, 2, 3].map((c) => {
    if (v.bLayout === 'nk') return v.vecK ? `let b${c} = load_b((rowB${c} + k) / 4u);` : `let b${c} = along_k_b(rowB${c}, k);`;
    if (v.vecK) return `let b${c} = load_b((colB + (k + ${c}u) * p.N) / 4u);`;
    return `let b${c} = select(vec4(0.0), load_b((colB + min(k + ${c}u, p.K - 1u) * p.N) / 4u), k + ${c}u < p.K);`;
  });
  const elementA = v.vecK ? 'vec4<f32>' : 'f32';
  const elementB = v.vecK || v.bLayout === 'kn' ? 'vec4<f32>' : 'f32';
  // (row + k..k+3) of a [*, K] operand read as scalars, zero past K; k + 3 < K + 3 never wraps
  const alongK = (fn: string, arr: string) => `fn ${fn}(row: u32, k: u32) -> vec4<f32> {
  var v = vec4(0.0);
  for (var i = 0u; i < 4u; i++) { if (k + i < p.K) { v[i] = load_${arr}(row + k + i); } }
  return v;
}`;
  const fma = Array.from({ length: TM }, (_, r) => {
    const ar = `subgroupBroadcast(a${Math.floor(r / S)}, ${r % S}u)`;
    return v.bLayout === 'kn'
      ? `{ let ar = ${ar}; acc${r} += ar.x * b0 + ar.y * b1 + ar.z * b2 + ar.w * b3; }`
      : `{ let ar = ${ar}; acc${r} += vec4(dot(ar, b0), dot(ar, b1), dot(ar, b2), dot(ar, b3)); }`;
  });
  const store = v.vector
    ? ['if (n0 < p.N) { store_out(o / 4u, epilogue4(v, m, n0, o)); }']
    : [0, 1, 2, 3].map((c) => `if (n0 + ${c}u < p.N) { store_out(o + ${c}u, epilogue(v.${'xyzw'[c]}, m, n0 + ${c}u, o + ${c}u)); }`);
  const body = /* wgsl */ `
${epilogueWgsl(v)}
${v.vecK ? '' : alongK('along_k', 'a')}
${v.vecK || v.bLayout === 'kn' ? '' : alongK('along_k_b', 'b')}

@compute @workgroup_size(${S})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let n0 = (wid.x * ${S}u + lane) * 4u;
  let m0 = wid.y * ${TM}u;
  let batch = wid.z;
  let aBase = batch * p.strideA;
  let bBase = batch * p.strideB;
  ${rowA.join('\n  ')}
  ${colB.join('\n  ')}
  // acc<r>[c] = out[m0 + r, n0 + c], in registers (constant indices only)
  ${Array.from({ length: TM }, (_, r) => `var acc${r} = vec4(0.0);`).join(' ')}
  for (var k = 0u; k < p.K; k += 4u) {
    ${loadA.join('\n    ')}
    ${loadB.join('\n    ')}
    ${fma.join('\n    ')}
  }
  // The epilogue loops over its rows to a bound from the uniform (tile_rows), which the driver can
  // neither unroll nor bound (min(${TM}u, …) it unrolled where the epilogue was short): lavapipe
  // emits each lane-varying load or store as 8 branchy scalar accesses, so unrolled (${TM}×4
  // stores, and the epilogue's loads with them) it cost more compile time than the product loop,
  // a GELU one seconds. The columns and the product loop's loads stay unrolled: looped, they ran
  // slower (the columns 18–55 % in 1×1 convs, the loads 20–40 %).
  let rows = min(p.tile_rows, p.M - min(m0, p.M));
  for (var r = 0u; r < rows; r++) {
    var v = acc0;
    ${Array.from({ length: TM - 1 }, (_, r) => `v = select(v, acc${r + 1}, r == ${r + 1}u);`).join('\n    ')}
    let m = m0 + r;
    let o = batch * p.strideOut + m * p.N + n0;
    ${store.join('\n    ')}
  }
}`;
  return { signature: gemmSignature(v, elementA, elementB, ['subgroups'], { tile_rows: 'u32' }), body };
}

/** The loop bound the kernel takes from its uniform (see there why): params every dispatch adds. */
export const SUBGROUP_GEMM_BOUNDS = { tile_rows: SUBGROUP_GEMM_ROWS } as const;

/** Workgroups for an M×N×batch product. */
export function subgroupGemmGrid(M: number, N: number, batch: number, subgroupSize: number): [number, number, number] {
  return [Math.ceil(N / (4 * subgroupSize)), Math.ceil(M / SUBGROUP_GEMM_ROWS), batch];
}
