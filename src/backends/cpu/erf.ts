/**
 * GELU for the CPU's TypeScript kernels, from the shared float32 fits (ops/gelu-fit.ts) evaluated
 * in float64: a few multiply-adds per element instead of a series, and exact to float32 rounding.
 */
import { ERF_SMALL, ERFC_TAIL, ERFC_TAIL_CLAMP, GELU_SMALL_UP_TO } from '../../ops/gelu-fit.js';

const horner = (coeffs: readonly number[], x: number): number => coeffs.reduce((acc, c) => acc * x + c, 0);

/** erfc(t/√2) for t past GELU_SMALL_UP_TO. */
function erfcScaledTail(tIn: number): number {
  const t = Math.min(tIn, ERFC_TAIL_CLAMP);
  const w = 1 / (1 + 0.3535533905932738 * t);
  return w * Math.exp(-0.5 * t * t + horner(ERFC_TAIL, w));
}

/** GELU(x) = 0.5·x·(1 + erf(x/√2)), with the negative tail in erfc form (full relative precision there). */
export function gelu(x: number): number {
  if (Math.abs(x) <= GELU_SMALL_UP_TO) {
    const z = x * Math.SQRT1_2;
    return 0.5 * x * (1 + z + z * horner(ERF_SMALL, z * z));
  }
  if (x < 0) return 0.5 * x * erfcScaledTail(-x);
  return x - 0.5 * x * erfcScaledTail(x);
}
