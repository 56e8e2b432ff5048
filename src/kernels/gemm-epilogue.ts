/**
 * The fused tail every GEMM kernel shares: out = act(acc + bias) · scale + residual, with bias and
 * scale indexed along M or N. Its bindings follow the kernel's four fixed ones (params, a, b, out).
 * The types every GEMM file shares live here too, so the kernels and matmul.ts import no cycle.
 */
import { ACTIVATION_WGSL, ACTIVATIONS, type Activation, activationWgsl, ERF_WGSL } from './wgsl/math.js';
import { type Element, type KernelSignature, type ParamType, input, output } from '../gpu/kernel.js';

export type Along = 'm' | 'n';

/** How the GEMM's B operand is stored: [N, K] (a linear layer's weight) or [K, N]. */
export type BLayout = 'nk' | 'kn';

export interface EpilogueVariant {
  bias: Along | null;
  scale: Along | null;
  residual: boolean;
  act: Activation;
  /**
   * One kernel for every epilogue: bias, scale and residual always bound (the Gpu's placeholder
   * where absent) and chosen with the activation by the uniform's flags (epilogueParams); the
   * other fields are then ignored.
   */
  runtime?: boolean;
}

/** The variant the run-time epilogue compiles as (one code text for every epilogue). */
export const RUNTIME_EPILOGUE: EpilogueVariant = { bias: null, scale: null, residual: false, act: 'none', runtime: true };

/**
 * The interface every GEMM kernel declares: sizes and batch strides, A, B and the output, then the
 * epilogue's inputs (all three, and its flags, for the run-time epilogue).
 */
export function gemmSignature(
  v: EpilogueVariant,
  a: Element,
  b: Element,
  enable: KernelSignature['enable'] = [],
  extra: Readonly<Record<string, ParamType>> = {},
): KernelSignature {
  const flags: Record<string, ParamType> = v.runtime
    ? { biasAlong: 'u32', scaleAlong: 'u32', residualOn: 'u32', act: 'u32' }
    : { ...(v.bias && { bias_m: 'u32' }), ...(v.scale && { scale_m: 'u32' }), ...(v.residual && { residual_zero: 'u32' }) };
  return {
    params: { M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', strideOut: 'u32', ...flags, ...extra },
    bindings: {
      a: input(a),
      b: input(b),
      out: output(),
      ...((v.runtime || v.bias) && { bias: input() }),
      ...((v.runtime || v.scale) && { scale: input() }),
      ...((v.runtime || v.residual) && { residual: input() }),
    },
    enable,
  };
}

const ALONG_FLAG = { none: 0, m: 1, n: 2 } as const;

/**
 * The uniform fields saying what the epilogue does for one product `v`: for the specialised text
 * the axis bias and scale run along (one kernel serves both), for the run-time one all its flags.
 */
export function epilogueParams(v: EpilogueVariant, runtime: boolean, zeroResidual = false): Record<string, number> {
  if (runtime) return { biasAlong: ALONG_FLAG[v.bias ?? 'none'], scaleAlong: ALONG_FLAG[v.scale ?? 'none'], residualOn: v.residual ? 1 : 0, act: ACTIVATIONS.indexOf(v.act) };
  return { ...(v.bias && { bias_m: v.bias === 'm' ? 1 : 0 }), ...(v.scale && { scale_m: v.scale === 'm' ? 1 : 0 }), ...(v.residual && { residual_zero: zeroResidual ? 1 : 0 }) };
}

/**
 * The specialised epilogue a product runs, and the identity operands it binds for that: every
 * product adds a bias (zeros where it has none), every residual comes scaled (by ones where
 * unscaled), and a product without an activation adds a residual (zeros where it has none: a
 * vector of N zeros read at the output's column, `residual_zero`), so the kernels differ only by
 * activation: the linears with and without a skip connection share one. One compile each costs
 * lavapipe 0.3–0.5 s; an identity operand costs a load per output and changes no bit (x + 0 and
 * x · 1 are exact; only a −0 sum turns +0).
 */
export function canonicalEpilogue(v: EpilogueVariant): { variant: EpilogueVariant; zeroBias: Along | null; unitScale: Along | null; zeroResidual: boolean } {
  const bias = v.bias ?? v.scale ?? 'n';
  const residual = v.residual || v.act === 'none';
  const scale = v.scale ?? (residual ? bias : null);
  return { variant: { ...v, bias, scale, residual }, zeroBias: v.bias ? null : bias, unitScale: v.scale || !scale ? null : scale, zeroResidual: residual && !v.residual };
}

export function epilogueKey(v: EpilogueVariant): string {
  return `${v.bias ? `.bias_${v.bias}` : ''}${v.scale ? `.scale_${v.scale}` : ''}${v.residual ? '.res' : ''}.${v.act}`;
}

/** `fn epilogue(v, m, n, o)` for output index o. */
export function epilogueWgsl(v: EpilogueVariant): string {
  if (v.runtime) return RUNTIME_EPILOGUE_WGSL;
  const lines = [
    activationWgsl(v.act),
    `fn epilogue(acc: f32, m: u32, n: u32, o: u32) -> f32 {
  var v = acc;
  ${v.bias ? 'v = v + load_bias(select(n, m, p.bias_m == 1u));' : ''}
  v = activate(v);
  ${v.scale ? 'v = v * load_scale(select(n, m, p.scale_m == 1u));' : ''}
  ${v.residual ? 'v = v + load_residual(select(o, n, p.residual_zero == 1u));' : ''}
  return v;
}`,
  ];
  return lines.filter(Boolean).join('\n');
}

// The same operations in the same order as the specialised text above, each behind its flag.
const RUNTIME_EPILOGUE_WGSL = /* wgsl */ `
${ERF_WGSL}
fn epilogue(acc: f32, m: u32, n: u32, o: u32) -> f32 {
  var v = acc;
  if (p.biasAlong == 1u) { v = v + load_bias(m); } else if (p.biasAlong == 2u) { v = v + load_bias(n); }
  switch p.act {
    ${ACTIVATIONS.map((a, i) => `case ${i}u: { v = ${ACTIVATION_WGSL[a]('v')}; }`).join('\n    ')}
    default: {}
  }
  if (p.scaleAlong == 1u) { v = v * load_scale(m); } else if (p.scaleAlong == 2u) { v = v * load_scale(n); }
  if (p.residualOn == 1u) { v = v + load_residual(o); }
  return v;
}`;
