/**
 * GELU(x) = 0.5·x·(1 + erf(x/√2)) from our own float32 fits (least squares in float64, evaluated
 * by Horner), the one source every backend evaluates: the WGSL kernels, the CPU's WebAssembly
 * (kernels.wat spells the same numbers; a test checks) and its TypeScript fallback.
 *  - |x| ≤ 1.2374 (|x/√2| ≤ 0.875): erf(z) = z + z·P(z²), max error 5e-8;
 *  - beyond: erfc(t/√2) = w·exp(−t²/2 + Q(w)), t = |x|, w = 1/(1 + t/(2√2)), fit error 4e-9. It is
 *    taken in x directly (no rounding of x/√2), and keeps full relative precision in the negative
 *    tail, where GELU = 0.5·x·erfc(−x/√2); PyTorch's 0.5·x·(1 + erf) loses ~1e-4 relative there.
 */

/** P's coefficients, highest power first: r = (((c0·s + c1)·s + …)·s + c6), erf(z) = z + z·r, s = z². */
export const ERF_SMALL = [
  8.643504734156995e-5, -0.0008205637949759792, 0.005206435031575912, -0.026861522359817664, 0.11283732957113042, -0.3761263613006763,
  0.1283791668828856,
] as const;

/** Q's coefficients, highest power first, in w. */
export const ERFC_TAIL = [
  0.21273615619117334, -1.038629903102553, 1.946292638264915, -1.6596472562432805, 0.6383543579594304, -0.33892047027805844,
  0.13677829934646338, 0.3678774660897338, 1.0005432462599755, -1.2655301956055822,
] as const;

/** Where the small-|x| form hands over to the tail form (|x/√2| = 0.875). */
export const GELU_SMALL_UP_TO = 1.2374368670764582;

/** The tail's argument is clamped here: erfc is 0 in float32 well before. */
export const ERFC_TAIL_CLAMP = 14.5;
