/**
 * f16 storage: every kernel family with f16 tensors against its reference (the declared interface
 * that stores them is tested in test/runtime/kernel.test.ts).
 * Inputs are rounded to f16 on the host first, so they are exact on both sides; the kernels do
 * their arithmetic in f32 and round once when storing, so a single-pass kernel is within f16's
 * unit roundoff of the result: 2⁻¹¹ ≈ 4.9e-4 of |y| ≤ 4.9e-4·max|ref|. Bound: 6e-4·max|ref|.
 * Multi-pass ops store intermediates in f16 too (SE's gate, attention's q/k/v and probabilities):
 * a few roundings, bound 2e-3.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { fromF16Bits, toF16Bits } from '../../src/runtime/dtype.js';
import { gemm, gemmRef } from '../../src/ops/index.js';
import { conv2d, conv2dRef } from '../../src/ops/index.js';
import { layerNorm, layerNormRef } from '../../src/ops/index.js';
import { softmax, softmaxRef } from '../../src/ops/index.js';
import { l2Normalize, l2NormalizeRef } from '../../src/ops/index.js';
import { globalAvgPool, globalAvgPoolRef } from '../../src/ops/index.js';
import { channelAffine, channelAffineRef } from '../../src/ops/index.js';
import { unary, unaryRef } from '../../src/ops/index.js';
import { attentionRef, packQkv, splitHeads } from '../../src/ops/index.js';
import { attentionFused } from '../../src/backends/webgpu/kernels/attention.js';
import { attentionViaGemm } from '../../src/backends/webgpu/kernels/attention-gemm.js';
import { embedding, embeddingRef } from '../../src/ops/index.js';
import { gatherArgmax, gatherArgmaxRef } from '../../src/ops/index.js';
import { transposeLast2, transposeLast2Ref } from '../../src/ops/index.js';
import { squeezeExcite, squeezeExciteRef } from '../../src/ops/index.js';
import type { Tensor } from '../../src/runtime/tensor.js';

const g = useGpu();
beforeEach((ctx) => {
  if (g.gpu.features.shaderF16) return;
  // Not a silent skip: say so. Lavapipe and current GPUs have shader-f16.
  console.warn(`f16: adapter ${g.gpu.info.description} has no shader-f16; f16 tests not run`);
  ctx.skip();
});
const ONE_PASS = 6e-4;
const MULTI_PASS = 2e-3;
let seed = 900;
/** Random values already representable in f16. */
const half = (n: number, scale = 1) => fromF16Bits(toF16Bits(randn(n, seed++, scale)));
const up16 = (x: Float32Array, shape: number[]): Tensor => g.gpu.upload(x, shape, 'f16');

