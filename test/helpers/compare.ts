/**
 * The one parity helper: max-abs error, and max-abs error relative to the reference's largest
 * magnitude (activations are heavy-tailed, so scale by absmax, not std). Prints both and asserts.
 */
import { expect } from 'vitest';

export interface Diff {
  maxAbs: number;
  maxRef: number;
  /** maxAbs / maxRef */
  rel: number;
  /** Position of the largest error. */
  at: number;
}

export function diff(got: ArrayLike<number>, ref: ArrayLike<number>): Diff {
  if (got.length !== ref.length) throw new Error(`length mismatch: got ${got.length}, reference ${ref.length}`);
  let maxAbs = 0;
  let maxRef = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    if (Number.isNaN(r) !== Number.isNaN(g)) return { maxAbs: Infinity, maxRef, rel: Infinity, at: i };
    if (r === g) {
      maxRef = Math.max(maxRef, Math.abs(r) === Infinity ? 0 : Math.abs(r));
      continue; // also equal infinities
    }
    const d = Math.abs(g - r);
    if (!(d <= maxAbs)) {
      maxAbs = d;
      at = i;
    }
    maxRef = Math.max(maxRef, Math.abs(r));
  }
  return { maxAbs, maxRef, rel: maxRef > 0 ? maxAbs / maxRef : maxAbs, at };
}

export const fmtDiff = (d: Diff): string => `max|Δ|=${d.maxAbs.toExponential(2)} rel=${d.rel.toExponential(2)} (max|ref|=${d.maxRef.toPrecision(3)})`;

/**
 * Asserts max|Δ| ≤ rel·max|ref| (+ abs). Tolerances come from float32: the fixtures' measured
 * rounding noise is a few 1e-6 of each tensor's range.
 */
export function expectClose(name: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: { rel?: number; abs?: number } = {}): Diff {
  const d = diff(got, ref);
  const rel = tol.rel ?? 1e-5;
  const abs = tol.abs ?? 0;
  const bound = rel * d.maxRef + abs;
  const ok = d.maxAbs <= bound;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${fmtDiff(d)} bound=${bound.toExponential(2)}`);
  if (!ok) {
    const i = d.at;
    expect.fail(`${name}: ${fmtDiff(d)} exceeds ${bound.toExponential(2)}; at [${i}] got ${got[i]}, reference ${ref[i]}`);
  }
  return d;
}
