/**
 * Every op through its neutral entry (src/ops/) on both backends (the CPU with its WebAssembly SIMD
 * kernels and with its JavaScript fallback), against its plain TypeScript
 * reference (float64), on several shapes — odd sizes, strides, padding, groups and every fused
 * epilogue included. Bound: 1e-5·max|ref|, about 20× the float32 rounding of these reductions.
 * (The WebGPU kernels' own variants — subgroup/blocked GEMMs, depthwise tiles, the direct conv —
 * are forced one by one in reference.test.ts.)
 */
import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { randn } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import {
  type Activation, type BLayout, attention, attentionRef, channelAffine, channelAffineRef, conv2d, conv2dRef, embedding, embeddingGather, embeddingRef,
  gatherArgmax, gatherArgmaxRef, gemm, gemmRef, globalAvgPool, globalAvgPoolRef, l2Normalize, l2NormalizeRef, layerNorm, layerNormRef, linear, packQkv,
  patchTokens, patchTokensRef, selectToken, softmax, softmaxRef, splitHeads, squeezeExcite, squeezeExciteRef, transposeLast2, transposeLast2Ref, unary, unaryRef,
} from '../../src/ops/index.js';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { gelu64, sigmoid64 } from '../../src/ops/reference-math.js';
import { ERF_SMALL, ERFC_TAIL, ERFC_TAIL_CLAMP, GELU_SMALL_UP_TO } from '../../src/ops/gelu-fit.js';
import { readFileSync } from 'node:fs';
import { ShapeError } from '../../src/runtime/errors.js';

const REL = 1e-5;
let seed = 900;
const data = (n: number, scale = 1) => randn(n, seed++, scale);
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

