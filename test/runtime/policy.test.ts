/**
 * The kernel policy (src/backends/webgpu/policy.ts): derived from the adapter and gpu.tuning, forced with
 * gpu.withPolicy, and followed by every kernel family: each forced path records the kernel it
 * names and gives the reference's result.
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { recordedKernels } from '../helpers/recorded.js';
import { type KernelPolicy, checkPolicy, describePolicy, kernelPolicy } from '../../src/backends/webgpu/policy.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { gemm, gemmRef, linear } from '../../src/ops/index.js';
import { conv2d, conv2dRef } from '../../src/ops/index.js';
import { softmax, softmaxRef } from '../../src/ops/index.js';
import { attention, attentionRef, packQkv, splitHeads } from '../../src/ops/index.js';
import { layerNorm, layerNormRef } from '../../src/ops/index.js';

const g = useGpu();

/** Runs `build` under `policy`, returning the result and the kernels it recorded. */
const recorded = (policy: Partial<KernelPolicy>, build: () => Tensor) => recordedKernels(g.gpu, () => g.gpu.withPolicy(policy, build));

describe('kernel policy', () => {
  it('is derived from the adapter facts and gpu.tuning, and printed in one line', () => {
    const gpu = g.gpu;
    const sg = gpu.info.subgroupSize ?? 0;
    expect(gpu.policy).toEqual(kernelPolicy(gpu.info, gpu.tuning));
    expect(gpu.policy.gemmSubgroupSize).toBe(sg);
    gpu.tuning.subgroupGemm = false;
    try {
      expect(gpu.policy.gemmSubgroupSize).toBe(0);
      expect(gpu.policy.im2colMaxBytes).toBe(gpu.policy.gemmWorkgroupTiles ? 2 ** 26 : 0); // the column matrix pays only with a fast GEMM
    } finally {
      gpu.tuning.subgroupGemm = true;
    }
    const line = describePolicy(gpu.policy);
    console.log(`policy: ${line}`);
    expect(line).toMatch(/^gemm=\S+ epilogue=\S+ im2col=\S+( MiB)? depthwise=\S+ reductions=\S+ softmax=\S+ attention=.+$/);
  });

  it('refuses a forced subgroup size the adapter does not have, and restores the policy after a throw', () => {
    const gpu = g.gpu;
    const before = gpu.policy;
    const other = (gpu.info.subgroupSize ?? 0) === 32 ? 16 : 32;
    expect(() => gpu.withPolicy({ gemmSubgroupSize: other }, () => 0)).toThrow(/policy: gemmSubgroupSize = \d+ but/);
    expect(() => gpu.withPolicy({ gemmSubgroupSize: 0 }, () => { throw new Error('inside'); })).toThrow('inside');
    expect(gpu.policy).toEqual(before);
  });

  it('refuses a forced tiled GEMM where the adapter limits its workgroup', () => {
    const gpu = g.gpu;
    const forced = { ...gpu.policy, gemmWorkgroupTiles: true };
    expect(() => checkPolicy(gpu.info, forced)).not.toThrow(); // WebGPU's default limits allow it
    const small = { ...gpu.info, maxComputeWorkgroupStorageSize: 4096 };
    expect(() => checkPolicy(small, forced)).toThrow(/policy: the tiled GEMM needs 256 invocations and 8192 bytes of workgroup memory; .* allows \d+ and 4096/);
  });

  const sg = () => g.gpu.info.subgroupSize ?? 0;

  it('GEMM: the subgroup and the blocked kernel as forced', async (ctx) => {
    if (!sg()) return ctx.skip();
    const [M, N, K] = [13, 36, 20];
    const a = randn(M * K, 1), w = randn(N * K, 2);
    const ref = gemmRef({ a, b: w, bLayout: 'nk', M, N, K });
    for (const [gemmSubgroupSize, label] of [[sg(), `.sg${sg()}.`], [0, 'linear.nk']] as const) {
      const r = await recorded({ gemmSubgroupSize }, () => linear(g.gpu.upload(a, [M, K]), g.gpu.upload(w, [N, K])));
      expect(r.kernels.some((k) => k.includes(label))).toBe(true);
      expectClose(`gemm ${label}`, r.out, ref, { rel: 1e-5 });
    }
  });

  // Odd sizes spanning 2×2 output tiles and three K steps (the last partial), batched with strides.
  it('GEMM: the workgroup-tiled kernel as forced, both layouts, batched, with epilogues', async () => {
    const [M, N, K, batch] = [70, 67, 37, 2];
    expect(g.gpu.policy.gemmWorkgroupTiles).toBe(!g.gpu.info.isSoftware);
    const a = randn(batch * M * K, 11), b = randn(batch * N * K, 12);
    const bias = randn(N, 13), scale = randn(M, 14), residual = randn(batch * M * N, 15);
    for (const bLayout of ['nk', 'kn'] as const) {
      for (const epi of [{}, { bias, act: 'gelu' as const, scale, residual }]) {
        const ref = gemmRef({ a, b, bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, ...epi, biasAlong: 'n', scaleAlong: 'm' });
        const up = (x: Float32Array | undefined, shape: number[]) => (x ? g.gpu.upload(x, shape) : undefined);
        const r = await recorded({ gemmWorkgroupTiles: true }, () => gemm({
          a: g.gpu.upload(a, [batch, M, K]), b: g.gpu.upload(b, [batch, N * K]), bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, outShape: [batch, M, N],
          bias: up(epi.bias, [N]), biasAlong: 'n', act: epi.act, scale: up(epi.scale, [M]), scaleAlong: 'm', residual: up(epi.residual, [batch, M, N]),
        }));
        // plain: −0 bias and residual, unit scale along the layout's axis (canonicalEpilogue)
        const plain = bLayout === 'kn' ? '.bias_m.scale_m.res.none' : '.bias_n.scale_n.res.none';
        expect(r.kernels).toEqual([`gemm.tiled64.${bLayout}${epi.bias ? '.bias_n.scale_m.res.gelu' : plain}`]);
        expectClose(`tiled gemm ${bLayout} ${epi.bias ? 'epilogue' : 'plain'}`, r.out, ref, { rel: 1e-5 });
      }
    }
  });

  // 16×16 outputs: 16 tiles of 4×4 per channel plane, whole subgroups for the tile kernel
  it('conv: im2col + GEMM, depthwise tiles and the direct kernel as forced', async (ctx) => {
    if (!sg()) return ctx.skip();
    const x = randn(2 * 8 * 16 * 16, 3), dense = randn(16 * 8 * 9, 4), dw = randn(8 * 9, 5);
    const denseRef = conv2dRef(x, [2, 8, 16, 16], dense, [16, 8, 3, 3], { padding: 1 }).out;
    const dwRef = conv2dRef(x, [2, 8, 16, 16], dw, [8, 1, 3, 3], { padding: 1, groups: 8 }).out;
    const run = (w: Float32Array, shape: number[], groups: number) => () => conv2d(g.gpu.upload(x, [2, 8, 16, 16]), g.gpu.upload(w, shape), { padding: 1, groups });
    const im2col = await recorded({ im2colMaxBytes: 2 ** 26 }, run(dense, [16, 8, 3, 3], 1));
    expect(im2col.kernels).toContain('im2col.k3x3');
    expectClose('im2col conv', im2col.out, denseRef, { rel: 1e-5 });
    const direct = await recorded({ im2colMaxBytes: 0 }, run(dense, [16, 8, 3, 3], 1));
    expect(direct.kernels.some((k) => k.startsWith('conv2d.k3x3'))).toBe(true);
    expectClose('direct conv', direct.out, denseRef, { rel: 1e-5 });
    const tiles = await recorded({ depthwiseTileSubgroup: sg() }, run(dw, [8, 1, 3, 3], 8));
    expect(tiles.kernels.some((k) => k.startsWith('conv2d.dw4x4'))).toBe(true);
    expectClose('depthwise tiles', tiles.out, dwRef, { rel: 1e-5 });
    const dwDirect = await recorded({ depthwiseTileSubgroup: 0 }, run(dw, [8, 1, 3, 3], 8));
    expect(dwDirect.kernels.some((k) => k.startsWith('conv2d.k3x3'))).toBe(true);
    expectClose('depthwise direct', dwDirect.out, dwRef, { rel: 1e-5 });
  });

  it('softmax: one row per invocation and one workgroup per row as forced', async () => {
    const x = randn(7 * 33, 6, 3);
    const ref = softmaxRef(x, 33);
    const sgLabel = g.gpu.policy.reductionSubgroup ? `.sg${g.gpu.policy.reductionSubgroup}` : '';
    for (const [upTo, label] of [[128, 'softmax.rows'], [0, `softmax${sgLabel}`]] as const) {
      const r = await recorded({ softmaxRowPerInvocationUpTo: upTo }, () => softmax(g.gpu.upload(x, [7, 33])));
      expect(r.kernels).toEqual([label]);
      expectClose(label, r.out, ref, { rel: 1e-6 });
    }
  });

  it('row reductions (layer norm): one subgroup per row and the 64-invocation workgroup as forced', async (ctx) => {
    if (!sg()) return ctx.skip();
    const d = 75;
    const x = randn(6 * d, 21), w = randn(d, 22), b = randn(d, 23);
    const ref = layerNormRef(x, d, w, b);
    for (const [lanes, label] of [[sg(), `layer_norm.sg${sg()}`], [0, 'layer_norm']] as const) {
      const r = await recorded({ reductionSubgroup: lanes }, () => layerNorm(g.gpu.upload(x, [6, d]), g.gpu.upload(w, [d]), g.gpu.upload(b, [d])));
      expect(r.kernels).toEqual([label]);
      expectClose(label, r.out, ref, { rel: 1e-6 });
    }
  });

  it('attention: the fused kernel and the GEMM decomposition as forced', async () => {
    const dims = [2, 3, 9, 8];
    const [q, k, v] = [7, 8, 9].map((s) => randn(dims.reduce((a, b) => a * b), s));
    const ref = attentionRef(q, k, v, dims);
    const qkv = packQkv(q, k, v, dims);
    for (const [from, label] of [[Infinity, 'attention.hd8'], [0, 'attention.split_heads']] as const) {
      const r = await recorded({ attentionGemmFromTokens: from }, () => attention(g.gpu.upload(qkv, [2, 9, 3 * 3 * 8]), { heads: 3 }));
      expect(r.kernels).toContain(label);
      expectClose(label, splitHeads(r.out, dims), ref, { rel: 1e-5 });
    }
  });
});
