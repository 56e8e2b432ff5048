/**
 * Rows of embeddings held for repeated similarity queries (a search index in memory): on the
 * backend, uploaded once, in chunks that fit its largest tensor, and kept, so a query costs one
 * product per chunk — on the CPU backend the rows are also laid out for its GEMM once, not per
 * query; and for top-k on the CPU, as int8 rows that bound every score (int8-rows.ts).
 */
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import { linear } from '../ops/gemm.js';
import type { Embeddings } from './mobileclip.js';
import { Int8Rows } from '../backends/cpu/int8-rows.js';
import { topK } from '../collection/top-k.js';

/** From this many rows, a CPU search reads int8 rows first and rescores the few that can win (int8-rows.ts). */
export const PREFILTER_FROM = 32768;

export class EmbeddingMatrix {
  private parts: Tensor[] | null = null;
  private int8: Int8Rows | null | undefined;
  readonly count: number;
  readonly dim: number;

  constructor(
    private readonly backend: Backend,
    /** Held, not copied: the caller leaves it unchanged while the matrix lives. */
    private readonly rows: Embeddings,
    /** The most query rows a `scores` call takes (bounds each product's output). */
    private readonly maxQueries = 64,
  ) {
    this.count = rows.count;
    this.dim = rows.dim;
  }

  /** The rows on the backend, uploaded on first use, in chunks that fit its largest tensor, and kept. */
  private uploaded(): Tensor[] {
    if (this.parts) return this.parts;
    const { backend, rows } = this;
    const chunk = Math.max(1, Math.floor(backend.maxTensorBytes / 4 / Math.max(rows.dim, this.maxQueries)));
    this.parts = [];
    for (let from = 0; from < rows.count; from += chunk) {
      const n = Math.min(chunk, rows.count - from);
      this.parts.push(backend.keep(backend.upload(rows.data.subarray(from * rows.dim, (from + n) * rows.dim), [n, rows.dim])));
    }
    return this.parts;
  }

  /** Dot products of every query row with every row: [q.count × count], row-major. */
  async scores(q: Embeddings): Promise<Float32Array> {
    if (q.dim !== this.dim) throw new RangeError(`similarity: queries of ${q.dim} values, rows of ${this.dim}`);
    if (q.count > this.maxQueries) throw new RangeError(`similarity: ${q.count} queries at once; at most ${this.maxQueries}`);
    const out = new Float32Array(q.count * this.count);
    if (q.count === 0 || this.count === 0) return out;
    const x = this.backend.upload(q.data.subarray(0, q.count * q.dim), [q.count, q.dim]);
    try {
      let from = 0;
      for (const part of this.uploaded()) {
        const n = part.shape[0];
        const s = linear(x, part);
        try {
          const v = await s.readFloat();
          for (let i = 0; i < q.count; i++) out.set(v.subarray(i * n, (i + 1) * n), i * this.count + from);
        } finally {
          s.dispose();
        }
        from += n;
      }
    } finally {
      x.dispose();
    }
    return out;
  }

  /**
   * The `k` rows most like one query (best first; only those ≥ `threshold`), by the same float32
   * product `scores` computes, bit for bit. On the CPU backend, from PREFILTER_FROM rows, the int8
   * rows bound every score first and only the rows that can win are computed in float32.
   */
  async topK(q: Embeddings, k: number, threshold = -Infinity): Promise<{ index: number; score: number }[]> {
    if (q.count !== 1) throw new RangeError(`topK: one query at a time, got ${q.count}`);
    if (q.dim !== this.dim) throw new RangeError(`similarity: queries of ${q.dim} values, rows of ${this.dim}`);
    if (this.int8 === undefined) this.int8 = this.backend.kind === 'cpu' && this.count >= PREFILTER_FROM ? Int8Rows.create(this.rows.data.subarray(0, this.count * this.dim), this.count, this.dim) : null;
    if (!this.int8) return topK(await this.scores(q), k, threshold);
    const rows = this.int8.candidates(q.data.subarray(0, this.dim), k, threshold);
    if (rows.length === 0) return [];
    // The candidates' rows, scored by the same product: a row's score does not depend on the others.
    const picked = new Float32Array(rows.length * this.dim);
    rows.forEach((r, i) => picked.set(this.rows.data.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim));
    const x = this.backend.upload(q.data.subarray(0, this.dim), [1, this.dim]);
    const y = this.backend.upload(picked, [rows.length, this.dim]);
    let scores: Float32Array;
    try {
      const s = linear(x, y);
      scores = await s.readFloat();
      s.dispose();
    } finally {
      x.dispose();
      y.dispose();
    }
    return topK(scores, k, threshold).map((h) => ({ index: rows[h.index], score: h.score }));
  }

  dispose(): void {
    for (const p of this.parts ?? []) p.dispose();
    this.parts = null;
    this.int8 = undefined;
  }
}
