/**
 * The one eval-BatchNorm fold. An eval BatchNorm is the per-channel affine
 *   y = x·scale + shift,   scale = γ/std,   shift = β − mean·γ/std,   std = √(var + eps),
 * and a conv followed by one is one conv (`absorbBn`). Re-parameterisation (reparam.ts), ConvFFN's
 * depthwise conv, the ViT stem and the standalone BatchNorm2d (batch-norm.ts) all fold here.
 *
 * The reference computes this affine two ways, and each site rounds as its reference does:
 *  - 'fused': `_fuse_bn_tensor`, which `reparameterize_model` bakes into the re-parameterisable
 *    blocks' weights: shift = β − (mean·γ)/std, eps rounded to float32 first;
 *  - 'eval': an unfused eval BatchNorm, whose per-channel shift is β − mean·scale.
 * The two differ in the last bit of some shifts; keeping each as its reference rounds keeps our
 * outputs where the reference's are (bit-identical folds for 'fused', checked against
 * model.reparam.safetensors).
 */
import { ShapeError } from '../runtime/errors.js';
import { fmtShape } from '../runtime/shape.js';

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

export type BnRounding = 'fused' | 'eval';

/** The affine `bn` is, per channel, rounded as `rounding` says; throws naming `where` if its tensors disagree in length. */
export function bnAffine(bn: BatchNormParams, rounding: BnRounding, where = 'batchNorm'): { scale: Float32Array; shift: Float32Array } {
  const c = bn.weight.length;
  for (const [k, v] of [['bias', bn.bias], ['running_mean', bn.runningMean], ['running_var', bn.runningVar]] as const) {
    if (v.length !== c) throw new ShapeError(`${where}.${k} has ${v.length} channels, ${where}.weight has ${c}`);
  }
  const eps = rounding === 'fused' ? f(bn.eps ?? 1e-5) : (bn.eps ?? 1e-5);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const std = f(Math.sqrt(f(bn.runningVar[o] + eps)));
    scale[o] = bn.weight[o] / std; // stored: rounded to float32
    shift[o] = bn.bias[o] - (rounding === 'fused' ? f(f(bn.runningMean[o] * bn.weight[o]) / std) : f(bn.runningMean[o] * scale[o]));
  }
  return { scale, shift };
}

/**
 * conv(w) followed by `bn` as one conv: w·scale per output channel and the bias shift. `shape` is
 * the kernel's [Cout, …]; `where` names the pair in errors.
 */
export function absorbBn(w: Float32Array, shape: readonly number[], bn: BatchNormParams, rounding: BnRounding, where: string): { weight: Float32Array; bias: Float32Array } {
  const cout = shape[0];
  if (bn.weight.length !== cout) throw new ShapeError(`${where}: BatchNorm has ${bn.weight.length} channels, the kernel ${fmtShape(shape)} has ${cout} outputs`);
  const { scale, shift } = bnAffine(bn, rounding, where);
  const per = w.length / cout;
  // One pass, channel by channel (a mapping callback per element cost ~5× this at load).
  const weight = new Float32Array(w.length);
  for (let o = 0; o < cout; o++) {
    const s = scale[o];
    for (let i = o * per, end = i + per; i < end; i++) weight[i] = w[i] * s;
  }
  return { weight, bias: shift };
}
