/**
 * The rules that keep the number of kernel variants (each a compile at first use, 0.1–0.5 s on
 * lavapipe) small, each checked against its reference and for the pipelines it compiles:
 *  - a product without a bias runs the bias kernel with −0s, an unscaled residual the scaled one
 *    with ones, one with GELU or nothing and without a residual the residual one with −0s (GELU
 *    from the uniform); bits equal to the same product with explicit identity operands, no new
 *    pipeline after the canonical one; bias and scale along M instead of N is a text of its own;
 *  - a tiny product's ReLU or sigmoid, and an any-K product's, runs as an elementwise pass (f32):
 *    bits equal to the fused kernel; the RGB stem (any-K, GELU) shares P·V's kernel;
 *  - attention's P·V takes the any-K kernel whatever the sequence length;
 *  - the direct conv takes strides 1 and 2, GELU or none, from the uniform.
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { recordedKernels } from '../helpers/recorded.js';
import { type GemmEpilogue, gemm, gemmRef } from '../../src/ops/index.js';
import { attention, attentionRef, packQkv, splitHeads } from '../../src/ops/index.js';
import { conv2d, conv2dRef } from '../../src/ops/index.js';

const g = useGpu();

describe('GEMM variants', () => {
  // Odd M and N, K not a multiple of 16 rows or 4 lanes of anything.
  const [M, N, K] = [19, 37, 44];
  const host = { a: randn(M * K, 1), b: randn(N * K, 2), biasN: randn(N, 3), biasM: randn(M, 4), scaleN: randn(N, 5), scaleM: randn(M, 6), res: randn(M * N, 7) };

  it('no bias → −0s, unscaled residual → ones, GELU or none and the axis from the uniform: exact, and no pipeline of their own', async () => {
    const up = (x: Float32Array, shape: number[]) => g.gpu.upload(x, shape);
    const a = up(host.a, [M, K]), b = up(host.b, [N, K]);
    const t = {
      biasN: up(host.biasN, [N]), biasM: up(host.biasM, [M]), scaleN: up(host.scaleN, [N]), scaleM: up(host.scaleM, [M]), res: up(host.res, [M, N]),
      zerosN: up(new Float32Array(N).fill(-0), [N]), zerosMN: up(new Float32Array(M * N).fill(-0), [M, N]), onesN: up(new Float32Array(N).fill(1), [N]), onesM: up(new Float32Array(M).fill(1), [M]),
    };
    const run = (e: GemmEpilogue) => gemm({ a, b, bLayout: 'nk', M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N], ...e });
    const read = async (e: GemmEpilogue) => {
      const y = run(e);
      const out = await y.readFloat();
      y.dispose();
      return out;
    };
    const check = async (name: string, e: GemmEpilogue, explicit: GemmEpilogue) => {
      const got = await read(e);
      const ref = gemmRef({
        a: host.a, b: host.b, bLayout: 'nk', M, N, K, act: e.act,
        bias: e.bias === t.biasN ? host.biasN : e.bias === t.biasM ? host.biasM : undefined, biasAlong: e.biasAlong,
        scale: e.scale === t.scaleN ? host.scaleN : e.scale === t.scaleM ? host.scaleM : undefined, scaleAlong: e.scaleAlong, residual: e.residual ? host.res : undefined,
      });
      expectClose(`gemm ${name}`, got, ref, { rel: 1e-5 });
      expect(Array.from(got), `${name}: the same bits as with explicit identity operands`).toEqual(Array.from(await read(explicit)));
    };
    // The canonical kernel first (bias, scale, residual, GELU or none: "nk"), then every form that
    // maps onto it: none may compile a pipeline.
    await read({ bias: t.biasN, scale: t.scaleN, residual: t.res, act: 'gelu' });
    const compiled = g.gpu.stats().pipelines.compiled;
    const alongN: [string, GemmEpilogue, GemmEpilogue][] = [
      ['plain', {}, { bias: t.zerosN, scale: t.onesN, residual: t.zerosMN }],
      ['bias', { bias: t.biasN }, { bias: t.biasN, scale: t.onesN, residual: t.zerosMN }],
      ['GELU', { act: 'gelu' }, { bias: t.zerosN, scale: t.onesN, residual: t.zerosMN, act: 'gelu' }],
      ['bias + GELU (a linear in an MLP)', { bias: t.biasN, act: 'gelu' }, { bias: t.biasN, scale: t.onesN, residual: t.zerosMN, act: 'gelu' }],
      ['bias + residual', { bias: t.biasN, residual: t.res }, { bias: t.biasN, scale: t.onesN, residual: t.res }],
      ['residual', { residual: t.res }, { bias: t.zerosN, scale: t.onesN, residual: t.res }],
      ['bias, scale, residual', { bias: t.biasN, scale: t.scaleN, residual: t.res }, { bias: t.biasN, scale: t.scaleN, residual: t.res }],
    ];
    for (const [name, e, explicit] of alongN) await check(name, e, explicit);
    const alongM: [string, GemmEpilogue, GemmEpilogue][] = [
      ['bias and scale along M + residual (mhsa.proj)', { bias: t.biasM, biasAlong: 'm', scale: t.scaleM, scaleAlong: 'm', residual: t.res }, { bias: t.biasM, biasAlong: 'm', scale: t.scaleM, scaleAlong: 'm', residual: t.res }],
      ['bias along M + GELU', { bias: t.biasM, biasAlong: 'm', act: 'gelu' }, { bias: t.biasM, biasAlong: 'm', scale: t.onesM, scaleAlong: 'm', residual: t.zerosMN, act: 'gelu' }],
    ];
    for (const [name, e, explicit] of alongM) await check(name, e, explicit);
    const added = g.gpu.stats().pipelines.compiled - compiled;
    console.log(`${alongN.length + alongM.length} epilogue forms on the canonical "nk" kernel: ${added} pipelines compiled after it`);
    expect(added, 'the scalar epilogue takes the axis from the uniform').toBe(0);
    for (const x of [a, b, ...Object.values(t)]) x.dispose();
  });

  it('"kn" (vector epilogue, the axis in the text): a product without a bias shares the 1×1 conv\'s kernel; a bias along N is a kernel of its own', async () => {
    // A 1×1 conv's product (bias and scale along M) and P·V's (no bias); M odd, N a multiple of 4.
    const [m, n, k] = [13, 24, 20];
    const a = randn(m * k, 60), b = randn(k * n, 61), biasM = randn(m, 62), scaleM = randn(m, 63), biasN = randn(n, 64), res = randn(m * n, 65);
    const run = (e: GemmEpilogue) => recordedKernels(g.gpu, () => gemm({ a: g.gpu.upload(a, [m, k]), b: g.gpu.upload(b, [k, n]), bLayout: 'kn', M: m, N: n, K: k, batch: 1, strideA: 0, strideB: 0, outShape: [m, n], ...e }));
    const up = (x: Float32Array) => g.gpu.upload(x, [x.length]);
    const conv = await run({ bias: up(biasM), biasAlong: 'm', scale: up(scaleM), scaleAlong: 'm', residual: g.gpu.upload(res, [m, n]), act: 'gelu' });
    expectClose('kn bias(m) + gelu · scale(m) + residual', conv.out, gemmRef({ a, b, bLayout: 'kn', M: m, N: n, K: k, bias: biasM, biasAlong: 'm', scale: scaleM, scaleAlong: 'm', residual: res, act: 'gelu' }), { rel: 1e-5 });
    let compiled = g.gpu.stats().pipelines.compiled;
    const plain = await run({});
    expectClose('kn plain', plain.out, gemmRef({ a, b, bLayout: 'kn', M: m, N: n, K: k }), { rel: 1e-5 });
    const explicit = await run({ bias: up(new Float32Array(m).fill(-0)), biasAlong: 'm', scale: up(new Float32Array(m).fill(1)), scaleAlong: 'm', residual: g.gpu.upload(new Float32Array(m * n).fill(-0), [m, n]) });
    expect(Array.from(plain.out), 'no bias: the bits of explicit identity operands').toEqual(Array.from(explicit.out));
    expect(g.gpu.stats().pipelines.compiled - compiled, `${plain.kernels}: the conv\'s kernel`).toBe(0);
    compiled = g.gpu.stats().pipelines.compiled;
    const alongN = await run({ bias: up(biasN) });
    expectClose('kn bias(n)', alongN.out, gemmRef({ a, b, bLayout: 'kn', M: m, N: n, K: k, bias: biasN }), { rel: 1e-5 });
    expect(g.gpu.stats().pipelines.compiled - compiled, `${alongN.kernels}`).toBe(g.gpu.policy.gemmSubgroupSize && !g.gpu.policy.gemmWorkgroupTiles ? 1 : 0);
  });

  it('the identity residual keeps a −0 output −0 (GELU of a large negative)', async () => {
    // Every output is GELU(−24) = −0 (its tail underflows); + a +0 residual would make it +0.
    const [m, n, k] = [3, 8, 8];
    const a = new Float32Array(m * k).fill(1), w = new Float32Array(n * k).fill(-3);
    for (const bLayout of ['nk', 'kn'] as const) {
      const y = gemm({ a: g.gpu.upload(a, [m, k]), b: g.gpu.upload(w, bLayout === 'nk' ? [n, k] : [k, n]), bLayout, M: m, N: n, K: k, batch: 1, strideA: 0, strideB: 0, outShape: [m, n], act: 'gelu' });
      const out = Array.from(await y.readFloat());
      expect(out.every((v) => Object.is(v, -0)), `${bLayout}: outputs ${out.slice(0, 4).join(', ')}…`).toBe(true);
    }
  });

  it('a tiny product runs its ReLU or sigmoid as an elementwise pass, with the fused kernel\'s bits (f32); GELU shares the plain kernel', async () => {
    // Squeeze-excite's shape: one row per image, C → C/16 with ReLU, back with a sigmoid.
    const [m, n, k] = [2, 24, 40];
    const a = randn(m * k, 8), w = randn(n * k, 9), bias = randn(n, 10);
    for (const act of ['relu', 'sigmoid', 'gelu'] as const) {
      const build = () => gemm({ a: g.gpu.upload(a, [m, k]), b: g.gpu.upload(w, [n, k]), bLayout: 'nk', M: m, N: n, K: k, batch: 1, strideA: 0, strideB: 0, outShape: [m, n], bias: g.gpu.upload(bias, [n]), act, label: 'linear' });
      const split = await recordedKernels(g.gpu, build);
      const ref = gemmRef({ a, b: w, bLayout: 'nk', M: m, N: n, K: k, bias, act });
      if (act === 'gelu') {
        expect(split.kernels, act).toEqual([expect.stringMatching(/^linear\..*\.bias_n\.scale_n\.res\.gelu$/)]);
        expectClose('tiny linear + gelu', split.out, ref, { rel: 1e-5 });
        continue;
      }
      expect(split.kernels, act).toEqual([expect.stringMatching(/^linear\..*\.bias_n\.scale_n\.res\.none$/), `unary.${act}`]);
      const fused = await recordedKernels(g.gpu, () => g.gpu.withPolicy({ gemmSplitActivationUpTo: 0 }, build));
      expect(fused.kernels, act).toEqual([expect.stringMatching(new RegExp(`^linear\\..*\\.bias_n\\.${act}$`))]);
      expectClose(`tiny linear + ${act}`, split.out, ref, { rel: 1e-5 });
      expect(Array.from(split.out), act).toEqual(Array.from(fused.out));
    }
  });

  it('an any-K product (the RGB stem: K = 27) runs GELU in the kernel P·V shares, and a ReLU as an elementwise pass', async () => {
    // Cin 3, 3×3, stride 2 on odd sizes: 9 × 8 output pixels (a multiple of 4: im2col's GEMM).
    const [n, h, w, cout] = [2, 17, 16, 6];
    const x = randn(n * 3 * h * w, 40), wt = randn(cout * 27, 41), bias = randn(cout, 42);
    const build = (act: 'gelu' | 'relu') => () => conv2d(g.gpu.upload(x, [n, 3, h, w]), g.gpu.upload(wt, [cout, 3, 3, 3]), { stride: 2, padding: 1, bias: g.gpu.upload(bias, [cout]), act });
    const ref = (act: 'gelu' | 'relu') => conv2dRef(x, [n, 3, h, w], wt, [cout, 3, 3, 3], { stride: 2, padding: 1, bias, act }).out;
    // Above the tiny-product bound, so the any-K rule alone decides.
    const gelu = await recordedKernels(g.gpu, () => g.gpu.withPolicy({ gemmSplitActivationUpTo: 0 }, build('gelu')));
    expect(gelu.kernels).toEqual(['im2col.k3x3', expect.stringMatching(/^conv3x3\.im2col\..*\.sk\.bias_m\.scale_m\.res\.gelu$/)]);
    expectClose('RGB stem conv + GELU', gelu.out, ref('gelu'), { rel: 1e-5 });
    const split = await recordedKernels(g.gpu, () => g.gpu.withPolicy({ gemmSplitActivationUpTo: 0 }, build('relu')));
    expect(split.kernels).toEqual(['im2col.k3x3', expect.stringMatching(/^conv3x3\.im2col\..*\.sk\.bias_m\.scale_m\.res\.none$/), 'unary.relu']);
    const fused = await recordedKernels(g.gpu, () => g.gpu.withPolicy({ gemmSplitActivationAnyK: false, gemmSplitActivationUpTo: 0 }, build('relu')));
    expect(fused.kernels).toEqual(['im2col.k3x3', expect.stringMatching(/^conv3x3\.im2col\..*\.sk\.bias_m\.relu$/)]);
    expectClose('RGB stem conv + ReLU', split.out, ref('relu'), { rel: 1e-5 });
    expect(Array.from(split.out), 'the fused kernel\'s bits').toEqual(Array.from(fused.out));
    // Attention after it compiles no P·V kernel of its own.
    const compiled: string[] = [];
    const stop = g.gpu.pipelines.onCompile((label) => compiled.push(label));
    const dims = [1, 2, 16, 8];
    const [q, k, v] = [1, 2, 3].map((s) => randn(dims.reduce((p, r) => p * r), 50 + s));
    await recordedKernels(g.gpu, () => g.gpu.withPolicy({ attentionGemmFromTokens: 0 }, () => attention(g.gpu.upload(packQkv(q, k, v, dims), [1, 16, 3 * 2 * 8]), { heads: 2 })));
    stop();
    expect(compiled.filter((label) => label.startsWith('attention.values')), `compiled by attention: ${compiled.join(', ')}`).toEqual([]);
  });

  it('attention\'s P·V takes the any-K kernel at every sequence length', async () => {
    const values = new Set<string>();
    for (const n of [5, 16, 77]) {
      const dims = [1, 2, n, 8];
      const [q, k, v] = [1, 2, 3].map((s) => randn(dims.reduce((x, y) => x * y), 20 * n + s));
      const qkv = packQkv(q, k, v, dims);
      const r = await recordedKernels(g.gpu, () => g.gpu.withPolicy({ attentionGemmFromTokens: 0 }, () => attention(g.gpu.upload(qkv, [1, n, 3 * 2 * 8]), { heads: 2 })));
      const pv = r.kernels.filter((label) => label.startsWith('attention.values'));
      expect(pv, `${n} tokens`).toHaveLength(1);
      values.add(pv[0]);
      expectClose(`attention, ${n} tokens`, splitHeads(r.out, dims), attentionRef(q, k, v, dims), { rel: 1e-5 });
    }
    console.log(`P·V at 5, 16 and 77 tokens: ${[...values].join(', ')}`);
    expect([...values], 'one P·V kernel for 5, 16 and 77 tokens').toHaveLength(1);
  });

  it('the direct conv: strides 1 and 2, GELU or none, one pipeline per kernel width', async () => {
    // A 7×7 depthwise conv on odd sizes, forced off the tile kernel, and a dense 3×3.
    const [n, c, h, w] = [2, 5, 13, 11];
    const x = randn(n * c * h * w, 30);
    const cases = [
      { name: 'depthwise 7×7', shape: [c, 1, 7, 7], groups: c, padding: 3 },
      { name: 'dense 3×3', shape: [4, c, 3, 3], groups: 1, padding: 1 },
    ];
    for (const k of cases) {
      const wt = randn(k.shape.reduce((p, q) => p * q), 31), bias = randn(k.shape[0], 32);
      const before = g.gpu.stats().pipelines.compiled;
      const labels: string[] = [];
      for (const stride of [1, 2]) {
        for (const act of ['none', 'gelu'] as const) {
          const build = () => g.gpu.withPolicy({ depthwiseTileSubgroup: 0, im2colMaxBytes: 0 }, () =>
            conv2d(g.gpu.upload(x, [n, c, h, w]), g.gpu.upload(wt, k.shape), { stride, padding: k.padding, groups: k.groups, bias: g.gpu.upload(bias, [k.shape[0]]), act }));
          const r = await recordedKernels(g.gpu, build);
          labels.push(...r.kernels);
          const ref = conv2dRef(x, [n, c, h, w], wt, k.shape, { stride, padding: k.padding, groups: k.groups, bias, act }).out;
          expectClose(`${k.name} s${stride} ${act}`, r.out, ref, { rel: 1e-5 });
        }
      }
      expect(labels.every((l) => l.startsWith('conv2d.k')), labels.join()).toBe(true);
      expect(g.gpu.stats().pipelines.compiled - before, `${k.name}: one pipeline for ${labels.join(', ')}`).toBe(1);
    }
  });
});
