import { ERF_SMALL, ERFC_TAIL, ERFC_TAIL_CLAMP, GELU_SMALL_UP_TO } from '../../../../ops/gelu-fit.js';

/** WGSL text of a Horner evaluation `v = (…(c0·x + c1)·x + …)`, one statement per coefficient. */
const horner = (v: string, x: string, coeffs: readonly number[]): string =>
  [`  var ${v} = ${coeffs[0]};`, ...coeffs.slice(1).map((c) => `  ${v} = ${v} * ${x} ${c < 0 ? '-' : '+'} ${Math.abs(c)};`)].join('\n');

/**
 * WGSL has no erf: GELU from the shared float32 fits (ops/gelu-fit.ts). The tail takes t² split so
 * that the square is exact in float32. The GPU test measures it against float64 erf.
 */
export const ERF_WGSL = /* wgsl */ `
fn erf_small(z: f32) -> f32 {
  let s = z * z;
${horner('r', 's', ERF_SMALL)}
  return z + z * r;
}

// erfc(t/√2) for t ≥ ${GELU_SMALL_UP_TO}
fn erfc_scaled_tail(t_in: f32) -> f32 {
  let t = min(t_in, ${ERFC_TAIL_CLAMP});
  let w = 1.0 / (1.0 + 0.3535533905932738 * t);
${horner('q', 'w', ERFC_TAIL)}
  // t² = hi² + (t − hi)(t + hi), hi with 12 mantissa bits so hi² is exact.
  let hi = bitcast<f32>(bitcast<u32>(t) & 0xfffff000u);
  return w * exp(-0.5 * hi * hi) * exp(0.5 * (hi - t) * (t + hi) + q);
}

fn gelu(x: f32) -> f32 {
  if (abs(x) <= ${GELU_SMALL_UP_TO}) { return 0.5 * x * (1.0 + erf_small(x * 0.7071067811865476)); }
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
