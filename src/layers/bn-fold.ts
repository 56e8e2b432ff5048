/**
 * The one eval-BatchNorm fold. An eval BatchNorm is the per-channel affine
 *   y = x·scale + shift,   scale = γ/std,   shift = β − mean·γ/std,   std = √(var + eps),
 * rounded in float32 exactly as the official `_fuse_bn_tensor` does, and a conv followed by one
 * is one conv (`absorbBn`). Re-parameterisation (reparam.ts), ConvFFN's depthwise conv, the ViT
 * stem and the standalone BatchNorm2d (batch-norm.ts) all fold through here.
 */
import { ShapeError } from '../gpu/errors.js';
import { fmtShape } from '../gpu/shape.js';

/** An eval BatchNorm's parameters on the host (the four checkpoint tensors). */
export interface BatchNormParams {
  weight: Float32Array;
  bias: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  /** Default 1e-5, PyTorch's. */
  eps?: number;
}

const f = Math.fround;

/** The affine `bn` is, per channel; throws naming `where` if its tensors disagree in length. */
export function bnAffine(bn: BatchNormParams, where = 'batchNorm'): { scale: Float32Array; shift: Float32Array } {
  const c = bn.weight.length;
  for (const [k, v] of [['bias', bn.bias], ['running_mean', bn.runningMean], ['running_var', bn.runningVar]] as const) {
    if (v.length !== c) throw new ShapeError(`${where}.${k} has ${v.length} channels, ${where}.weight has ${c}`);
  }
  const eps = f(bn.eps ?? 1e-5);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const std = f(Math.sqrt(f(bn.runningVar[o] + eps)));
    scale[o] = bn.weight[o] / std;
    shift[o] = bn.bias[o] - f(f(bn.runningMean[o] * bn.weight[o]) / std);
  }
  return { scale, shift };
}

/**
 * conv(w) followed by `bn` as one conv: w·scale per output channel and the bias shift. `shape` is
 * the kernel's [Cout, …]; `where` names the pair in errors.
 */
export function absorbBn(w: Float32Array, shape: readonly number[], bn: BatchNormParams, where: string): { weight: Float32Array; bias: Float32Array } {
  const cout = shape[0];
  if (bn.weight.length !== cout) throw new ShapeError(`${where}: BatchNorm has ${bn.weight.length} channels, the kernel ${fmtShape(shape)} has ${cout} outputs`);
  const { scale, shift } = bnAffine(bn, where);
  const per = w.length / cout;
  const weight = Float32Array.from(w, (v, i) => v * scale[Math.floor(i / per)]);
  return { weight, bias: shift };
}
