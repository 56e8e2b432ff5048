/**
 * The fused tail every GEMM kernel shares: out = act(acc + bias) · scale + residual, with bias and
 * scale indexed along M or N. Its bindings follow the kernel's four fixed ones (params, a, b, out).
 * The types every GEMM file shares live here too, so the kernels and matmul.ts import no cycle.
 */
import { ACTIVATION_WGSL, ACTIVATIONS, type Activation, type ActivationChoice, activationChoice, activationParams, activationParamTypes, activationWgsl, ERF_WGSL } from './wgsl/math.js';
import { type Element, type KernelSignature, type ParamType, input, output } from '../kernel.js';

export type { Along, BLayout } from '../../../runtime/backend-ops.js';
import type { Along, BLayout } from '../../../runtime/backend-ops.js';

/** What a product asks of its epilogue. */
export interface Epilogue {
  bias: Along | null;
  scale: Along | null;
  residual: boolean;
  act: Activation;
}

/** The epilogue a kernel's text compiles (canonicalEpilogue maps a product's to it). */
export interface EpilogueVariant extends Omit<Epilogue, 'act'> {
  act: ActivationChoice;
  /**
   * One kernel for every epilogue: bias, scale and residual always bound (the Gpu's placeholder
   * where absent) and chosen with the activation by the uniform's flags (epilogueParams); the
   * other fields are then ignored.
   */
  runtime?: boolean;
  /**
   * The vector epilogue (N % 4 == 0: a subgroup lane's four columns): the output, the residual and
   * an operand along N are vec4s, and bias and scale run along the axis the text fixes. The scalar
   * one takes their axis from the uniform (`bias_m`, `scale_m`), so one text serves both.
   */
  vector?: boolean;
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
  const axisFlags: Record<string, ParamType> = v.vector ? {} : { ...(v.bias && { bias_m: 'u32' }), ...(v.scale && { scale_m: 'u32' }) };
  const flags: Record<string, ParamType> = v.runtime
    ? { biasAlong: 'u32', scaleAlong: 'u32', residualOn: 'u32', act: 'u32' }
    : { ...axisFlags, ...(v.residual && { residual_zero: 'u32' }), ...activationParamTypes(v.act) };
  const vec4 = (yes: boolean | null | undefined): Element => (yes ? 'vec4<f32>' : 'f32');
  return {
    params: { M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', strideOut: 'u32', ...flags, ...extra },
    bindings: {
      a: input(a),
      b: input(b),
      out: output(vec4(v.vector)),
      ...((v.runtime || v.bias) && { bias: input(vec4(v.vector && v.bias === 'n')) }),
      ...((v.runtime || v.scale) && { scale: input(vec4(v.vector && v.scale === 'n')) }),
      ...((v.runtime || v.residual) && { residual: input(vec4(v.vector)) }),
    },
    enable,
  };
}

const ALONG_FLAG = { none: 0, m: 1, n: 2 } as const;

/**
 * The uniform fields saying what the epilogue of kernel `code` does for a product that asked for
 * `asked`: for the specialised text the axis of bias and scale (scalar text), whether the residual
 * is the zero vector and, for 'gelu?', whether to apply GELU; for the run-time one all its flags.
 */
export function epilogueParams(code: EpilogueVariant, asked: Epilogue, zeroResidual = false): Record<string, number> {
  if (code.runtime) return { biasAlong: ALONG_FLAG[asked.bias ?? 'none'], scaleAlong: ALONG_FLAG[asked.scale ?? 'none'], residualOn: asked.residual ? 1 : 0, act: ACTIVATIONS.indexOf(asked.act) };
  const axes = code.vector ? {} : { ...(code.bias && { bias_m: code.bias === 'm' ? 1 : 0 }), ...(code.scale && { scale_m: code.scale === 'm' ? 1 : 0 }) };
  return { ...axes, ...(code.residual && { residual_zero: zeroResidual ? 1 : 0 }), ...activationParams(code.act, asked.act) };
}

/**
 * The specialised epilogue a product runs, and the identity operands it binds for that: every
 * product adds a bias (zeros where it has none), and one activated by GELU or nothing runs the
 * 'gelu?' text with a scaled residual (scaled by ones where unscaled, −0s read at the output's
 * column where there is none: `residual_zero`), so the linears and 1×1 convs with and without
 * GELU or a skip connection share one kernel per operand layout. The identity operands run along
 * `identity` (the layout's usual axis: M for "kn", whose real biases are a 1×1 conv's, N for
 * "nk"), so a product without a bias shares the kernel of one with where the axis is fixed in
 * the text (the vector epilogue). One compile each costs
 * lavapipe 0.3–0.5 s; an identity operand costs a load per output and changes no bit: x + −0
 * and x · 1 are x for every x (a +0 would turn a −0 sum +0).
 */
export function canonicalEpilogue(v: Epilogue, identity: Along): { variant: EpilogueVariant; zeroBias: Along | null; unitScale: Along | null; zeroResidual: boolean } {
  const bias = v.bias ?? v.scale ?? identity;
  const act = activationChoice(v.act);
  const residual = v.residual || act === 'gelu?';
  const scale = v.scale ?? (residual ? bias : null);
  return { variant: { ...v, act, bias, scale, residual }, zeroBias: v.bias ? null : bias, unitScale: v.scale || !scale ? null : scale, zeroResidual: residual && !v.residual };
}

export function epilogueKey(v: EpilogueVariant): string {
  return `${v.bias ? `.bias_${v.bias}` : ''}${v.scale ? `.scale_${v.scale}` : ''}${v.residual ? '.res' : ''}.${v.act}`;
}

/**
 * `fn epilogue(v, m, n, o)` for output index o, or for the vector epilogue `fn epilogue4(v, m, n,
 * o)` for the four outputs from o on (columns n..n + 3; n and o multiples of 4): the same
 * operations per output, with one load for the residual and an operand along N, one for an
 * operand along M, and one store. lavapipe emits each lane-varying access as 8 branchy scalar
 * ones, so four loads of each operand at an axis the uniform picks and four stores cost a GEMM
 * ~150 ms of its ~450 ms compile.
 */
export function epilogueWgsl(v: EpilogueVariant): string {
  if (v.runtime) return RUNTIME_EPILOGUE_WGSL;
  const vector = !!v.vector;
  const operand = (name: 'bias' | 'scale', axis: Along) =>
    !vector ? `load_${name}(select(n, m, p.${name}_m == 1u))` : axis === 'n' ? `load_${name}(n / 4u)` : `vec4(load_${name}(m))`;
  const activate = !vector
    ? 'v = activate(v);'
    : v.act === 'none'
      ? ''
      : v.act === 'gelu?'
        ? 'if (p.gelu == 1u) { v = vec4(gelu(v.x), gelu(v.y), gelu(v.z), gelu(v.w)); }'
        : 'v = vec4(activate(v.x), activate(v.y), activate(v.z), activate(v.w));';
  const type = vector ? 'vec4<f32>' : 'f32';
  return `${activationWgsl(v.act)}
fn epilogue${vector ? '4' : ''}(acc: ${type}, m: u32, n: u32, o: u32) -> ${type} {
  var v = acc;
  ${v.bias ? `v = v + ${operand('bias', v.bias)};` : ''}
  ${activate}
  ${v.scale ? `v = v * ${operand('scale', v.scale)};` : ''}
  ${v.residual ? `v = v + load_residual(select(o, n, p.residual_zero == 1u)${vector ? ' / 4u' : ''});` : ''}
  return v;
}`;
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
