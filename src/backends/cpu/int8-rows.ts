/**
 * Rows of embeddings as int8, for a similarity search that reads a quarter of the bytes and stays
 * exact: each query's int8 scores come with a bound on how far they can be from the float32
 * product's, so only the rows whose bound reaches the k-th best are rescored in float32 by the
 * caller. In an instance of the kernels of its own (the rows stay in its memory).
 *
 * The bound for row r, query q (ê, q̂ the integers; s_r, s_q their scales):
 *   |e·q − s_r·s_q·(ê·q̂)| ≤ ‖e − s_r ê‖·‖q‖ + ‖s_r ê‖·‖q − s_q q̂‖          (Cauchy–Schwarz, twice)
 * plus the float32 product's own rounding, ≤ dim·2⁻²⁴·‖e‖·‖q‖ (γ_dim), and the f32 rounding of the
 * norms the kernel accumulates (a factor 1 + 1e-3 covers dim ≤ 16384 with room).
 */
import { type KernelInstance, kernelInstance } from './wasm-kernels.js';

/** Rows quantized per call of the kernel (their float32 staged in the instance's memory). */
const CHUNK_ROWS = 4096;

export class Int8Rows {
  private readonly dimPad: number;
  private readonly at: { query: number; out: number; scale: number; err: number; norm: number; rows: number; stage: number };
  private readonly qMax: number;

  private constructor(
    private readonly k: KernelInstance,
    readonly count: number,
    readonly dim: number,
  ) {
    this.dimPad = Math.ceil(dim / 16) * 16;
    const query = 0;
    const out = query + this.dimPad * 2;
    const scale = out + count * 4;
    const err = scale + count * 4;
    const norm = err + count * 4;
    const rows = norm + count * 4;
    const stage = rows + count * this.dimPad;
    this.at = { query, out, scale, err, norm, rows, stage };
    const bytes = stage + CHUNK_ROWS * this.dimPad * 4;
    const need = bytes - k.memory.buffer.byteLength;
    if (need > 0) k.memory.grow(Math.ceil(need / 65536)); // a RangeError past 4 GiB: create() answers null
    // Exact int32 sums: dimPad · 127 · |q̂| < 2³¹.
    this.qMax = Math.min(32767, Math.floor((2 ** 31 - 1) / (this.dimPad * 127)));
  }

  /**
   * `rows` [count × dim] as int8 rows; null where the engine has no WebAssembly SIMD, or where they
   * do not fit one WebAssembly memory (4 GiB: about 7 M rows of 512): the caller computes every score then.
   */
  static create(rows: Float32Array, count: number, dim: number): Int8Rows | null {
    const k = kernelInstance();
    if (!k) return null;
    if (rows.length !== count * dim) throw new RangeError(`Int8Rows: ${rows.length} values for ${count} × ${dim}`);
    let self: Int8Rows;
    try {
      self = new Int8Rows(k, count, dim);
    } catch (e) {
      if (e instanceof RangeError) return null;
      throw e;
    }
    const { stage, rows: dst, scale, err, norm } = self.at;
    const d = self.dimPad;
    for (let r0 = 0; r0 < count; r0 += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, count - r0);
      const f = new Float32Array(k.memory.buffer, stage, n * d);
      if (d === dim) f.set(rows.subarray(r0 * dim, (r0 + n) * dim));
      else {
        f.fill(0);
        for (let r = 0; r < n; r++) f.set(rows.subarray((r0 + r) * dim, (r0 + r + 1) * dim), r * d);
      }
      k.exports.quantize_i8(stage, dst + r0 * d, n, d, scale + r0 * 4, err + r0 * 4, norm + r0 * 4);
    }
    return self;
  }

  /**
   * The rows that can be among the `topK` best for `q` (by the float32 product) or reach
   * `threshold`, ascending: every row whose upper bound reaches the k-th best lower bound.
   */
  candidates(q: Float32Array, topK: number, threshold = -Infinity): Int32Array {
    const { dim, count } = this;
    if (q.length !== dim) throw new RangeError(`Int8Rows: a query of ${q.length} values, rows of ${dim}`);
    const mem = this.k.memory.buffer;
    let qAbs = 0;
    let qNorm2 = 0;
    for (let i = 0; i < dim; i++) {
      qAbs = Math.max(qAbs, Math.abs(q[i]));
      qNorm2 += q[i] * q[i];
    }
    const sq = qAbs > 0 ? qAbs / this.qMax : 0;
    const qi = new Int16Array(mem, this.at.query, this.dimPad);
    qi.fill(0);
    let qErr2 = 0;
    for (let i = 0; i < dim; i++) {
      const v = sq > 0 ? Math.round(q[i] / sq) : 0;
      qi[i] = v;
      qErr2 += (q[i] - v * sq) ** 2;
    }
    this.k.exports.dot_i8(this.at.rows, this.at.query, count, this.dimPad, this.at.out);
    const dots = new Int32Array(mem, this.at.out, count);
    const scale = new Float32Array(mem, this.at.scale, count);
    const err = new Float32Array(mem, this.at.err, count);
    const norm = new Float32Array(mem, this.at.norm, count);
    const qNorm = Math.sqrt(qNorm2);
    const qErr = Math.sqrt(qErr2);
    const gamma = 2 * dim * 2 ** -24; // the f32 product's rounding, twice over for the bound's own arithmetic
    // One pass: each row's bounds, and the k best lower bounds so far (a min-heap: its root is the
    // k-th best, below which no upper bound can reach the top k).
    const approx = new Float64Array(count);
    const slack = new Float64Array(count);
    const heap = new Float64Array(Math.min(topK, count));
    let filled = 0;
    for (let r = 0; r < count; r++) {
      const a = scale[r] * sq * dots[r];
      const e = (err[r] * qNorm + norm[r] * qErr) * 1.001 + gamma * (norm[r] + err[r]) * qNorm + 1e-30;
      approx[r] = a;
      slack[r] = e;
      const lower = a - e;
      if (filled < heap.length) {
        // Sift up.
        let at = filled++;
        heap[at] = lower;
        while (at > 0 && heap[(at - 1) >> 1] > heap[at]) {
          const p = (at - 1) >> 1;
          [heap[p], heap[at]] = [heap[at], heap[p]];
          at = p;
        }
      } else if (lower > heap[0]) {
        // Replace the root, sift down.
        heap[0] = lower;
        for (let at = 0; ; ) {
          const l = 2 * at + 1;
          const rr = l + 1;
          let m = at;
          if (l < filled && heap[l] < heap[m]) m = l;
          if (rr < filled && heap[rr] < heap[m]) m = rr;
          if (m === at) break;
          [heap[m], heap[at]] = [heap[at], heap[m]];
          at = m;
        }
      }
    }
    const cut = Math.max(threshold, topK < count ? heap[0] : -Infinity);
    let n = 0;
    const out = new Int32Array(count);
    for (let r = 0; r < count; r++) if (approx[r] + slack[r] >= cut) out[n++] = r;
    return out.slice(0, n);
  }
}
