/**
 * out[b] = act(A[b] · op(B[b]) + bias) · scale + residual[b] on the CPU.
 *
 * With WebAssembly SIMD (wasm-kernels.ts): A is packed into 4-row panels and B into 8-column
 * panels (zero-padded to whole panels) in the kernels' memory, the 4×8-tile kernel computes the
 * product and the epilogue kernel its bias, activation, scale and residual, all in float32 as the
 * GPU does. A weight (a kept tensor: the model's, shared by every batch) is packed once and its
 * panels stay in the kernels' memory (resident.ts); activations are packed per call.
 * Without SIMD: "nk" (B = [N, K], a Linear weight) as dot products of contiguous K-rows, "kn" as
 * axpy rows, accumulated in float64.
 * Cost: 2·M·N·K flops per batch.
 */
import type { GemmSpec } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { CpuBackend } from './cpu-backend.js';
import { ACTIVATE } from './activation.js';
import { type GemmEpilogueAt, wasmKernels } from './wasm-kernels.js';
import { countFlops } from './flop-count.js';

const round = (n: number, to: number) => Math.ceil(n / to) * to;

export function gemm(s: GemmSpec): Tensor {
  const out = (s.a.backend as CpuBackend).uninitialized(s.outShape, s.label ?? 'gemm'); // every row is copied out
  countFlops(out, 2 * s.M * s.N * s.K * s.batch);
  if (wasmKernels()) gemmPacked(s, out.storage as Float32Array);
  else gemmJs(s, out.storage as Float32Array);
  return out;
}

/** A kept tensor (a weight, shared by every call): its packed panels stay in the kernels' memory. */
const isKept = (t: Tensor) => (t.base ?? t).kept;

/** A [M, K] rows (from `at`) as 4-row panels [Mp/4][K][4] into `p` from `to` (rows past M zero). */
function packA(a: Float32Array, at: number, M: number, K: number, p: Float32Array = new Float32Array(round(M, 4) * K), to = 0): Float32Array {
  const Mp = round(M, 4);
  if (M < Mp) p.fill(0, to + (Mp / 4 - 1) * K * 4, to + Mp * K); // the last panel's missing rows
  for (let i = 0; i < Mp / 4; i++) {
    for (let r = 0; r < 4 && 4 * i + r < M; r++) {
      const src = at + (4 * i + r) * K;
      let d = to + i * K * 4 + r;
      for (let k = 0; k < K; k++, d += 4) p[d] = a[src + k];
    }
  }
  return p;
}

/** B ([K, N] for "kn", [N, K] for "nk", from `at`) as 8-column panels [Np/8][K][8], columns past N zero. */
function packB(b: Float32Array, at: number, K: number, N: number, layout: 'kn' | 'nk'): Float32Array {
  const Np = round(N, 8);
  const p = new Float32Array(Np * K);
  for (let j = 0; j < Np / 8; j++) {
    const cols = Math.min(8, N - 8 * j);
    const panel = j * K * 8;
    if (layout === 'kn') {
      for (let k = 0; k < K; k++) {
        const src = at + k * N + 8 * j;
        const d = panel + k * 8;
        for (let c = 0; c < cols; c++) p[d + c] = b[src + c];
      }
    } else {
      for (let c = 0; c < cols; c++) {
        const src = at + (8 * j + c) * K;
        for (let k = 0; k < K; k++) p[panel + k * 8 + c] = b[src + k];
      }
    }
  }
  return p;
}

