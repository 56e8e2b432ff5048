/**
 * WGSL has no erf. GELU(x) = 0.5·x·(1 + erf(x/√2)) from our own float32 fits (least squares in
 * float64, evaluated by Horner):
 *  - |x| ≤ 1.2374 (|x/√2| ≤ 0.875): erf(z) = z + z·P(z²), max error 5e-8;
 *  - beyond: erfc(t/√2) = w·exp(−t²/2 + Q(w)), t = |x|, w = 1/(1 + t/(2√2)), fit error 4e-9. It is
 *    taken in x directly (no rounding of x/√2) with t² split so that the square is exact, and keeps
 *    full relative precision in the negative tail, where GELU = 0.5·x·erfc(−x/√2); PyTorch's
 *    0.5·x·(1 + erf) loses ~1e-4 relative there. The GPU test measures it against float64 erf.
 */
export const ERF_WGSL = /* wgsl */ `
fn erf_small(z: f32) -> f32 {
  let s = z * z;
  var r = 8.643504734156995e-05;
  r = r * s - 0.0008205637949759792;
  r = r * s + 0.005206435031575912;
  r = r * s - 0.026861522359817664;
  r = r * s + 0.11283732957113042;
  r = r * s - 0.3761263613006763;
  r = r * s + 0.1283791668828856;
  return z + z * r;
}

// erfc(t/√2) for t ≥ 1.2374
fn erfc_scaled_tail(t_in: f32) -> f32 {
  let t = min(t_in, 14.5);
  let w = 1.0 / (1.0 + 0.3535533905932738 * t);
  var q = 0.21273615619117334;
  q = q * w - 1.038629903102553;
  q = q * w + 1.946292638264915;
  q = q * w - 1.6596472562432805;
  q = q * w + 0.6383543579594304;
  q = q * w - 0.33892047027805844;
  q = q * w + 0.13677829934646338;
  q = q * w + 0.3678774660897338;
  q = q * w + 1.0005432462599755;
  q = q * w - 1.2655301956055822;
  // t² = hi² + (t − hi)(t + hi), hi with 12 mantissa bits so hi² is exact.
  let hi = bitcast<f32>(bitcast<u32>(t) & 0xfffff000u);
  return w * exp(-0.5 * hi * hi) * exp(0.5 * (hi - t) * (t + hi) + q);
}

fn gelu(x: f32) -> f32 {
  if (abs(x) <= 1.2374368670764582) { return 0.5 * x * (1.0 + erf_small(x * 0.7071067811865476)); }
  if (x < 0.0) { return 0.5 * x * erfc_scaled_tail(-x); }
  return x - 0.5 * x * erfc_scaled_tail(x);
}

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}
`;

export { type Activation, ACTIVATIONS } from '../../../../runtime/backend-ops.js';
import type { Activation } from '../../../../runtime/backend-ops.js';

/** Each activation applied to the WGSL expression `x`. */
export const ACTIVATION_WGSL: Record<Activation, (x: string) => string> = {
  none: (x) => x,
  gelu: (x) => `gelu(${x})`,
  relu: (x) => `max(${x}, 0.0)`,
  sigmoid: (x) => `sigmoid(${x})`,
};

/**
 * The activation a kernel's text fixes, or 'gelu?': GELU or none, chosen by the uniform's `gelu`
 * flag. MobileCLIP's convs and GEMMs come with and without GELU, and each text is a compile
 * (lavapipe 0.2–0.5 s) that a uniform branch per output saves.
 */
export type ActivationChoice = Activation | 'gelu?';

/** The text that runs `act`: none and GELU share one. */
export const activationChoice = (act: Activation): ActivationChoice => (act === 'none' || act === 'gelu' ? 'gelu?' : act);

/** The uniform field a text of `choice` declares (`gelu: u32` for 'gelu?'). */
export const activationParamTypes = (choice: ActivationChoice): Record<string, 'u32'> => (choice === 'gelu?' ? { gelu: 'u32' } : {});

/** Its value for a product activated by `act`. */
export const activationParams = (choice: ActivationChoice, act: Activation): Record<string, number> => (choice === 'gelu?' ? { gelu: act === 'gelu' ? 1 : 0 } : {});

/** `fn activate(x: f32) -> f32` for the chosen activation, plus the helpers it needs. */
export function activationWgsl(act: ActivationChoice): string {
  const body = act === 'gelu?' ? 'if (p.gelu == 1u) { return gelu(x); } return x;' : `return ${ACTIVATION_WGSL[act]('x')};`;
  return `${ERF_WGSL}\nfn activate(x: f32) -> f32 { ${body} }\n`;
}
