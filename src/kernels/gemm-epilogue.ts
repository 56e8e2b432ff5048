/**
 * The fused tail every GEMM kernel shares: out = act(acc + bias) · scale + residual, with bias and
 * scale indexed along M or N. Its bindings follow the kernel's four fixed ones (params, a, b, out).
 * The types every GEMM file shares live here too, so the kernels and matmul.ts import no cycle.
 */
import { ACTIVATION_WGSL, ACTIVATIONS, type Activation, activationWgsl, ERF_WGSL } from './wgsl/math.js';

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

/** Fields the run-time epilogue appends to the kernel's `struct Params` (empty otherwise). */
export function epilogueParamsWgsl(v: EpilogueVariant): string {
  return v.runtime ? ', biasAlong: u32, scaleAlong: u32, residualOn: u32, act: u32' : '';
}

const ALONG_FLAG = { none: 0, m: 1, n: 2 } as const;

/** The run-time epilogue's uniform values for one product's epilogue (in epilogueParamsWgsl's order). */
export function epilogueParams(v: EpilogueVariant): number[] {
  return [ALONG_FLAG[v.bias ?? 'none'], ALONG_FLAG[v.scale ?? 'none'], v.residual ? 1 : 0, ACTIVATIONS.indexOf(v.act)];
}

export function epilogueKey(v: EpilogueVariant): string {
  return `${v.bias ? `.bias_${v.bias}` : ''}${v.scale ? `.scale_${v.scale}` : ''}${v.residual ? '.res' : ''}.${v.act}`;
}

/** Binding declarations (from binding 4) and `fn epilogue(v, m, n, o)` for output index o. */
export function epilogueWgsl(v: EpilogueVariant): string {
  if (v.runtime) return RUNTIME_EPILOGUE_WGSL;
  let binding = 4;
  const decl = (name: string) => `@group(0) @binding(${binding++}) var<storage, read> ${name}: array<f32>;`;
  const lines = [
    v.bias ? decl('bias') : '',
    v.scale ? decl('scale') : '',
    v.residual ? decl('residual') : '',
    activationWgsl(v.act),
    `fn epilogue(acc: f32, m: u32, n: u32, o: u32) -> f32 {
  var v = acc;
  ${v.bias ? `v = v + bias[${v.bias}];` : ''}
  v = activate(v);
  ${v.scale ? `v = v * scale[${v.scale}];` : ''}
  ${v.residual ? 'v = v + residual[o];' : ''}
  return v;
}`,
  ];
  return lines.filter(Boolean).join('\n');
}

// The same operations in the same order as the specialised text above, each behind its flag.
const RUNTIME_EPILOGUE_WGSL = /* wgsl */ `
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> scale: array<f32>;
@group(0) @binding(6) var<storage, read> residual: array<f32>;
${ERF_WGSL}
fn epilogue(acc: f32, m: u32, n: u32, o: u32) -> f32 {
  var v = acc;
  if (p.biasAlong == 1u) { v = v + bias[m]; } else if (p.biasAlong == 2u) { v = v + bias[n]; }
  switch p.act {
    ${ACTIVATIONS.map((a, i) => `case ${i}u: { v = ${ACTIVATION_WGSL[a]('v')}; }`).join('\n    ')}
    default: {}
  }
  if (p.scaleAlong == 1u) { v = v * scale[m]; } else if (p.scaleAlong == 2u) { v = v * scale[n]; }
  if (p.residualOn == 1u) { v = v + residual[o]; }
  return v;
}`;
