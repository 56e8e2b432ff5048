/**
 * Every kernel against its plain TypeScript reference (float64 accumulation) on several shapes,
 * including sizes that are not multiples of the workgroup or tile sizes. Bound: 1e-5·max|ref|,
 * about 20× the float32 rounding of these reductions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn, randUniform } from '../helpers/random.js';
import { diff, expectClose, fmtDiff } from '../helpers/compare.js';
import { type BLayout, gemm, gemmRef, linear, matmul } from '../../src/ops/index.js';
import { conv2d, conv2dRef } from '../../src/ops/index.js';
import { depthwiseTileColumns } from '../../src/backends/webgpu/kernels/conv2d-depthwise.js';
import type { Gpu } from '../../src/backends/webgpu/gpu.js';
import { unary, unaryRef } from '../../src/ops/index.js';
import { channelAffine, channelAffineRef } from '../../src/ops/index.js';
import { layerNorm, layerNormRef } from '../../src/ops/index.js';
import { softmax, softmaxRef } from '../../src/ops/index.js';
import { attentionRef, packQkv, splitHeads } from '../../src/ops/index.js';
import { attentionFused } from '../../src/backends/webgpu/kernels/attention.js';
import { attentionViaGemm } from '../../src/backends/webgpu/kernels/attention-gemm.js';
import { globalAvgPool, globalAvgPoolRef } from '../../src/ops/index.js';
import { l2Normalize, l2NormalizeRef } from '../../src/ops/index.js';
import { squeezeExcite, squeezeExciteRef } from '../../src/ops/index.js';
import { embedding, embeddingGather, embeddingRef } from '../../src/ops/index.js';
import { gatherArgmax, gatherArgmaxRef } from '../../src/ops/index.js';
import { cast } from '../../src/ops/index.js';
import { gelu64 } from '../../src/ops/reference-math.js';
import { batchNormRef } from '../../src/layers/batch-norm.js';
import { batchNormLayer } from '../helpers/batch-norm.js';
import { ShapeError } from '../../src/runtime/errors.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/dtype.js';
import type { Activation } from '../../src/ops/index.js';

const g = useGpu();
const REL = 1e-5;
let seed = 100;
const data = (n: number, scale = 1) => randn(n, seed++, scale);

describe('gemm / linear / matmul', () => {
  it('picks the subgroup kernel where the adapter has a probed fixed subgroup size', () => {
    const [M, N, K] = [20, 36, 8];
    gemm({ a: g.gpu.upload(data(M * K), [M, K]), b: g.gpu.upload(data(N * K), [N, K]), bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N] });
    const label = g.gpu.pendingKernels.at(-1) ?? '';
    if (g.gpu.info.subgroupSize) expect(label).toContain(`.sg${g.gpu.info.subgroupSize}.`);
    else expect(label).not.toMatch(/\.sg\d+\./);
  });

  // Both kernels run every case: the subgroup one (where the adapter allows) and the portable one.
  for (const kernel of ['subgroup', 'blocked'] as const) {
  describe(`${kernel} kernel`, () => {
  beforeEach(() => { g.gpu.tuning.subgroupGemm = kernel === 'subgroup'; });
  afterEach(() => { g.gpu.tuning.subgroupGemm = true; });
  const cases: { M: number; N: number; K: number; batch: number; bLayout: BLayout; shareA?: boolean }[] = [
    { M: 1, N: 1, K: 1, batch: 1, bLayout: 'nk' },
    { M: 3, N: 5, K: 7, batch: 1, bLayout: 'nk' },
    { M: 77, N: 96, K: 64, batch: 1, bLayout: 'nk' },
    { M: 33, N: 65, K: 129, batch: 2, bLayout: 'nk' },
    { M: 5, N: 7, K: 3, batch: 3, bLayout: 'kn' },
    { M: 64, N: 196, K: 48, batch: 2, bLayout: 'kn', shareA: true }, // 1×1 conv shape
    { M: 37, N: 49, K: 36, batch: 2, bLayout: 'kn', shareA: true }, // N not a multiple of 4
    { M: 17, N: 40, K: 21, batch: 1, bLayout: 'kn' },
    { M: 50, N: 70, K: 132, batch: 2, bLayout: 'nk' }, // N past a subgroup's 32 columns, ragged
    { M: 19, N: 100, K: 20, batch: 3, bLayout: 'kn' },
    { M: 1, N: 4, K: 4, batch: 1, bLayout: 'kn' },
    { M: 33, N: 2, K: 8, batch: 1, bLayout: 'nk' }, // N below one vec4
  ];
  for (const c of cases) {
    it(`${c.bLayout} M=${c.M} N=${c.N} K=${c.K} batch=${c.batch}${c.shareA ? ' shared A' : ''}`, async () => {
      const strideA = c.shareA ? 0 : c.M * c.K;
      const strideB = c.N * c.K;
      const a = data((c.shareA ? 1 : c.batch) * c.M * c.K);
      const b = data(c.batch * c.N * c.K);
      const got = gemm({
        a: g.gpu.upload(a, [a.length]), b: g.gpu.upload(b, [b.length]), bLayout: c.bLayout,
        M: c.M, N: c.N, K: c.K, batch: c.batch, strideA, strideB, outShape: [c.batch, c.M, c.N],
      });
      const ref = gemmRef({ a, b, bLayout: c.bLayout, M: c.M, N: c.N, K: c.K, batch: c.batch, strideA, strideB });
      expectClose('gemm', await got.readFloat(), ref, { rel: REL });
    });
  }

  const epilogues: { name: string; act: Activation; biasAlong?: 'm' | 'n'; scaleAlong?: 'm' | 'n'; residual?: boolean }[] = [
    { name: 'bias(n) + gelu', act: 'gelu', biasAlong: 'n' },
    { name: 'bias(m) + relu', act: 'relu', biasAlong: 'm' },
    { name: 'bias(n) + sigmoid', act: 'sigmoid', biasAlong: 'n' },
    { name: 'bias(n) · scale(n) + residual', act: 'none', biasAlong: 'n', scaleAlong: 'n', residual: true },
    { name: 'bias(m) + gelu · scale(m) + residual', act: 'gelu', biasAlong: 'm', scaleAlong: 'm', residual: true },
  ];
  for (const e of epilogues) {
    // N = 24: "kn" takes the subgroup kernel's vector epilogue; N = 22 the scalar one (or the blocked kernel).
    for (const [bLayout, N] of [['nk', 22], ['kn', 22], ['kn', 24]] as const) {
      it(`fused epilogue ${e.name} (${bLayout}, N=${N})`, async () => {
        const [M, K] = [19, 12];
        const a = data(M * K);
        const b = data(N * K);
        const bias = e.biasAlong ? data(e.biasAlong === 'n' ? N : M) : undefined;
        const scale = e.scaleAlong ? data(e.scaleAlong === 'n' ? N : M) : undefined;
        const residual = e.residual ? data(M * N) : undefined;
        const up = (x: Float32Array | undefined, shape: number[]) => (x ? g.gpu.upload(x, shape) : undefined);
        const got = gemm({
          a: g.gpu.upload(a, [M, K]), b: g.gpu.upload(b, [b.length]), bLayout, M, N, K, batch: 1, strideA: 0, strideB: 0,
          outShape: [M, N], act: e.act, bias: up(bias, [bias?.length ?? 0]), biasAlong: e.biasAlong,
          scale: up(scale, [scale?.length ?? 0]), scaleAlong: e.scaleAlong, residual: up(residual, [M, N]),
        });
        const ref = gemmRef({ a, b, bLayout, M, N, K, act: e.act, bias, biasAlong: e.biasAlong, scale, scaleAlong: e.scaleAlong, residual });
        expectClose(e.name, await got.readFloat(), ref, { rel: REL });
      });
    }
  }
  });
  }

  it('linear folds leading dims into M; matmul broadcasts a shared [K, N]', async () => {
    const x = data(2 * 7 * 24);
    const w = data(10 * 24);
    const bias = data(10);
    const y = linear(g.gpu.upload(x, [2, 7, 24]), g.gpu.upload(w, [10, 24]), { bias: g.gpu.upload(bias, [10]) });
    expect(y.shape).toEqual([2, 7, 10]);
    expectClose('linear', await y.readFloat(), gemmRef({ a: x, b: w, bLayout: 'nk', M: 14, N: 10, K: 24, bias }), { rel: REL });
    const p = data(24 * 9);
    const z = matmul(g.gpu.upload(x, [2, 7, 24]), g.gpu.upload(p, [24, 9]));
    expect(z.shape).toEqual([2, 7, 9]);
    expectClose('matmul shared', await z.readFloat(), gemmRef({ a: x, b: p, bLayout: 'kn', M: 14, N: 9, K: 24 }), { rel: REL });
  });

  it('rejects mismatched shapes with both shapes in the message', () => {
    const a = g.gpu.upload(data(12), [3, 4]);
    const b = g.gpu.upload(data(15), [5, 3]);
    expect(() => matmul(a, b)).toThrow(/\[3, 4\].*\[5, 3\]/);
    expect(() => linear(a, b, { bias: g.gpu.upload(data(4), [4]) })).toThrow(ShapeError);
  });
});

describe('conv2d vs reference', () => {
  const cases = [
    { name: 'dense 3×3 s2 odd', x: [2, 3, 17, 15], w: [8, 3, 3, 3], stride: 2, padding: 1, groups: 1 },
    { name: '1×1 fast path', x: [2, 12, 9, 11], w: [20, 12, 1, 1], stride: 1, padding: 0, groups: 1 },
    { name: 'depthwise 7×7', x: [1, 6, 13, 10], w: [6, 1, 7, 7], stride: 1, padding: 3, groups: 6 },
    { name: 'expanding ×2 7×7 s2', x: [2, 5, 11, 9], w: [10, 1, 7, 7], stride: 2, padding: 3, groups: 5 },
    { name: 'grouped 3×3', x: [1, 8, 7, 7], w: [12, 4, 3, 3], stride: 1, padding: 1, groups: 2 },
    { name: 'text 1×11', x: [3, 16, 1, 77], w: [16, 1, 1, 11], stride: 1, padding: [0, 5] as [number, number], groups: 16 },
    { name: 'non-square stride', x: [1, 4, 10, 12], w: [6, 4, 3, 2], stride: [2, 3] as [number, number], padding: [1, 0] as [number, number], groups: 1 },
    // Depthwise tile kernel (4-column tiles here): ragged tiles; 8 tiles per plane (subgroup-shared
    // weights, and a total that leaves idle lanes in the last workgroup); ×2 expanding; a row
    // shorter than the kernel
    { name: 'depthwise 7×7 ragged tiles', x: [2, 5, 9, 11], w: [5, 1, 7, 7], stride: 1, padding: 3, groups: 5 },
    { name: 'depthwise 7×7 8 tiles per plane', x: [2, 3, 16, 8], w: [3, 1, 7, 7], stride: 1, padding: 3, groups: 3 },
    { name: 'depthwise 3×3 8 tiles per plane', x: [1, 5, 8, 16], w: [5, 1, 3, 3], stride: 1, padding: 1, groups: 5 },
    { name: 'expanding ×2 3×3 8 tiles per plane', x: [2, 4, 16, 8], w: [8, 1, 3, 3], stride: 1, padding: 1, groups: 4 },
    { name: 'depthwise 1×11 over 4 pixels', x: [2, 3, 1, 4], w: [3, 1, 1, 11], stride: 1, padding: [0, 5] as [number, number], groups: 3 },
    { name: 'stem 3×3 s2 over RGB', x: [2, 3, 32, 24], w: [20, 3, 3, 3], stride: 2, padding: 1, groups: 1 },
    // Tiles 2 and 1 columns wide (S0's 8×8 planes; 3 rows of tiles) and at stride 2 (the stem's
    // and patch embeddings' depthwise convs), odd input sizes included.
    { name: 'depthwise 7×7 on 8×8 (2-column tiles)', x: [2, 3, 8, 8], w: [3, 1, 7, 7], stride: 1, padding: 3, groups: 3 },
    { name: 'depthwise 3×3 on 12×8 (1-column tiles)', x: [1, 5, 12, 8], w: [5, 1, 3, 3], stride: 1, padding: 1, groups: 5 },
    { name: 'depthwise 3×3 s2 (2-column tiles)', x: [2, 3, 16, 16], w: [3, 1, 3, 3], stride: 2, padding: 1, groups: 3 },
    { name: 'depthwise 7×7 s2 odd input', x: [1, 4, 15, 31], w: [4, 1, 7, 7], stride: 2, padding: 3, groups: 4 },
    { name: 'expanding ×2 3×3 s2', x: [2, 4, 16, 16], w: [8, 1, 3, 3], stride: 2, padding: 1, groups: 4 },
    { name: 'depthwise 3×3 s2 on 24×16 (1-column tiles)', x: [1, 2, 24, 16], w: [2, 1, 3, 3], stride: 2, padding: 1, groups: 2 },
  ];
  // Dense convs run through im2col + GEMM where the adapter allows it, and the direct kernel.
  for (const path of ['fast paths', 'direct kernel'] as const) {
  describe(path, () => {
  beforeEach(() => { g.gpu.tuning.im2colConv = g.gpu.tuning.depthwiseTiles = path === 'fast paths'; });
  afterEach(() => { g.gpu.tuning.im2colConv = g.gpu.tuning.depthwiseTiles = true; });
  for (const c of cases) {
    for (const act of ['none', 'gelu'] as const) {
      it(`${c.name} + bias + ${act}`, async () => {
        const x = data(c.x.reduce((a, b) => a * b));
        const w = data(c.w.reduce((a, b) => a * b), 0.3);
        const bias = data(c.w[0]);
        const opts = { stride: c.stride, padding: c.padding, groups: c.groups, act };
        const y = conv2d(g.gpu.upload(x, c.x), g.gpu.upload(w, c.w), { ...opts, bias: g.gpu.upload(bias, [bias.length]) });
        const ref = conv2dRef(x, c.x, w, c.w, { ...opts, bias });
        expect(y.shape).toEqual(ref.shape);
        expectClose(c.name, await y.readFloat(), ref.out, { rel: REL });
      });
    }
  }
  });
  }

  it('the depthwise tile kernel runs only where no subgroup straddles two planes', () => {
    const S = g.gpu.info.subgroupSize;
    const w = g.gpu.upload(data(3 * 9), [3, 1, 3, 3]);
    conv2d(g.gpu.upload(data(3 * 16 * 8), [1, 3, 16, 8]), w, { padding: 1, groups: 3 }); // 8 tiles per plane
    const tiled = g.gpu.pendingKernels.at(-1) ?? '';
    conv2d(g.gpu.upload(data(3 * 12 * 7), [1, 3, 12, 7]), w, { padding: 1, groups: 3 }); // 6, 12 or 21 tiles per plane
    const direct = g.gpu.pendingKernels.at(-1) ?? '';
    conv2d(g.gpu.upload(data(3 * 16 * 16), [1, 3, 16, 16]), w, { padding: 1, groups: 3, stride: 2 }); // 8 two-column tiles per 8×8 plane
    const strided = g.gpu.pendingKernels.at(-1) ?? '';
    expect(tiled.startsWith(`conv2d.dw4x4.k3x3.sg${S}.`)).toBe(S !== undefined && 8 % S === 0);
    expect(strided.startsWith(`conv2d.dw4x4.k3x3.sg${S}.`), strided).toBe(S !== undefined && 8 % S === 0);
    expect(direct).toMatch(/^conv2d\.k3x3\.s1x1\./);
  });

  it('depthwise tiles: the widest of 4, 2, 1 columns that gives whole subgroups per plane, at most 2 at stride 2', () => {
    const at = (S: number) => ({ policy: { depthwiseTileSubgroup: S } }) as Gpu;
    const cases: [number, [number, number], [number, number], number][] = [
      // subgroup, stride, output plane, columns
      [8, [1, 1], [64, 64], 4], [8, [1, 1], [8, 8], 2], [8, [1, 1], [12, 8], 1], [8, [1, 1], [12, 7], 0],
      [8, [2, 2], [64, 64], 2], [8, [2, 2], [8, 8], 2], [8, [2, 2], [12, 8], 1], [8, [3, 3], [64, 64], 0],
      [32, [1, 1], [64, 64], 4], [32, [1, 1], [8, 8], 0], [0, [1, 1], [64, 64], 0],
    ];
    for (const [S, stride, out, cols] of cases) expect(depthwiseTileColumns(at(S), stride, out), `S=${S} stride ${stride} ${out}`).toBe(cols);
  });

  it('rejects a weight that does not match the groups', () => {
    const x = g.gpu.upload(data(2 * 8 * 5 * 5), [2, 8, 5, 5]);
    const w = g.gpu.upload(data(8 * 3 * 3 * 3), [8, 3, 3, 3]);
    expect(() => conv2d(x, w, { groups: 2 })).toThrow(/\[8, 3, 3, 3\].*\[2, 8, 5, 5\]/);
  });
});

describe('elementwise, normalisation and reductions vs reference', () => {
  it('GELU max error vs float64 on [-10, 10]', async () => {
    const n = 200_001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const got = await unary(g.gpu.upload(x, [n]), 'gelu').readFloat();
    let maxAbs = 0;
    let maxUlpRel = 0;
    for (let i = 0; i < n; i++) {
      const r = gelu64(x[i]);
      const d = Math.abs(got[i] - r);
      maxAbs = Math.max(maxAbs, d);
      // relative to the float32 spacing at the result (or at 1e-3 near zero)
      maxUlpRel = Math.max(maxUlpRel, d / Math.max(Math.abs(r), 1e-3));
    }
    console.log(`GELU vs float64 on [-10, 10] (${n} points): max|Δ| = ${maxAbs.toExponential(2)}, max relative = ${maxUlpRel.toExponential(2)}`);
    // Absolute: 1 ulp of 10 in float32 is 9.5e-7, so the bound is the rounding of the result.
    expect(maxAbs).toBeLessThan(1e-6);
    // Relative (to max(|GELU|, 1e-3)): a few ulp from the float32 exp in the tail. PyTorch's own
    // float32 GELU, 0.5·x·(1 + erf), loses ~1e-4 relative at x = -3.4 by cancellation.
    expect(maxUlpRel).toBeLessThan(2e-6);
  });

  for (const act of ['relu', 'sigmoid'] as const) {
    it(`${act} on an odd size`, async () => {
      const x = data(1237, 4);
      expectClose(act, await unary(g.gpu.upload(x, [1237]), act).readFloat(), unaryRef(x, act), { rel: 0, abs: 1e-6 });
    });
  }

  it('channel affine: BN, layer scale + residual, per-sample scale', async () => {
    const shape = [2, 5, 7, 3];
    const x = data(210);
    const s = data(5);
    const t = data(5);
    const r = data(210);
    const y1 = channelAffine(g.gpu.upload(x, shape), g.gpu.upload(s, [5]), { shift: g.gpu.upload(t, [5]) });
    expectClose('affine', await y1.readFloat(), channelAffineRef(x, 21, s, t), { rel: REL });
    const y2 = channelAffine(g.gpu.upload(x, shape), g.gpu.upload(s, [5]), { residual: g.gpu.upload(r, shape) });
    expectClose('scale + residual', await y2.readFloat(), channelAffineRef(x, 21, s, undefined, r), { rel: REL });
    const sn = data(10);
    const y3 = channelAffine(g.gpu.upload(x, shape), g.gpu.upload(sn, [10]), { inner: 21 });
    expectClose('per-sample scale', await y3.readFloat(), channelAffineRef(x, 21, sn), { rel: REL });
    const bnp = { weight: data(5), bias: data(5), runningMean: data(5), runningVar: randUniform(5, seed++, 0.2, 3) };
    const bn = batchNormLayer(g.gpu, bnp);
    expectClose('batchnorm', await bn.forward(g.gpu.upload(x, shape)).readFloat(), batchNormRef(x, shape, bnp), { rel: REL });
  });

  for (const [rows, d] of [[1, 1], [3, 64], [7, 97], [154, 512]]) {
    it(`layerNorm, softmax, l2Normalize on [${rows}, ${d}]`, async () => {
      const x = data(rows * d, 2);
      const w = data(d);
      const b = data(d);
      const t = g.gpu.upload(x, [rows, d]);
      expectClose('layerNorm', await layerNorm(t, g.gpu.upload(w, [d]), g.gpu.upload(b, [d])).readFloat(), layerNormRef(x, d, w, b), { rel: REL });
      for (const perRow of [true, false]) {
        g.gpu.tuning.rowPerInvocationSoftmax = perRow; // both kernels where the adapter takes both
        expectClose(`softmax${perRow ? ' (row per invocation on software adapters)' : ''}`, await softmax(t).readFloat(), softmaxRef(x, d), { rel: 0, abs: 1e-6 });
      }
      g.gpu.tuning.rowPerInvocationSoftmax = true;
      expectClose('l2Normalize', await l2Normalize(t).readFloat(), l2NormalizeRef(x, d), { rel: REL });
    });
  }

  for (const shape of [[1, 3, 1, 1], [2, 5, 8, 8], [3, 7, 13, 11]]) {
    it(`globalAvgPool on ${JSON.stringify(shape)}`, async () => {
      const x = data(shape.reduce((a, b) => a * b));
      expectClose('pool', await globalAvgPool(g.gpu.upload(x, shape)).readFloat(), globalAvgPoolRef(x, shape), { rel: REL });
    });
  }

  it('work past 65535 workgroups wraps onto a second grid row (elementwise and per-row kernels)', async () => {
    const n = 65535 * 256 + 1001; // one more row of workgroups, partly masked
    const x = new Float32Array(n);
    for (let i = 0; i < n; i += 997) x[i] = -(i % 7);
    const y = await unary(g.gpu.upload(x, [n]), 'relu').readFloat();
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== (x[i] > 0 ? x[i] : 0)) bad++;
    expect(bad).toBe(0);
    const rows = 70_001;
    const r = randn(rows * 2, seed++);
    expectClose('softmax over 70001 rows', await softmax(g.gpu.upload(r, [rows, 2])).readFloat(), softmaxRef(r, 2), { rel: 0, abs: 1e-6 });
  });

  it('squeeze-excite', async () => {
    const shape = [2, 16, 5, 7];
    const x = data(2 * 16 * 35);
    const w = { reduceWeight: data(4 * 16, 0.5), reduceBias: data(4), expandWeight: data(16 * 4, 0.5), expandBias: data(16) };
    const up = (a: Float32Array, s: number[]) => g.gpu.upload(a, s);
    const y = squeezeExcite(up(x, shape), {
      reduceWeight: up(w.reduceWeight, [4, 16, 1, 1]), reduceBias: up(w.reduceBias, [4]),
      expandWeight: up(w.expandWeight, [16, 4, 1, 1]), expandBias: up(w.expandBias, [16]),
    });
    expectClose('squeezeExcite', await y.readFloat(), squeezeExciteRef(x, shape, w), { rel: REL });
  });
});

describe('attention vs reference', () => {
  for (const [b, heads, n, hd] of [[1, 1, 1, 4], [2, 3, 9, 32], [1, 16, 64, 32], [3, 2, 77, 64], [1, 2, 130, 8], [1, 3, 197, 64]]) {
    for (const causal of [false, true]) {
      it(`B=${b} heads=${heads} N=${n} hd=${hd}${causal ? ' causal' : ''}`, async () => {
        const shape = [b, heads, n, hd];
        const size = b * heads * n * hd;
        const [q, k, v] = [data(size), data(size), data(size)];
        const qkv = g.gpu.upload(packQkv(q, k, v, shape), [b, n, 3 * heads * hd]);
        const ref = attentionRef(q, k, v, shape, causal);
        const y = attentionFused(qkv, { heads, causal });
        expect(y.shape).toEqual([b, n, heads * hd]);
        expectClose('attention (fused kernel)', splitHeads(await y.readFloat(), shape), ref, { rel: REL });
        const z = attentionViaGemm(qkv, { heads, causal });
        expect(z.shape).toEqual([b, n, heads * hd]);
        expectClose('attention (GEMM path)', splitHeads(await z.readFloat(), shape), ref, { rel: REL });
      });
    }
  }

  it('both paths refuse a qkv that is not [B, N, 3·heads·hd] or [B, N, 3, heads, hd], with one message', () => {
    const five = g.gpu.empty([1, 4, 2, 3, 12]); // 72 values split into 3 × 3 heads, but the layout is wrong
    const odd = g.gpu.empty([1, 4, 50]);
    for (const path of [attentionFused, attentionViaGemm]) {
      expect(() => path(five, { heads: 3 })).toThrow('attention: qkv [1, 4, 2, 3, 12] is not [B, N, 3, 3, head_dim]');
      expect(() => path(odd, { heads: 2 })).toThrow('attention: qkv [1, 4, 50] does not split into 3 × 2 heads');
    }
    five.dispose();
    odd.dispose();
  });
});

describe('gathers', () => {
  it('embedding rows, and a clear error for ids outside the table or an empty batch', async () => {
    const [vocab, d] = [50, 12];
    const table = data(vocab * d);
    const ids = Int32Array.from([0, 49, 3, 3, 17, 8]);
    const t = g.gpu.upload(table, [vocab, d]);
    const y = embedding(t, ids, [2, 3]);
    expect(y.shape).toEqual([2, 3, d]);
    expectClose('embedding', await y.readFloat(), embeddingRef(table, d, ids), { rel: 0 });
    expect(() => embedding(t, Int32Array.from([1, 50]), [1, 2])).toThrow(/token id 50 at position 1 is outside the vocabulary \[0, 50\)/);
    expect(() => embedding(t, Int32Array.from([-1]), [1, 1])).toThrow(/outside the vocabulary/);
    expect(() => embedding(t, new Int32Array(0), [0, 77])).toThrow(/empty batch/);
  });

  it('embedding from a table in row blocks (as tables over one storage binding come): identical to the whole table', async () => {
    const [vocab, d, len] = [53, 7, 5];
    const table = data(vocab * d);
    const ids = Int32Array.from([0, 16, 17, 40, 41, 52, 3, 17, 39, 40]); // ids on both sides of each block edge
    const blocks = [[0, 17], [17, 41], [41, 53]].map(([a, b]) => g.gpu.upload(table.subarray(a * d, b * d), [b - a, d]));
    const pos = data(len * d);
    const posT = g.gpu.upload(pos, [len, d]);
    const idsT = g.gpu.upload(ids, [2, len], 'i32');
    const y = embeddingGather(blocks, idsT, posT);
    expectClose('embedding (3 row blocks)', await y.readFloat(), embeddingRef(table, d, ids, pos, len), { rel: 0 });
    for (const t of [...blocks, posT, idsT, y]) t.dispose();
  });

  it('row at the first argmax of the ids (EOT pooling)', async () => {
    const [b, l, d] = [3, 9, 70];
    const x = data(b * l * d);
    // row 0: max at 4; row 1: two equal maxima (the first wins); row 2: max at the last position
    const ids = Int32Array.from([1, 5, 2, 0, 9, 0, 0, 0, 0, 3, 7, 2, 7, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 8]);
    const y = gatherArgmax(g.gpu.upload(x, [b, l, d]), g.gpu.upload(ids, [b, l]));
    expectClose('gatherArgmax', await y.readFloat(), gatherArgmaxRef(x, ids, [b, l, d]), { rel: 0 });
  });
});

describe('f16 storage', () => {
  it('casts f32 → f16 → f32 on the GPU like the host conversion (odd size)', async (ctx) => {
    if (!g.gpu.features.shaderF16) {
      // Not a silent skip: say so in the output. Lavapipe and every current GPU have shader-f16.
      console.warn(`f16: adapter ${g.gpu.info.description} has no shader-f16`);
      ctx.skip();
    }
    const x = data(1001, 100);
    const h = cast(g.gpu.upload(x, [7, 143]), 'f16');
    expect(h.dtype).toBe('f16');
    const back = cast(h, 'f32');
    const want = Float32Array.from(x, (v) => f16BitsToF32(f32ToF16Bits(v)));
    const d = diff(await back.readFloat(), want);
    console.log(`f16 round trip: ${fmtDiff(d)}`);
    expect(d.maxAbs).toBe(0);
    expect(Array.from(await h.readFloat())).toEqual(Array.from(want));
  });
});
