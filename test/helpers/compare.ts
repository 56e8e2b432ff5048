/**
 * The tests' assertion over the one comparison helper (src/parity/compare.ts, which `mobileclip
 * parity` uses too): max-abs error, and max-abs error relative to the reference's largest finite
 * magnitude (activations are heavy-tailed, so scale by absmax, not std). Prints both and asserts.
 */
import { expect } from 'vitest';
import { type Diff, diff as parityDiff, fmtDiff } from '../../src/parity/compare.js';

export { type Diff, fmtDiff } from '../../src/parity/compare.js';

/** The parity command's comparison (src/parity/compare.ts); different lengths are a test error here. */
export function diff(got: ArrayLike<number>, ref: ArrayLike<number>): Diff {
  if (got.length !== ref.length) throw new Error(`length mismatch: got ${got.length}, reference ${ref.length}`);
  return parityDiff(got, ref);
}

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
