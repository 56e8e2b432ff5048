/**
 * Rows of embeddings held on a backend for repeated similarity queries (a search index in memory):
 * uploaded once, in chunks that fit the backend's largest tensor, and kept, so a query costs one
 * product per chunk — on the CPU backend the rows are also laid out for its GEMM once, not per query.
 */
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import { linear } from '../ops/gemm.js';
import type { Embeddings } from './mobileclip.js';

export class EmbeddingMatrix {
  private parts: Tensor[] = [];
  readonly count: number;
  readonly dim: number;

  constructor(
    private readonly backend: Backend,
    rows: Embeddings,
    /** The most query rows a `scores` call takes (bounds each product's output). */
    private readonly maxQueries = 64,
  ) {
    this.count = rows.count;
    this.dim = rows.dim;
    const chunk = Math.max(1, Math.floor(backend.maxTensorBytes / 4 / Math.max(rows.dim, maxQueries)));
    for (let from = 0; from < rows.count; from += chunk) {
      const n = Math.min(chunk, rows.count - from);
      this.parts.push(backend.keep(backend.upload(rows.data.subarray(from * rows.dim, (from + n) * rows.dim), [n, rows.dim])));
    }
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
      for (const part of this.parts) {
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

  dispose(): void {
    for (const p of this.parts) p.dispose();
    this.parts = [];
  }
}
