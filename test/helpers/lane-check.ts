/**
 * Run in a child process (test/runtime/lanes.test.ts) on an adapter whose subgroup width the
 * environment set (lavapipe's LP_NATIVE_VECTOR_WIDTH): the kernels parametrised by the subgroup
 * size — the subgroup GEMM in every layout, the depthwise tiles and LayerNorm — against their references at
 * that size. Prints one JSON line: the probed size and each case's comparison.
 */
import { createGpu } from '../../src/backends/webgpu/node.js';
import { diff } from '../../src/parity/compare.js';
import { gemm, gemmRef } from '../../src/ops/index.js';
import { conv2d, conv2dRef } from '../../src/ops/index.js';
import { layerNorm, layerNormRef } from '../../src/ops/index.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { randn } from './random.js';
import { recordedKernels } from './recorded.js';

const gpu = await createGpu();
const S = gpu.info.subgroupSize ?? 0;
const cases: { name: string; kernels: string[]; maxAbs: number; maxRef: number }[] = [];
async function check(name: string, build: () => Tensor, ref: Float32Array): Promise<void> {
  const { out, kernels } = await recordedKernels(gpu, build);
  const d = diff(out, ref);
  cases.push({ name, kernels, maxAbs: d.maxAbs, maxRef: d.maxRef });
}
if (S) {
  // Odd M (a partial row block), N a multiple of 4 for "kn", K both a multiple of 4 and not.
  for (const [bLayout, K] of [['nk', 40], ['nk', 27], ['kn', 40], ['kn', 27]] as const) {
    const [M, N, batch] = [37, 68, 2];
    const a = randn(batch * M * K, 1), b = randn(batch * N * K, 2), bias = randn(M, 3), residual = randn(batch * M * N, 4);
    const ref = gemmRef({ a, b, bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, bias, biasAlong: 'm', act: 'gelu', residual });
    await check(`gemm ${bLayout} K=${K}`, () => gemm({
      a: gpu.upload(a, [batch, M, K]), b: gpu.upload(b, [batch, N * K]), bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, outShape: [batch, M, N],
      bias: gpu.upload(bias, [M]), biasAlong: 'm', act: 'gelu', residual: gpu.upload(residual, [batch, M, N]),
    }), ref);
  }
  // 32×32 outputs: 64 tiles of 4×4 per plane, whole subgroups of any size up to 64.
  for (const k of [3, 7]) {
    const [n, c, h] = [2, 6, 32];
    const x = randn(n * c * h * h, 5), w = randn(c * k * k, 6), bias = randn(c, 7);
    const ref = conv2dRef(x, [n, c, h, h], w, [c, 1, k, k], { padding: (k - 1) / 2, groups: c, bias }).out;
    await check(`depthwise ${k}×${k}`, () => conv2d(gpu.upload(x, [n, c, h, h]), gpu.upload(w, [c, 1, k, k]), { padding: (k - 1) / 2, groups: c, bias: gpu.upload(bias, [c]) }), ref);
  }
  // A row shorter than one pass of some widths (d = 13) and a long one with a ragged last pass.
  for (const d of [13, 515]) {
    const rows = 9;
    const x = randn(rows * d, 8), w = randn(d, 9), b = randn(d, 10);
    await check(`layer_norm d=${d}`, () => layerNorm(gpu.upload(x, [rows, d]), gpu.upload(w, [d]), gpu.upload(b, [d])), layerNormRef(x, d, w, b));
  }
}
console.log(JSON.stringify({ adapter: gpu.info.description, reported: [gpu.info.subgroupMinSize, gpu.info.subgroupMaxSize], subgroupSize: S, cases }));
gpu.destroy();
