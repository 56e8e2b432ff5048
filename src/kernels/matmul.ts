/**
 * Batched GEMM with a fused epilogue:
 *   out[b] = act(A[b] · op(B[b]) + bias) · scale + residual[b]
 * A is [M, K] row-major. B is PyTorch's Linear layout [N, K] (`op` = transpose, "nk") or a
 * projection / activation layout [K, N] ("kn"). A batch stride of 0 broadcasts an operand (a
 * weight shared by every batch). Bias and scale run along N (linear) or along M (1×1 conv, where M
 * is the output channel).
 *
 * Kernel: no workgroup memory (it does not pay on lavapipe); each invocation owns an 8×4 output
 * block, loading A and B as vec4 along K (or along N for "kn") when the sizes allow, and with
 * guarded scalar loads otherwise. Cost: 2·M·N·K flops.
 */
import type { Tensor } from '../gpu/tensor.js';
import { checkRank, checkShape, fmtShape } from '../gpu/shape.js';
import { ShapeError } from '../gpu/errors.js';
import { type Activation, activationWgsl } from './wgsl/math.js';
import { activationRef } from './unary.js';

export type BLayout = 'nk' | 'kn';
export type Along = 'm' | 'n';

interface Variant {
  bLayout: BLayout;
  vecA: boolean;
  vecB: boolean;
  bias: Along | null;
  scale: Along | null;
  residual: boolean;
  act: Activation;
}

/** Columns per invocation (one vec4). */
const TN = 4;
/** Rows per invocation: 8 reuses each B load twice as often as 4 (~10% faster on lavapipe). */
const TM = 8;
const WG = 8;

/** K mod 4 leftovers; only emitted for the scalar-A variant (vec4 A implies K % 4 == 0). */
function tailLoop(v: Variant): string {
  const bk =
    v.bLayout === 'nk'
      ? 'vec4(b[rowB[0] + k], b[rowB[1] + k], b[rowB[2] + k], b[rowB[3] + k])'
      : v.vecB
        ? 'b[(bBase + k * p.N + n0) / 4u]'
        : 'vec4(bkn(bBase + k * p.N, n0), bkn(bBase + k * p.N, n0 + 1u), bkn(bBase + k * p.N, n0 + 2u), bkn(bBase + k * p.N, n0 + 3u))';
  return `for (; k < p.K; k++) {
    let bk = ${bk};
    for (var r = 0u; r < ${TM}u; r++) { acc[r] += a[rowA[r] + k] * bk; }
  }`;
}

function wgsl(v: Variant): string {
  let binding = 4;
  const opt = (decl: string) => `@group(0) @binding(${binding++}) ${decl}`;
  const arrA = v.vecA ? 'array<vec4<f32>>' : 'array<f32>';
  const arrB = v.vecB ? 'array<vec4<f32>>' : 'array<f32>';
  // vec4 of A[row, k..k+3] (k + 3 < K in the main loop)
  const loadA = v.vecA ? 'a[(base + k) / 4u]' : 'vec4(a[base + k], a[base + k + 1u], a[base + k + 2u], a[base + k + 3u])';
  // "nk": vec4 of B[n, k..k+3];  "kn": vec4 of B[k, n0..n0+3] (zero past N)
  const loadBnk = v.vecB ? 'b[(base + k) / 4u]' : 'vec4(b[base + k], b[base + k + 1u], b[base + k + 2u], b[base + k + 3u])';
  const loadBkn = v.vecB
    ? 'b[(bBase + k * p.N + n0) / 4u]'
    : 'vec4(bkn(bBase + k * p.N, n0), bkn(bBase + k * p.N, n0 + 1u), bkn(bBase + k * p.N, n0 + 2u), bkn(bBase + k * p.N, n0 + 3u))';
  const idxOf = (along: Along) => (along === 'm' ? 'm' : 'n');
  return /* wgsl */ `
struct Params { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, strideOut: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: ${arrA};
@group(0) @binding(2) var<storage, read> b: ${arrB};
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${v.bias ? opt('var<storage, read> bias: array<f32>;') : ''}
${v.scale ? opt('var<storage, read> scale: array<f32>;') : ''}
${v.residual ? opt('var<storage, read> residual: array<f32>;') : ''}
${activationWgsl(v.act)}

fn loadA4(base: u32, k: u32) -> vec4<f32> { return ${loadA}; }
${v.vecB ? '' : 'fn bkn(row: u32, n: u32) -> f32 { if (n < p.N) { return b[row + n]; } return 0.0; }'}
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
      var v = acc[r][c];
      ${v.bias ? `v = v + bias[${idxOf(v.bias)}];` : ''}
      v = activate(v);
      ${v.scale ? `v = v * scale[${idxOf(v.scale)}];` : ''}
      ${v.residual ? 'v = v + residual[o];' : ''}
      out[o] = v;
    }
  }
}`;
}

