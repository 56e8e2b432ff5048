/**
 * WGSL has no erf. These are our own float32 fits (least squares in float64, evaluated by Horner):
 *  - |z| <= 0.875: erf(z) = z + z·P(z²), max error 5e-8;
 *  - |z| >  0.875: erfc(z) = w·exp(-z² + Q(w)) with w = 1/(1 + z/2), which keeps full relative
 *    precision in the tail, so GELU of large negative inputs does not cancel (0.5·x·erfc(-x/√2)).
 * The GPU test measures the result against a float64 erf on [-10, 10].
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

// erfc(t) for t >= 0.875
fn erfc_tail(t_in: f32) -> f32 {
  let t = min(t_in, 10.0);
  let w = 1.0 / (1.0 + 0.5 * t);
  var q = 0.27762789135434757;
  q = q * w - 1.3012177884021574;
  q = q * w + 2.409991926493422;
  q = q * w - 2.1281952170446865;
  q = q * w + 0.9366312305140397;
  q = q * w - 0.4628717595848942;
  q = q * w + 0.17037678227556316;
  q = q * w + 0.3621525195265743;
  q = q * w + 1.001099451569831;
  q = q * w - 1.265553650258021;
  return w * exp(q - t * t);
}

fn erf(z: f32) -> f32 {
  let a = abs(z);
  if (a <= 0.875) { return erf_small(z); }
  return sign(z) * (1.0 - erfc_tail(a));
}

// Exact (erf) GELU: 0.5·x·(1 + erf(x/√2)).
fn gelu(x: f32) -> f32 {
  let z = x * 0.7071067811865476;
  if (abs(z) <= 0.875) { return 0.5 * x * (1.0 + erf_small(z)); }
  if (z < 0.0) { return 0.5 * x * erfc_tail(-z); }
  return x - 0.5 * x * erfc_tail(z);
}

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}
`;

export type Activation = 'none' | 'gelu' | 'relu' | 'sigmoid';

export const ACTIVATIONS: readonly Activation[] = ['none', 'gelu', 'relu', 'sigmoid'];

/** `fn activate(x: f32) -> f32` for the chosen activation, plus the helpers it needs. */
export function activationWgsl(act: Activation): string {
  const body = { none: 'x', gelu: 'gelu(x)', relu: 'max(x, 0.0)', sigmoid: 'sigmoid(x)' }[act];
  return `${ERF_WGSL}\nfn activate(x: f32) -> f32 { return ${body}; }\n`;
}
