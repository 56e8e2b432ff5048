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

export function compareTensor(name: string, shape: number[], got: Float32Array, ref: Float32Array, tol: number, rows?: number): TensorReport {
  let maxAbs = 0;
  let maxRef = 0;
  let bad = got.length !== ref.length;
  for (let i = 0; i < ref.length && !bad; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  if (bad) maxAbs = Infinity;
  const rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
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