forEachBackend('ops vs reference', (backend) => {
  const up = (x: Float32Array | Int32Array, shape: readonly number[]) => backend().upload(x, shape);

  const gemmCases: { M: number; N: number; K: number; batch: number; bLayout: BLayout; shareA?: boolean }[] = [
    { M: 1, N: 1, K: 1, batch: 1, bLayout: 'nk' },
    { M: 3, N: 5, K: 7, batch: 1, bLayout: 'nk' },
    { M: 33, N: 65, K: 129, batch: 2, bLayout: 'nk' },
    { M: 5, N: 7, K: 3, batch: 3, bLayout: 'kn' },
    { M: 37, N: 49, K: 36, batch: 2, bLayout: 'kn', shareA: true },
    { M: 19, N: 100, K: 20, batch: 3, bLayout: 'kn' },
  ];
  for (const c of gemmCases) {
    for (const epi of ['plain', 'bias+gelu along n', 'bias+relu+scale+residual along m', 'sigmoid+scale along n'] as const) {
      it(`gemm ${c.bLayout} M=${c.M} N=${c.N} K=${c.K} batch=${c.batch}${c.shareA ? ' shared A' : ''}: ${epi}`, async () => {
        const strideA = c.shareA ? 0 : c.M * c.K;
        const strideB = c.N * c.K;
        const a = data((c.shareA ? 1 : c.batch) * c.M * c.K);
        const b = data(c.batch * c.N * c.K);
        const along = epi.endsWith('along m') ? 'm' : 'n';
        const len = along === 'm' ? c.M : c.N;
        const [bias, scale, residual] = [data(len), data(len), data(c.batch * c.M * c.N)];
        const act: Activation = epi.includes('gelu') ? 'gelu' : epi.includes('relu') ? 'relu' : epi.includes('sigmoid') ? 'sigmoid' : 'none';
        const withBias = epi.includes('bias');
        const withScale = epi.includes('scale');
        const withResidual = epi.includes('residual');
        const got = gemm({
          a: up(a, [a.length]), b: up(b, [b.length]), bLayout: c.bLayout, M: c.M, N: c.N, K: c.K, batch: c.batch, strideA, strideB, outShape: [c.batch, c.M, c.N], act,
          ...(withBias && { bias: up(bias, [len]), biasAlong: along }), ...(withScale && { scale: up(scale, [len]), scaleAlong: along }),
          ...(withResidual && { residual: up(residual, [c.batch, c.M, c.N]) }),
        });
        const ref = gemmRef({
          a, b, bLayout: c.bLayout, M: c.M, N: c.N, K: c.K, batch: c.batch, strideA, strideB, act,
          ...(withBias && { bias, biasAlong: along }), ...(withScale && { scale, scaleAlong: along }), ...(withResidual && { residual }),
        });
        expectClose('gemm', await got.readFloat(), ref, { rel: REL });
      });
    }
  }

  const convCases = [
    { name: 'dense 3×3 s2 odd', x: [2, 3, 17, 15], w: [8, 3, 3, 3], stride: 2, padding: 1, groups: 1 },
    // Wider than the input: the outer kernel columns read only padding for some outputs, none at all for others.
    { name: 'dense 5×5 pad 2 on 3×2', x: [1, 2, 3, 2], w: [4, 2, 5, 5], stride: 1, padding: 2, groups: 1 },
    { name: '1×1', x: [2, 12, 9, 11], w: [20, 12, 1, 1], stride: 1, padding: 0, groups: 1 },
    { name: 'depthwise 7×7', x: [1, 6, 13, 10], w: [6, 1, 7, 7], stride: 1, padding: 3, groups: 6 },
    { name: 'depthwise 3×3 s2 odd input', x: [1, 4, 15, 31], w: [4, 1, 3, 3], stride: 2, padding: 1, groups: 4 },
    { name: 'depthwise 7×7 s2', x: [2, 3, 16, 16], w: [3, 1, 7, 7], stride: 2, padding: 3, groups: 3 },
    { name: 'expanding ×2 7×7 s2', x: [2, 5, 11, 9], w: [10, 1, 7, 7], stride: 2, padding: 3, groups: 5 },
    { name: 'grouped 3×3', x: [1, 8, 7, 7], w: [12, 4, 3, 3], stride: 1, padding: 1, groups: 2 },
    { name: 'text 1×11', x: [3, 16, 1, 77], w: [16, 1, 1, 11], stride: 1, padding: [0, 5] as [number, number], groups: 16 },
    { name: 'non-square stride', x: [1, 4, 10, 12], w: [6, 4, 3, 2], stride: [2, 3] as [number, number], padding: [1, 0] as [number, number], groups: 1 },
    { name: 'patchify 4×4 s4', x: [1, 3, 12, 8], w: [5, 3, 4, 4], stride: 4, padding: 0, groups: 1 },
    { name: 'kernel wider than the row', x: [2, 3, 1, 4], w: [3, 1, 1, 11], stride: 1, padding: [0, 5] as [number, number], groups: 3 },
  ];
  for (const c of convCases) {
    for (const act of ['none', 'gelu'] as const) {
      it(`conv2d ${c.name} + bias + ${act}`, async () => {
        const x = data(numel(c.x));
        const w = data(numel(c.w), 0.3);
        const bias = data(c.w[0]);
        const opts = { stride: c.stride, padding: c.padding, groups: c.groups, act };
        const y = conv2d(up(x, c.x), up(w, c.w), { ...opts, bias: up(bias, [bias.length]) });
        const ref = conv2dRef(x, c.x, w, c.w, { ...opts, bias });
        expect(y.shape).toEqual(ref.shape);
        expectClose(c.name, await y.readFloat(), ref.out, { rel: REL });
      });
    }
  }

  for (const act of ['none', 'gelu', 'relu', 'sigmoid'] as const) {
    it(`unary ${act} over 1001 values (wide range)`, async () => {
      const x = data(1001, 4);
      expectClose(act, await unary(up(x, [7, 11, 13]), act).readFloat(), unaryRef(x, act), { rel: REL, abs: 1e-6 });
    });
  }

  it('the WebAssembly kernels spell the shared GELU fit (ops/gelu-fit.ts) number for number', () => {
    const wat = readFileSync(new URL('../../src/backends/cpu/wasm/kernels.wat', import.meta.url), 'utf8');
    const literals = new Set([...wat.matchAll(/f32x4 (-?[\d.]+(?:e-?\d+)?) /g)].map((m) => Number(m[1])));
    for (const c of [...ERF_SMALL, ...ERFC_TAIL, GELU_SMALL_UP_TO, ERFC_TAIL_CLAMP]) expect(literals.has(c), String(c)).toBe(true);
  });

  it('GELU and sigmoid against float64 on [-10, 10]: float32 rounding, tails included', async () => {
    const n = 200_001;
    const x = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    for (const [act, f] of [['gelu', gelu64], ['sigmoid', sigmoid64]] as const) {
      const got = await unary(up(x, [n]), act).readFloat();
      let maxAbs = 0;
      let maxRel = 0;
      for (let i = 0; i < n; i++) {
        const r = f(x[i]);
        const d = Math.abs(got[i] - r);
        maxAbs = Math.max(maxAbs, d);
        maxRel = Math.max(maxRel, d / Math.max(Math.abs(r), 1e-3));
      }
      console.log(`${act} vs float64 on [-10, 10] (${n} points): max|Δ| = ${maxAbs.toExponential(2)}, max relative = ${maxRel.toExponential(2)}`);
      // As the WebGPU kernel's bound (reference.test.ts): 1 ulp of 10 absolute; a few ulp relative.
      expect(maxAbs).toBeLessThan(1e-6);
      expect(maxRel).toBeLessThan(2e-6);
    }
  });

  it('channelAffine: NCHW with shift, residual and GELU; channel-last; per-sample scale', async () => {
    const x = data(2 * 5 * 3 * 7);
    const [scale, shift, res] = [data(5), data(5), data(x.length)];
    const y = channelAffine(up(x, [2, 5, 3, 7]), up(scale, [5]), { shift: up(shift, [5]), residual: up(res, [2, 5, 3, 7]), act: 'gelu' });
    expectClose('channelAffine NCHW', await y.readFloat(), channelAffineRef(x, 21, scale, shift, res, 'gelu'), { rel: REL });
    const z = channelAffine(up(x, [42, 5]), up(scale, [5]), { inner: 1 });
    expectClose('channelAffine channel-last', await z.readFloat(), channelAffineRef(x, 1, scale), { rel: REL });
    const perSample = data(10);
    const s = channelAffine(up(x, [2, 5, 3, 7]), up(perSample, [10]), { inner: 21, act: 'relu' });
    expectClose('channelAffine per sample', await s.readFloat(), channelAffineRef(x, 21, perSample, undefined, undefined, 'relu'), { rel: REL });
  });

  for (const [rows, d] of [[1, 1], [3, 17], [77, 512], [5, 1000]]) {
    it(`layerNorm, softmax, l2Normalize over [${rows}, ${d}] (rows offset by 0.5)`, async () => {
      const x = data(rows * d).map((v) => v * 1e-2 + 0.5);
      const [w, b] = [data(d), data(d)];
      expectClose('layerNorm', await layerNorm(up(x, [rows, d]), up(w, [d]), up(b, [d])).readFloat(), layerNormRef(x, d, w, b), { rel: REL });
      expectClose('softmax', await softmax(up(x, [rows, d])).readFloat(), softmaxRef(x, d), { rel: REL, abs: 1e-7 });
      expectClose('l2Normalize', await l2Normalize(up(x, [rows, d])).readFloat(), l2NormalizeRef(x, d), { rel: REL });
    });
  }

  it('causal softmax: row i of each block keeps columns ≤ i', async () => {
    const [b, n] = [2, 9];
    const x = data(b * n * n);
    const y = await softmax(up(x, [b, n, n]), { causal: true }).readFloat();
    const ref = new Float32Array(x.length);
    for (let r = 0; r < b * n; r++) {
      const i = r % n;
      ref.set(softmaxRef(x.subarray(r * n, r * n + i + 1), i + 1), r * n);
    }
    expectClose('softmax causal', y, ref, { rel: REL, abs: 1e-7 });
  });

  for (const [b, heads, n, hd] of [[1, 1, 1, 4], [2, 3, 9, 32], [3, 2, 77, 64], [1, 3, 197, 64]]) {
    for (const causal of [false, true]) {
      it(`attention B=${b} heads=${heads} N=${n} hd=${hd}${causal ? ' causal' : ''}`, async () => {
        const shape = [b, heads, n, hd];
        const size = numel(shape);
        const [q, k, v] = [data(size), data(size), data(size)];
        const y = attention(up(packQkv(q, k, v, shape), [b, n, 3 * heads * hd]), { heads, causal });
        expect(y.shape).toEqual([b, n, heads * hd]);
        expectClose('attention', splitHeads(await y.readFloat(), shape), attentionRef(q, k, v, shape, causal), { rel: REL });
      });
    }
  }

  it('globalAvgPool and squeezeExcite on odd planes', async () => {
    const shape = [2, 6, 7, 5];
    const x = data(numel(shape));
    expectClose('globalAvgPool', await globalAvgPool(up(x, shape)).readFloat(), globalAvgPoolRef(x, shape), { rel: REL });
    const w = { reduceWeight: data(3 * 6), reduceBias: data(3), expandWeight: data(6 * 3), expandBias: data(6) };
    const y = squeezeExcite(up(x, shape), { reduceWeight: up(w.reduceWeight, [3, 6, 1, 1]), reduceBias: up(w.reduceBias, [3]), expandWeight: up(w.expandWeight, [6, 3, 1, 1]), expandBias: up(w.expandBias, [6]) });
    expectClose('squeezeExcite', await y.readFloat(), squeezeExciteRef(x, shape, w), { rel: REL });
  });

  it('embedding (whole table and row blocks, with positions), EOT gather, transpose, patch tokens, select', async () => {
    const [vocab, d, len] = [53, 7, 5];
    const table = data(vocab * d);
    const ids = Int32Array.from([0, 16, 17, 40, 41, 52, 3, 17, 39, 40]);
    const pos = data(len * d);
    const whole = embedding(up(table, [vocab, d]), ids, [2, len], up(pos, [len, d]));
    expectClose('embedding', await whole.readFloat(), embeddingRef(table, d, ids, pos, len), { rel: 0 });
    const blocks = [[0, 17], [17, 41], [41, 53]].map(([a, b]) => up(table.subarray(a * d, b * d), [b - a, d]));
    const y = embeddingGather(blocks, up(ids, [2, len]), up(pos, [len, d]));
    expectClose('embedding (3 row blocks)', await y.readFloat(), embeddingRef(table, d, ids, pos, len), { rel: 0 });
    expect(() => embedding(up(table, [vocab, d]), Int32Array.from([1, 53]), [1, 2])).toThrow(/token id 53 at position 1 is outside the vocabulary \[0, 53\)/);

    const [b, l, c] = [2, 5, 7];
    const x = data(b * l * c);
    const eot = Int32Array.from([1, 9, 2, 9, 0, 0, 0, 0, 0, 4]); // the first maximum wins; the last position
    expectClose('gatherArgmax', await gatherArgmax(up(x, [b, l, c]), up(eot, [b, l])).readFloat(), gatherArgmaxRef(x, eot, [b, l, c]), { rel: 0 });
    expectClose('transposeLast2', await transposeLast2(up(x, [b, l, c])).readFloat(), transposeLast2Ref(x, [b, l, c]), { rel: 0 });
    expectClose('selectToken', await selectToken(up(x, [b, l, c]), 3).readFloat(), Float32Array.from({ length: b * c }, (_, i) => x[(Math.floor(i / c) * l + 3) * c + (i % c)]), { rel: 0 });

    const [h, w] = [3, 2];
    const map = data(b * c * h * w);
    const positions = data(h * w * c);
    const cls = data(c);
    const tokens = patchTokens(up(map, [b, c, h, w]), up(positions, [h * w, c]), up(cls, [1, 1, c]));
    expect(tokens.shape).toEqual([b, h * w + 1, c]);
    expectClose('patchTokens', await tokens.readFloat(), patchTokensRef(map, [b, c, h, w], positions, cls), { rel: 0 });
  });

  it('linear refuses operands on two backends, naming both', () => {
    const other = backend().kind === 'cpu' ? null : new CpuBackend();
    if (!other) {
      const a = new CpuBackend();
      const x = a.upload(data(6), [2, 3]);
      expect(() => linear(x, backend().upload(data(12), [4, 3]))).toThrow(ShapeError);
      return;
    }
    const x = backend().upload(data(6), [2, 3]);
    expect(() => linear(x, other.upload(data(12), [4, 3]))).toThrow(/linear: .* is on webgpu .* but .* is on cpu/);
  });
}, true, true);