describe('kernels on f16 tensors vs reference', () => {
  afterEach(() => {
    g.gpu.tuning.subgroupGemm = g.gpu.tuning.im2colConv = g.gpu.tuning.depthwiseTiles = true;
  });

  for (const kernel of ['subgroup', 'blocked'] as const) {
    for (const bLayout of ['nk', 'kn'] as const) {
      it(`gemm (${kernel}, ${bLayout}) + bias + gelu · scale + residual`, async () => {
        g.gpu.tuning.subgroupGemm = kernel === 'subgroup';
        const [M, N, K] = [21, 36, 20];
        const [a, b, bias, scale, res] = [half(M * K), half(N * K), half(N), half(N), half(M * N)];
        const y = gemm({
          a: up16(a, [M, K]), b: up16(b, [b.length]), bLayout, M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N],
          bias: up16(bias, [N]), act: 'gelu', scale: up16(scale, [N]), residual: up16(res, [M, N]),
        });
        expect(y.dtype).toBe('f16');
        expectClose('gemm f16', await y.readFloat(), gemmRef({ a, b, bLayout, M, N, K, bias, act: 'gelu', scale, residual: res }), { rel: ONE_PASS });
      });
    }
  }

  const convs = [
    { name: 'dense 3×3 s2 (im2col + GEMM)', x: [2, 3, 16, 12], w: [8, 3, 3, 3], stride: 2, padding: 1, groups: 1 },
    { name: 'depthwise 7×7 (tiles)', x: [1, 4, 16, 8], w: [4, 1, 7, 7], stride: 1, padding: 3, groups: 4 },
    { name: 'depthwise 7×7 s2 (direct)', x: [1, 4, 13, 11], w: [4, 1, 7, 7], stride: 2, padding: 3, groups: 4 },
    { name: '1×1 (GEMM)', x: [2, 12, 5, 4], w: [20, 12, 1, 1], stride: 1, padding: 0, groups: 1 },
  ];
  for (const c of convs) {
    it(`conv2d ${c.name} + bias + gelu`, async () => {
      const x = half(c.x.reduce((p, q) => p * q));
      const w = half(c.w.reduce((p, q) => p * q), 0.3);
      const bias = half(c.w[0]);
      const opts = { stride: c.stride, padding: c.padding, groups: c.groups, act: 'gelu' as const };
      const y = conv2d(up16(x, c.x), up16(w, c.w), { ...opts, bias: up16(bias, [bias.length]) });
      expect(y.dtype).toBe('f16');
      expectClose(c.name, await y.readFloat(), conv2dRef(x, c.x, w, c.w, { ...opts, bias }).out, { rel: ONE_PASS });
    });
  }

  it('layerNorm, softmax, l2Normalize, GELU, pool, channel affine, transpose', async () => {
    const [rows, d] = [13, 97];
    const x = half(rows * d, 2);
    const [w, b] = [half(d), half(d)];
    const t = up16(x, [rows, d]);
    expectClose('layerNorm f16', await layerNorm(t, up16(w, [d]), up16(b, [d])).readFloat(), layerNormRef(x, d, w, b), { rel: ONE_PASS });
    expectClose('softmax f16', await softmax(t).readFloat(), softmaxRef(x, d), { rel: ONE_PASS });
    expectClose('l2Normalize f16', await l2Normalize(t).readFloat(), l2NormalizeRef(x, d), { rel: ONE_PASS });
    expectClose('gelu f16', await unary(t, 'gelu').readFloat(), unaryRef(x, 'gelu'), { rel: ONE_PASS });
    expectClose('transpose f16', await transposeLast2(t).readFloat(), transposeLast2Ref(x, [1, rows, d]), { rel: 0 });
    const shape = [2, 5, 7, 3];
    const m = half(210);
    const [s, sh] = [half(5), half(5)];
    expectClose('pool f16', await globalAvgPool(up16(m, shape)).readFloat(), globalAvgPoolRef(m, shape), { rel: ONE_PASS });
    const y = channelAffine(up16(m, shape), up16(s, [5]), { shift: up16(sh, [5]) });
    expectClose('channel affine f16', await y.readFloat(), channelAffineRef(m, 21, s, sh), { rel: ONE_PASS });
  });

  it('squeeze-excite (gate stored in f16)', async () => {
    const shape = [2, 16, 5, 7];
    const x = half(2 * 16 * 35);
    const w = { reduceWeight: half(4 * 16, 0.5), reduceBias: half(4), expandWeight: half(16 * 4, 0.5), expandBias: half(16) };
    const y = squeezeExcite(up16(x, shape), {
      reduceWeight: up16(w.reduceWeight, [4, 16, 1, 1]), reduceBias: up16(w.reduceBias, [4]),
      expandWeight: up16(w.expandWeight, [16, 4, 1, 1]), expandBias: up16(w.expandBias, [16]),
    });
    expectClose('squeezeExcite f16', await y.readFloat(), squeezeExciteRef(x, shape, w), { rel: MULTI_PASS });
  });

  for (const causal of [false, true]) {
    it(`attention, fused and via GEMMs${causal ? ', causal' : ''}`, async () => {
      const shape = [2, 3, 37, 16];
      const size = shape.reduce((p, q) => p * q);
      const [q, k, v] = [half(size), half(size), half(size)];
      const qkv = up16(packQkv(q, k, v, shape), [2, 37, 3 * 48]);
      const ref = attentionRef(q, k, v, shape, causal);
      expectClose('attention fused f16', splitHeads(await attentionFused(qkv, { heads: 3, causal }).readFloat(), shape), ref, { rel: ONE_PASS });
      expectClose('attention via GEMM f16', splitHeads(await attentionViaGemm(qkv, { heads: 3, causal }).readFloat(), shape), ref, { rel: MULTI_PASS });
    });
  }

  it('embedding table and EOT gather in f16 are exact copies', async () => {
    const [vocab, d] = [50, 12];
    const table = half(vocab * d);
    const ids = Int32Array.from([0, 49, 3, 3, 17, 8]);
    const e = embedding(up16(table, [vocab, d]), ids, [2, 3]);
    expect(e.dtype).toBe('f16');
    expectClose('embedding f16', await e.readFloat(), embeddingRef(table, d, ids), { rel: 0 });
    const x = half(2 * 3 * d);
    const ends = Int32Array.from([1, 9, 2, 7, 7, 0]);
    const y = gatherArgmax(up16(x, [2, 3, d]), g.gpu.upload(ends, [2, 3]));
    expectClose('gatherArgmax f16', await y.readFloat(), gatherArgmaxRef(x, ends, [2, 3, d]), { rel: 0 });
  });
});
