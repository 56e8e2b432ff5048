/**
 * The int8 prefilter of a CPU search: its top-k equals the full float32 product's, indices and
 * scores bit for bit, on rows built to make it hard (near-ties, duplicates, very different norms,
 * a width that needs padding), and every row the full product ranks in the top k is a candidate.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { Int8Rows } from '../../src/backends/cpu/int8-rows.js';
import { kernelInstance } from '../../src/backends/cpu/wasm-kernels.js';
import { EmbeddingMatrix, PREFILTER_FROM } from '../../src/api/embedding-matrix.js';
import { topK } from '../../src/collection/top-k.js';

function rows(n: number, dim: number, seed: number): Float32Array {
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const x = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    // Unit rows, a few scaled (not every index is normalised), every 97th a copy of row 5, and
    // rows 1000-1099 near-copies of row 7 (near-ties at the top for a query like row 7).
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (x[r * dim + d] = rand()) ** 2;
    const s = (r % 13 === 0 ? 3 : 1) / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) x[r * dim + d] *= s;
  }
  for (let r = 97; r < n; r += 97) x.copyWithin(r * dim, 5 * dim, 6 * dim);
  for (let r = 1000; r < Math.min(n, 1100); r++) for (let d = 0; d < dim; d++) x[r * dim + d] = x[7 * dim + d] + (d === r % dim ? 1e-6 : 0);
  return x;
}

describe('int8 prefilter', () => {
  it(`EmbeddingMatrix.topK over ${PREFILTER_FROM + 123} rows equals the full product's top k (k 1, 10, 200; thresholds), widths 64 and 100`, async () => {
    const cpu = new CpuBackend();
    try {
      for (const dim of [64, 100]) {
        const n = PREFILTER_FROM + 123;
        const data = rows(n, dim, dim);
        const m = new EmbeddingMatrix(cpu, { data, count: n, dim });
        for (const [qi, k, threshold] of [[7, 10, undefined], [5, 200, undefined], [12345, 1, undefined], [7, 50, 0.99], [999, 10, -0.5]] as const) {
          const q = { data: data.slice(qi * dim, (qi + 1) * dim), count: 1, dim };
          const want = topK(await m.scores(q), k, threshold);
          const got = await m.topK(q, k, threshold);
          expect(got, `dim ${dim} query ${qi} k ${k} threshold ${threshold}`).toEqual(want);
          expect(got.length).toBeGreaterThan(0);
        }
        m.dispose();
      }
    } finally {
      cpu.destroy();
    }
  });

  it('candidates always hold the true top k, and few more for a well-separated query', () => {
    const dim = 512;
    const n = 5000;
    const data = rows(n, dim, 3);
    const int8 = Int8Rows.create(data, n, dim)!;
    expect(int8).not.toBeNull();
    for (const qi of [1, 7, 4321]) {
      const q = data.subarray(qi * dim, (qi + 1) * dim);
      const exact = Float64Array.from({ length: n }, (_, r) => {
        let s = 0;
        for (let d = 0; d < dim; d++) s += q[d] * data[r * dim + d];
        return s;
      });
      const best = Array.from(exact.keys()).sort((a, b) => exact[b] - exact[a]).slice(0, 10);
      const c = new Set(int8.candidates(q, 10));
      for (const r of best) expect(c.has(r), `query ${qi}: row ${r}`).toBe(true);
      if (qi === 4321) expect(c.size).toBeLessThan(n / 10); // a unit row among random ones: the bound prunes
    }
  });
});

describe('the int8 kernels against plain references', () => {
  it('quantize_i8 (scale, rounding, error and norm) and dot_i8 (exact int32) on 1, 3 and 37 rows of 16, 64 and 528 values', () => {
    const k = kernelInstance()!;
    expect(k).not.toBeNull();
    for (const [n, dim] of [[1, 16], [3, 64], [37, 528]]) {
      const src = rows(n, dim, n + dim);
      src.fill(0, 0, dim); // an all-zero row: scale 0, nothing divided by it
      const need = 1 << 22;
      if (k.memory.buffer.byteLength < need) k.memory.grow((need - k.memory.buffer.byteLength) / 65536);
      const at = { src: 0, dst: 1 << 20, scale: 2 << 20, err: (2 << 20) + 4096, norm: (2 << 20) + 8192, q: 3 << 20, out: (3 << 20) + 8192 };
      new Float32Array(k.memory.buffer, at.src, n * dim).set(src);
      k.exports.quantize_i8(at.src, at.dst, n, dim, at.scale, at.err, at.norm);
      const q8 = new Int8Array(k.memory.buffer, at.dst, n * dim);
      const scale = new Float32Array(k.memory.buffer, at.scale, n);
      const err = new Float32Array(k.memory.buffer, at.err, n);
      const norm = new Float32Array(k.memory.buffer, at.norm, n);
      for (let r = 0; r < n; r++) {
        const row = src.subarray(r * dim, (r + 1) * dim);
        const max = row.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const s = Math.fround(max / 127);
        expect(scale[r]).toBe(s);
        let e2 = 0;
        let n2 = 0;
        for (let d = 0; d < dim; d++) {
          const inv = max > 0 ? Math.fround(127 / max) : 0;
          const want = Math.round(Math.fround(row[d] * inv)); // nearest, ties to even differ from Math.round only at .5 exactly
          expect(Math.abs(q8[r * dim + d] - want), `row ${r} value ${d}`).toBeLessThanOrEqual(Number.isInteger(Math.fround(row[d] * inv) - 0.5) ? 1 : 0);
          e2 += (row[d] - q8[r * dim + d] * s) ** 2;
          n2 += (q8[r * dim + d] * s) ** 2;
        }
        expect(Math.abs(err[r] - Math.sqrt(e2))).toBeLessThanOrEqual(1e-5 * Math.sqrt(e2) + 1e-9);
        expect(Math.abs(norm[r] - Math.sqrt(n2))).toBeLessThanOrEqual(1e-5 * Math.sqrt(n2) + 1e-9);
      }
      // dot_i8 against the integer sum: exact.
      const q16 = new Int16Array(k.memory.buffer, at.q, dim);
      for (let d = 0; d < dim; d++) q16[d] = ((d * 7919) % 2001) - 1000;
      k.exports.dot_i8(at.dst, at.q, n, dim, at.out);
      const out = new Int32Array(k.memory.buffer, at.out, n);
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += q8[r * dim + d] * q16[d];
        expect(out[r], `row ${r}`).toBe(s);
      }
    }
  });
});
