/**
 * The fused qkv tensor both attention paths read (the fused kernel and the GEMM decomposition):
 * [B, N, 3·heads·head_dim], or [B, N, 3, heads, head_dim], from one qkv projection. One shape
 * check for both.
 */
import { ShapeError } from '../gpu/errors.js';
import { checkRank, fmtShape } from '../gpu/shape.js';
import type { Tensor } from '../gpu/tensor.js';

export interface AttentionOptions {
  heads: number;
  /** Multiplies q before q·kᵀ; default head_dim^-0.5. */
  scale?: number;
  causal?: boolean;
}

/** Batch, tokens and head_dim of `qkv`; a ShapeError naming the shape when it is not a qkv of `heads` heads. */
export function qkvShape(qkv: Tensor, heads: number): { b: number; n: number; hd: number } {
  const shape = checkRank('attention', 'qkv', qkv, [3, 5]);
  const [b, n] = shape;
  const width = shape.slice(2).reduce((x, y) => x * y, 1);
  if (width % (3 * heads) !== 0) throw new ShapeError(`attention: qkv ${fmtShape(shape)} does not split into 3 × ${heads} heads`);
  if (shape.length === 5 && (shape[2] !== 3 || shape[3] !== heads)) {
    throw new ShapeError(`attention: qkv ${fmtShape(shape)} is not [B, N, 3, ${heads}, head_dim]`);
  }
  return { b, n, hd: width / (3 * heads) };
}
