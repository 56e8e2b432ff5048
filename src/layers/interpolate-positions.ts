import type { Tensor } from '../runtime/tensor.js';
import type { WeightStore } from './weights.js';

/**
 * Resizes a positional table [len, C] to [newLen, C] as the reference does when the sequence length
 * differs from the table (F.interpolate bilinear, align_corners=False, on a [1, 1, len, C] tensor):
 * linear interpolation along the sequence only.
 *   src = max(0, fp32(len/newLen)·(i + 0.5) − 0.5), i0 = ⌊src⌋, i1 = min(i0 + 1, len − 1)
 * The ratio is rounded to float32 first, as PyTorch does, and src is computed in double.
 */
export function interpolatePositions(table: Float32Array, len: number, channels: number, newLen: number): Float32Array {
  if (table.length !== len * channels) throw new RangeError(`interpolatePositions: table has ${table.length} values, expected ${len}×${channels}`);
  if (newLen === len) return table.slice();
  const ratio = Math.fround(len / newLen);
  const out = new Float32Array(newLen * channels);
  for (let i = 0; i < newLen; i++) {
    const src = Math.max(0, ratio * (i + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(src), len - 1);
    const i1 = Math.min(i0 + 1, len - 1);
    const lam = Math.fround(src - i0);
    const l0 = Math.fround(1 - lam);
    for (let c = 0; c < channels; c++) {
      out[i * channels + c] = Math.fround(l0 * table[i0 * channels + c]) + Math.fround(lam * table[i1 * channels + c]);
    }
  }
  return out;
}

/** A learned positional table, uploaded once per sequence length it is used with. */
export class PositionalTable {
  private readonly byLength = new Map<number, Tensor>();
  private readonly byPrefix = new Map<number, Tensor>();

  constructor(
    private readonly store: WeightStore,
    private readonly label: string,
    private readonly table: Float32Array,
    readonly length: number,
    readonly dim: number,
  ) {}

  /** [n, dim], n ≤ length: the table's first n rows (a causal tower's exact shortcut, not an interpolation). */
  prefix(n: number): Tensor {
    if (!Number.isInteger(n) || n < 1 || n > this.length) throw new RangeError(`${this.label}: a prefix of ${n} positions of a table of ${this.length}`);
    if (n === this.length) return this.forLength(n);
    let t = this.byPrefix.get(n);
    if (!t) {
      t = this.store.upload(`${this.label} (first ${n} positions)`, this.table.subarray(0, n * this.dim), [n, this.dim]);
      this.byPrefix.set(n, t);
    }
    return t;
  }

  /** [n, dim]: the table itself, or its interpolation to n positions. */
  forLength(n: number): Tensor {
    let t = this.byLength.get(n);
    if (!t) {
      t = this.store.upload(`${this.label} (${n} positions)`, interpolatePositions(this.table, this.length, this.dim, n), [n, this.dim]);
      this.byLength.set(n, t);
    }
    return t;
  }
}
