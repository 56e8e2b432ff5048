/** Per-tensor comparison used by `mobileclip parity`: max |Δ|, |Δ| relative to max |ref|, cosine per row. */
export interface TensorReport {
  name: string;
  shape: number[];
  maxAbs: number;
  maxRef: number;
  /** maxAbs / maxRef */
  rel: number;
  /** For embeddings and features: the worst cosine similarity over rows. */
  minCosine?: number;
  ok: boolean;
}

/** The one comparison of an output with its reference (parity and the tests). */
export interface Diff {
  maxAbs: number;
  /** The largest finite |ref|. */
  maxRef: number;
  /** maxAbs / maxRef */
  rel: number;
  /** Position of the largest error (-1 when none, or the lengths differ). */
  at: number;
}

/**
 * max |got − ref| and max |ref| (finite values only, so an infinite reference cannot make every
 * error relatively small). Equal values, equal infinities too, match; a NaN on either side, or an
 * infinity against anything else, is an infinite error at its position; different lengths are an
 * infinite error.
 */
export function diff(got: ArrayLike<number>, ref: ArrayLike<number>): Diff {
  if (got.length !== ref.length) return { maxAbs: Infinity, maxRef: 0, rel: Infinity, at: -1 };
  let maxAbs = 0;
  let maxRef = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    if (Number.isFinite(r)) maxRef = Math.max(maxRef, Math.abs(r));
    if (g === r) continue;
    const d = Math.abs(g - r);
    const e = Number.isFinite(d) ? d : Infinity;
    if (e > maxAbs) {
      maxAbs = e;
      at = i;
    }
  }
  return { maxAbs, maxRef, rel: maxRef > 0 ? maxAbs / maxRef : maxAbs, at };
}

export const fmtDiff = (d: Diff): string => `max|Δ|=${d.maxAbs.toExponential(2)} rel=${d.rel.toExponential(2)} (max|ref|=${d.maxRef.toPrecision(3)})`;

export function compareTensor(name: string, shape: number[], got: Float32Array, ref: Float32Array, tol: number, rows?: number): TensorReport {
  const { maxAbs, maxRef, rel } = diff(got, ref);
  const bad = got.length !== ref.length;
  const r: TensorReport = { name, shape, maxAbs, maxRef, rel, ok: rel <= tol };
  if (rows && !bad) {
    const d = ref.length / rows;
    let minCos = 1;
    for (let i = 0; i < rows; i++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let k = 0; k < d; k++) {
        const a = got[i * d + k];
        const b = ref[i * d + k];
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
      minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
    }
    r.minCosine = minCos;
  }
  return r;
}
