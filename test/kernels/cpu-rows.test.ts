/**
 * The CPU backend's row kernels (kernels.wat: layer_norm, softmax) through the neutral ops, against
 * their plain references (layerNormRef, softmaxRef: float64, rounded once) and beside the CPU's
 * JavaScript path, on odd shapes (d not a multiple of 4, one row, one value) and the models' own.
 *
 * Bounds, from float32 arithmetic (u = 2⁻²⁴, the unit roundoff): each sum runs in four lanes of
 * ⌈d/4⌉ terms, then two more additions, so its worst-case relative error is γ ≈ (⌈d/4⌉ + 2)·u
 * (recursive summation). Softmax: the sum's γ, plus a few u for the exp (≲ 1 ulp, and its rounded
 * argument: at most ~0.4·u absolute on a value ≤ 1), the division and the store: (⌈d/4⌉ + 8)·u of
 * max|ref|. LayerNorm: the mean's sum (shifted by the row's first value, so its error scales with
 * the spread max|x − x₀| ≤ 2·max|x − μ|) and the variance's (halved by the square root), plus the
 * last pass's four roundings: (2·⌈d/4⌉ + 10)·u of max|ref|. Typical errors are far below (the
 * roundings are not all one way); the log prints them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { forceKernels, kernelVariant } from '../../src/backends/cpu/wasm-kernels.js';
import { attention, attentionRef, layerNorm, layerNormRef, packQkv, softmax, softmaxRef, splitHeads } from '../../src/ops/index.js';
import { expectClose } from '../helpers/compare.js';
import { randn } from '../helpers/random.js';

const U = 2 ** -24;
const SHAPES: [number, number][] = [[1, 1], [3, 5], [7, 77], [77, 512], [13, 1023], [2, 4], [5, 8]];
const cpu = new CpuBackend();
afterAll(() => forceKernels(null));

/** The op on the CPU with the wasm kernels, and with the JavaScript path forced. */
async function both(run: () => Float32Array): Promise<[Float32Array, Float32Array]> {
  forceKernels(null);
  const wasm = run();
  forceKernels('javascript');
  const js = run();
  forceKernels(null);
  return [wasm, js];
}

describe.runIf(kernelVariant() !== 'javascript')(`CPU row kernels (${kernelVariant()})`, () => {
  let seed = 7100;
  for (const [rows, d] of SHAPES) {
    for (const offset of [0, 0.5]) {
      it(`layerNorm [${rows}, ${d}]${offset ? ` (values 0.5 + 0.01·N(0, 1))` : ''}`, async () => {
        const x = offset ? randn(rows * d, seed++).map((v) => offset + 0.01 * v) : randn(rows * d, seed++);
        const [w, b] = [randn(d, seed++), randn(d, seed++)];
        const run = () => cpu.scope(() => layerNorm(cpu.upload(x, [rows, d]), cpu.upload(w, [d]), cpu.upload(b, [d])).storage as Float32Array).slice();
        const [wasm, js] = await both(run);
        const ref = layerNormRef(x, d, w, b);
        const rel = (2 * Math.ceil(d / 4) + 10) * U;
        expectClose(`layerNorm wasm [${rows}, ${d}]`, wasm, ref, { rel });
        expectClose(`layerNorm js   [${rows}, ${d}]`, js, ref, { rel });
      });
    }

    it(`softmax [${rows}, ${d}] (logits N(0, 4²))`, async () => {
      const x = randn(rows * d, seed++, 4);
      const run = () => cpu.scope(() => softmax(cpu.upload(x, [rows, d])).storage as Float32Array).slice();
      const [wasm, js] = await both(run);
      const ref = softmaxRef(x, d);
      const rel = (Math.ceil(d / 4) + 8) * U;
      expectClose(`softmax wasm [${rows}, ${d}]`, wasm, ref, { rel });
      expectClose(`softmax js   [${rows}, ${d}]`, js, ref, { rel });
      // Each row sums to 1 within its own rounding.
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += wasm[r * d + i];
        expect(Math.abs(s - 1), `row ${r} sums to ${s}`).toBeLessThanOrEqual((Math.ceil(d / 4) + 8 + d) * U);
      }
    });
  }

  for (const [b, n] of [[1, 1], [2, 5], [3, 9], [1, 77]]) {
    it(`causal softmax [${b}, ${n}, ${n}]: row i keeps columns ≤ i, the rest exactly 0`, async () => {
      const x = randn(b * n * n, seed++, 4);
      const run = () => cpu.scope(() => softmax(cpu.upload(x, [b, n, n]), { causal: true }).storage as Float32Array).slice();
      const [wasm, js] = await both(run);
      const ref = new Float32Array(x.length);
      for (let r = 0; r < b * n; r++) ref.set(softmaxRef(x.subarray(r * n, r * n + (r % n) + 1), (r % n) + 1), r * n);
      const rel = (Math.ceil(n / 4) + 8) * U;
      expectClose(`causal softmax wasm [${b}, ${n}, ${n}]`, wasm, ref, { rel });
      expectClose(`causal softmax js   [${b}, ${n}, ${n}]`, js, ref, { rel });
      for (let r = 0; r < b * n; r++) for (let i = (r % n) + 1; i < n; i++) expect(Object.is(wasm[r * n + i], 0), `[${r}, ${i}]`).toBe(true);
    });
  }

  // Attention's softmax runs in the same kernel, in place on the scores (rows n8 floats apart).
  for (const [b, heads, n, hd] of [[1, 2, 5, 8], [1, 8, 77, 64]]) {
    for (const causal of [false, true]) {
      it(`attention B=${b} heads=${heads} N=${n} hd=${hd}${causal ? ' causal' : ''} (softmax in the wasm kernel)`, async () => {
        const shape = [b, heads, n, hd];
        const size = b * heads * n * hd;
        const [q, k, v] = [randn(size, seed++), randn(size, seed++), randn(size, seed++)];
        const y = cpu.scope(() => attention(cpu.upload(packQkv(q, k, v, shape), [b, n, 3 * heads * hd]), { heads, causal }).storage as Float32Array).slice();
        expectClose('attention', splitHeads(y, shape), attentionRef(q, k, v, shape, causal), { rel: 1e-5 });
      });
    }
  }
});
