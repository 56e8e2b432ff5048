/** Float64 special functions for the CPU references (the GPU kernels are checked against these). */

/** erf in float64: Taylor series near 0, continued fraction for erfc in the tails (~1e-15). */
export function erf64(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const r = erfc64Tail(a);
  return x > 0 ? 1 - r : r - 1;
}

/** erfc(x) for x >= 2.5 by Lentz's continued fraction. */
function erfc64Tail(x: number): number {
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = x + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export const gelu64 = (x: number): number => 0.5 * x * (1 + erf64(x / Math.SQRT2));
export const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));
export const relu64 = (x: number): number => (x > 0 ? x : 0);
