/**
 * GELU's erf, from the same float32 fits the WGSL kernels use (kernels/wgsl/math.ts: least squares
 * in float64, max error 5e-8 near 0, 4e-9 in the tail), evaluated here in float64: a few
 * multiply-adds per element instead of a series, and exact to float32 rounding.
 */

/** erf(z) for |z| ≤ 0.875. */
function erfSmall(z: number): number {
  const s = z * z;
  let r = 8.643504734156995e-5;
  r = r * s - 0.0008205637949759792;
  r = r * s + 0.005206435031575912;
  r = r * s - 0.026861522359817664;
  r = r * s + 0.11283732957113042;
  r = r * s - 0.3761263613006763;
  r = r * s + 0.1283791668828856;
  return z + z * r;
}

/** erfc(t/√2) for t ≥ 1.2374. */
function erfcScaledTail(tIn: number): number {
  const t = Math.min(tIn, 14.5);
  const w = 1 / (1 + 0.3535533905932738 * t);
  let q = 0.21273615619117334;
  q = q * w - 1.038629903102553;
  q = q * w + 1.946292638264915;
  q = q * w - 1.6596472562432805;
  q = q * w + 0.6383543579594304;
  q = q * w - 0.33892047027805844;
  q = q * w + 0.13677829934646338;
  q = q * w + 0.3678774660897338;
  q = q * w + 1.0005432462599755;
  q = q * w - 1.2655301956055822;
  return w * Math.exp(-0.5 * t * t + q);
}

/** GELU(x) = 0.5·x·(1 + erf(x/√2)), with the negative tail in erfc form (full relative precision there). */
export function gelu(x: number): number {
  if (Math.abs(x) <= 1.2374368670764582) return 0.5 * x * (1 + erfSmall(x * Math.SQRT1_2));
  if (x < 0) return 0.5 * x * erfcScaledTail(-x);
  return x - 0.5 * x * erfcScaledTail(x);
}