function gemmPacked(s: GemmSpec, y: Float32Array): void {
  const kernels = wasmKernels()!;
  const { M, N, K, batch } = s;
  const [Mp, Np] = [round(M, 4), round(N, 8)];
  const a = s.a.storage as Float32Array;
  const b = s.b.storage as Float32Array;
  // A weight operand (kept, the same for every batch) is packed once and stays resident (-1: none).
  const aResident = s.strideA === 0 && isKept(s.a) ? kernels.resident.get(a, `A${M}x${K}`, () => packA(a, 0, M, K)) : -1;
  const bResident = s.strideB === 0 && isKept(s.b) ? kernels.resident.get(b, `B${s.bLayout}${K}x${N}`, () => packB(b, 0, K, N, s.bLayout)) : -1;
  // An activation B [K, N] is packed by the kernels: from where it lies in their memory, else from a copy.
  const packInWasm = bResident < 0 && s.bLayout === 'kn';
  const bIn = packInWasm ? kernels.offsetOf(b) : -1;
  const bOnce = s.strideB === 0 && bResident < 0 && !packInWasm ? packB(b, 0, K, N, s.bLayout) : null;
  // The output in the kernels' memory with rows of whole panels: C's whole 4-row panels go straight
  // into it, and a residual there is read in place (laid out like C).
  const yIn = kernels.offsetOf(y);
  const direct = yIn >= 0 && N === Np;
  const residual = s.residual?.storage as Float32Array | undefined;
  const resIn = direct && residual ? kernels.offsetOf(residual) : -1;
  const biasN = (s.biasAlong ?? 'n') === 'n';
  const scaleN = (s.scaleAlong ?? 'n') === 'n';
  // Scratch, from kernels.scratchAt: packed A and B (unless resident), C (its last panel where
  // the rest goes straight to the output), the bias and scale vectors, the residual laid out like
  // C (unless read in place), B as it is (unless in the kernels' memory).
  let top = kernels.scratchAt;
  const take = (floats: number) => (top += floats) - floats;
  const aAt = aResident >= 0 ? aResident : take(Mp * K);
  const bAt = bResident >= 0 ? bResident : take(Np * K);
  const cAt = take(direct ? 4 * Np : Mp * Np);
  const biasAt = s.bias ? take(Math.max(Mp, Np)) : -1;
  const scaleAt = s.scale ? take(Math.max(Mp, Np)) : -1;
  const resAt = residual && resIn < 0 ? take(Mp * Np) : -1;
  const rawAt = packInWasm && bIn < 0 ? take(K * N) : -1;
  const mem = kernels.floats(top);
  if (s.bias) mem.set(s.bias.storage as Float32Array, biasAt);
  if (s.scale) mem.set(s.scale.storage as Float32Array, scaleAt);
  const act = s.act ?? 'none';
  const epilogue = !!(s.bias || s.scale || residual || act !== 'none');
  /** The epilogue of rows [r0, r0 + rows) of this batch's C, the residual's rows at `res`. */
  const epi = (r0: number, rows: number, res: number): GemmEpilogueAt | undefined =>
    epilogue ? { rows, bias: biasAt < 0 || biasN ? biasAt : biasAt + r0, biasN, act, scale: scaleAt < 0 || scaleN ? scaleAt : scaleAt + r0, scaleN, residual: res < 0 ? -1 : res + r0 * Np } : undefined;
  for (let bt = 0; bt < batch; bt++) {
    if (aResident < 0 && (bt === 0 || s.strideA !== 0)) packA(a, bt * s.strideA, M, K, mem, aAt);
    if (packInWasm) {
      if (bt === 0 || s.strideB !== 0) {
        if (N !== Np) mem.fill(0, bAt, bAt + Np * K); // the last panel's missing columns
        if (bIn >= 0) kernels.packBkn(bIn + bt * s.strideB, bAt, K, N);
        else {
          mem.set(b.subarray(bt * s.strideB, bt * s.strideB + K * N), rawAt);
          kernels.packBkn(rawAt, bAt, K, N);
        }
      }
    } else if (bResident < 0 && (bt === 0 || !bOnce)) mem.set(bOnce ?? packB(b, bt * s.strideB, K, N, s.bLayout), bAt);
    const yo = bt * M * N;
    if (resAt >= 0) copyRows(residual!, yo, N, mem, resAt, Np, M);
    const res = resIn >= 0 ? resIn + yo : resAt;
    if (!direct) {
      kernels.gemm4x8(aAt, bAt, cAt, Mp / 4, Np / 8, K, epi(0, M, res));
      copyRows(mem, cAt, Np, y, yo, N, M);
      continue;
    }
    const whole = M >> 2; // 4-row panels wholly inside the output
    if (whole > 0) kernels.gemm4x8(aAt, bAt, yIn + yo, whole, Np / 8, K, epi(0, 4 * whole, res));
    if (M > 4 * whole) {
      kernels.gemm4x8(aAt + whole * 4 * K, bAt, cAt, 1, Np / 8, K, epi(4 * whole, M - 4 * whole, res));
      mem.copyWithin(yIn + yo + 4 * whole * N, cAt, cAt + (M - 4 * whole) * N);
    }
  }
}

/** `rows` rows of `n` values from src (rows `srcStride` apart) to dst (rows `dstStride` apart): one copy when both are contiguous. */
function copyRows(src: Float32Array, srcAt: number, srcStride: number, dst: Float32Array, dstAt: number, dstStride: number, rows: number): void {
  const n = Math.min(srcStride, dstStride);
  if (srcStride === dstStride) {
    dst.set(src.subarray(srcAt, srcAt + rows * n), dstAt);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(srcAt + r * srcStride, srcAt + r * srcStride + n), dstAt + r * dstStride);
}

function gemmJs(s: GemmSpec, y: Float32Array): void {
  const { M, N, K, batch } = s;
  const a = s.a.storage as Float32Array;
  const b = s.b.storage as Float32Array;
  const acc = new Float64Array(N);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * s.strideA;
    const bo = bt * s.strideB;
    for (let m = 0; m < M; m++) {
      const ar = ao + m * K;
      if (s.bLayout === 'nk') {
        for (let n = 0; n < N; n++) {
          const br = bo + n * K;
          let sum = 0;
          for (let k = 0; k < K; k++) sum += a[ar + k] * b[br + k];
          acc[n] = sum;
        }
      } else {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const av = a[ar + k];
          const br = bo + k * N;
          for (let n = 0; n < N; n++) acc[n] += av * b[br + n];
        }
      }
      epilogue(s, acc, 0, y, bt * M * N + m * N, m, N);
    }
  }
}

/**
 * bias, activation, scale, residual for one output row (row m: N sums from src[from]) — in that
 * order, as the GPU's epilogue, each step rounded to float32 where the GPU stores or rounds.
 */
function epilogue(s: GemmSpec, src: ArrayLike<number>, from: number, y: Float32Array, at: number, m: number, N: number): void {
  const bias = s.bias?.storage as Float32Array | undefined;
  const scale = s.scale?.storage as Float32Array | undefined;
  const residual = s.residual?.storage as Float32Array | undefined;
  const f = ACTIVATE[s.act ?? 'none'];
  const biasN = (s.biasAlong ?? 'n') === 'n';
  const scaleN = (s.scaleAlong ?? 'n') === 'n';
  if (!bias && !f && !scale && !residual) {
    for (let n = 0; n < N; n++) y[at + n] = src[from + n];
    return;
  }
  for (let n = 0; n < N; n++) {
    let v = Math.fround(src[from + n]);
    if (bias) v = Math.fround(v + bias[biasN ? n : m]);
    if (f) v = Math.fround(f(v));
    if (scale) v = Math.fround(v * scale[scaleN ? n : m]);
    if (residual) v += residual[at + n];
    y[at + n] = v;
  }
}