export interface GemmEpilogue {
  bias?: Tensor;
  /** Bias index: along N (per output feature, default) or along M (per output channel of a 1×1 conv). */
  biasAlong?: Along;
  act?: Activation;
  scale?: Tensor;
  scaleAlong?: Along;
  /** Added last, same shape as the output. */
  residual?: Tensor;
}

export interface GemmSpec extends GemmEpilogue {
  a: Tensor;
  b: Tensor;
  bLayout: BLayout;
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive batches of A and B; 0 broadcasts. */
  strideA: number;
  strideB: number;
  outShape: readonly number[];
  label?: string;
}

/** The low-level entry: sizes and strides given explicitly. Prefer `linear`, `matmul`, `conv2d`. */
export function gemm(s: GemmSpec): Tensor {
  const { a, b, M, N, K, batch } = s;
  const op = s.label ?? 'gemm';
  if (M <= 0 || N <= 0 || K <= 0 || batch <= 0) throw new ShapeError(`${op}: empty product M=${M} N=${N} K=${K} batch=${batch}`);
  checkShape(op, 'a', a, a.shape.map(() => null));
  checkShape(op, 'b', b, b.shape.map(() => null));
  const needA = (s.strideA ? (batch - 1) * s.strideA : 0) + M * K;
  const needB = (s.strideB ? (batch - 1) * s.strideB : 0) + N * K;
  if (a.size < needA) throw new ShapeError(`${op}: a ${fmtShape(a.shape)} is too small for ${batch}×[${M}, ${K}]`);
  if (b.size < needB) throw new ShapeError(`${op}: b ${fmtShape(b.shape)} is too small for ${batch}×${s.bLayout === 'nk' ? `[${N}, ${K}]` : `[${K}, ${N}]`}`);
  const biasAlong = s.biasAlong ?? 'n';
  const scaleAlong = s.scaleAlong ?? 'n';
  if (s.bias) checkShape(op, 'bias', s.bias, [biasAlong === 'n' ? N : M]);
  if (s.scale) checkShape(op, 'scale', s.scale, [scaleAlong === 'n' ? N : M]);
  if (s.residual) checkShape(op, 'residual', s.residual, s.outShape);
  const v: Variant = {
    bLayout: s.bLayout,
    vecA: K % 4 === 0 && s.strideA % 4 === 0 && (s.bLayout === 'kn' || s.strideB % 4 === 0),
    vecB: s.bLayout === 'nk' ? K % 4 === 0 && s.strideA % 4 === 0 && s.strideB % 4 === 0 : N % 4 === 0 && s.strideB % 4 === 0,
    bias: s.bias ? biasAlong : null,
    scale: s.scale ? scaleAlong : null,
    residual: !!s.residual,
    act: s.act ?? 'none',
  };
  const out = a.gpu.empty(s.outShape, 'f32', op);
  const bindings = [a, b, out];
  if (s.bias) bindings.push(s.bias);
  if (s.scale) bindings.push(s.scale);
  if (s.residual) bindings.push(s.residual);
  const key = `${v.bLayout}${v.vecA ? '.va' : ''}${v.vecB ? '.vb' : ''}${v.bias ? `.bias_${v.bias}` : ''}${v.scale ? `.scale_${v.scale}` : ''}${v.residual ? '.res' : ''}.${v.act}`;
  a.gpu.dispatch({
    label: `${op}.${key}`,
    code: wgsl(v),
    params: [M, N, K, s.strideA, s.strideB, M * N],
    bindings,
    workgroups: [Math.ceil(N / (TN * WG)), Math.ceil(M / (TM * WG)), batch],
  });
  return out;
}

