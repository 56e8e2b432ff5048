/**
 * out[b] = act(A[b] · op(B[b]) + bias) · scale + residual[b] on the CPU.
 * "nk" (B = [N, K], a Linear weight): each output is a dot product of two contiguous K-rows.
 * "kn" (B = [K, N]): each row of A scales rows of B into the output row (axpy along N).
 * Cost: 2·M·N·K flops per batch.
 */
import type { GemmSpec } from '../../runtime/backend-ops.js';
import type { Tensor } from '../../runtime/tensor.js';
import { ACTIVATE } from './activation.js';

export function gemm(s: GemmSpec): Tensor {
  const { M, N, K, batch } = s;
  const a = s.a.storage as Float32Array;
  const b = s.b.storage as Float32Array;
  const out = s.a.backend.empty(s.outShape, 'f32', s.label ?? 'gemm');
  const y = out.storage as Float32Array;
  const acc = new Float64Array(N);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * s.strideA;
    const bo = bt * s.strideB;
    const yo = bt * M * N;
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
          if (av === 0) continue;
          const br = bo + k * N;
          for (let n = 0; n < N; n++) acc[n] += av * b[br + n];
        }
      }
      epilogue(s, acc, y, yo + m * N, m, N);
    }
  }
  return out;
}

/** bias, activation, scale, residual for one output row (row m, N values) — in that order, as the GPU's epilogue. */
function epilogue(s: GemmSpec, acc: Float64Array, y: Float32Array, at: number, m: number, N: number): void {
  const bias = s.bias?.storage as Float32Array | undefined;
  const scale = s.scale?.storage as Float32Array | undefined;
  const residual = s.residual?.storage as Float32Array | undefined;
  const f = ACTIVATE[s.act ?? 'none'];
  const biasN = (s.biasAlong ?? 'n') === 'n';
  const scaleN = (s.scaleAlong ?? 'n') === 'n';
  for (let n = 0; n < N; n++) {
    // Rounded to float32 where the GPU stores or would round: the product, then each step.
    let v = Math.fround(acc[n]);
    if (bias) v = Math.fround(v + bias[biasN ? n : m]);
    if (f) v = Math.fround(f(v));
    if (scale) v = Math.fround(v * scale[scaleN ? n : m]);
    if (residual) v += residual[at + n];
    y[at + n] = v;
  }
}
