/**
 * The fused tail every GEMM kernel shares: out = act(acc + bias) · scale + residual, with bias and
 * scale indexed along M or N. Its bindings follow the kernel's four fixed ones (params, a, b, out).
 * The types every GEMM file shares live here too, so the kernels and matmul.ts import no cycle.
 */
import { type Activation, activationWgsl } from './wgsl/math.js';

export type Along = 'm' | 'n';

/** How the GEMM's B operand is stored: [N, K] (a linear layer's weight) or [K, N]. */
export type BLayout = 'nk' | 'kn';

export interface EpilogueVariant {
  bias: Along | null;
  scale: Along | null;
  residual: boolean;
  act: Activation;
}

export function epilogueKey(v: EpilogueVariant): string {
  return `${v.bias ? `.bias_${v.bias}` : ''}${v.scale ? `.scale_${v.scale}` : ''}${v.residual ? '.res' : ''}.${v.act}`;
}

/** Binding declarations (from binding 4) and `fn epilogue(v, m, n, o)` for output index o. */
export function epilogueWgsl(v: EpilogueVariant): string {
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