/**
 * x · Wᵀ (+ bias, act, scale, residual) with W in PyTorch's Linear layout [out, in].
 * x is [..., in]; every leading dim folds into M, so the weight is read once per tile.
 */
export function linear(x: Tensor, weight: Tensor, epilogue: GemmEpilogue = {}): Tensor {
  const [N, K] = checkRank('linear', 'weight', weight, 2);
  const xs = checkRank('linear', 'x', x, [1, 2, 3, 4]);
  if (xs[xs.length - 1] !== K) throw new ShapeError(`linear: x ${fmtShape(xs)} has ${xs[xs.length - 1]} features, weight ${fmtShape(weight.shape)} takes ${K}`);
  const M = x.size / K;
  return gemm({ a: x, b: weight, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [...xs.slice(0, -1), N], label: 'linear', ...epilogue });
}

/**
 * a · b for a [..., M, K] and b [K, N] (shared) or [..., K, N] (batched like a); the projection
 * matrices `proj` / `projection_layer` are this [in, out] layout.
 */
export function matmul(a: Tensor, b: Tensor, epilogue: GemmEpilogue = {}): Tensor {
  const as = checkRank('matmul', 'a', a, [2, 3, 4]);
  const bs = checkRank('matmul', 'b', b, [2, 3, 4]);
  const [M, K] = as.slice(-2);
  const [Kb, N] = bs.slice(-2);
  if (K !== Kb) throw new ShapeError(`matmul: a ${fmtShape(as)} and b ${fmtShape(bs)} have inner sizes ${K} and ${Kb}`);
  const batch = a.size / (M * K);
  const bBatch = b.size / (K * N);
  if (bBatch !== 1 && bBatch !== batch) throw new ShapeError(`matmul: b ${fmtShape(bs)} is neither shared nor batched like a ${fmtShape(as)}`);
  return gemm({
    a, b, bLayout: 'kn', M, N, K, batch,
    strideA: M * K, strideB: bBatch === 1 ? 0 : K * N,
    outShape: [...as.slice(0, -1), N], label: 'matmul', ...epilogue,
  });
}

export interface GemmRefSpec {
  a: Float32Array;
  b: Float32Array;
  bLayout: BLayout;
  M: number;
  N: number;
  K: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  bias?: Float32Array;
  biasAlong?: Along;
  act?: Activation;
  scale?: Float32Array;
  scaleAlong?: Along;
  residual?: Float32Array;
}

/** The plain reference: float64 accumulation. */
export function gemmRef(s: GemmRefSpec): Float32Array {
  const batch = s.batch ?? 1;
  const { M, N, K } = s;
  const f = activationRef(s.act ?? 'none');
  const out = new Float32Array(batch * M * N);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * (s.strideA ?? 0);
    const bo = bt * (s.strideB ?? 0);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const bv = s.bLayout === 'nk' ? s.b[bo + n * K + k] : s.b[bo + k * N + n];
          acc += s.a[ao + m * K + k] * bv;
        }
        if (s.bias) acc += s.bias[(s.biasAlong ?? 'n') === 'n' ? n : m];
        acc = f(acc);
        if (s.scale) acc *= s.scale[(s.scaleAlong ?? 'n') === 'n' ? n : m];
        const o = bt * M * N + m * N + n;
        if (s.residual) acc += s.residual[o];
        out[o] = acc;
      }
    }
  }
  return out;
}
