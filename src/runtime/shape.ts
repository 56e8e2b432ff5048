import type { DType } from './dtype.js';
import { ShapeError } from './errors.js';

/** Anything with a shape and dtype: GPU tensors and host tensors alike. */
export interface Shaped {
  readonly shape: readonly number[];
  readonly dtype: DType | string;
}

/** The float dtypes: kernels take either (f16 is storage only, see kernel.ts). */
export const FLOAT: readonly DType[] = ['f32', 'f16'];

export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The one shape check: `expected` may hold `null` for "any size" in a dimension.
 * Throws a ShapeError naming the operand, both shapes and the dtype.
 */
export function checkShape(
  op: string,
  name: string,
  t: Shaped,
  expected: readonly (number | null)[],
  dtype: DType | readonly DType[] = FLOAT,
): void {
  const dtypes = typeof dtype === 'string' ? [dtype] : dtype;
  if (!dtypes.includes(t.dtype as DType)) {
    throw new ShapeError(`${op}: ${name} has dtype ${t.dtype}, expected ${dtypes.join(' or ')} (shape ${fmtShape(t.shape)})`);
  }
  const ok = t.shape.length === expected.length && expected.every((e, i) => e === null || e === t.shape[i]);
  if (!ok) {
    const exp = `[${expected.map((e) => (e === null ? '*' : e)).join(', ')}]`;
    throw new ShapeError(`${op}: ${name} has shape ${fmtShape(t.shape)}, expected ${exp}`);
  }
}

/** Checks that a tensor has the given rank (or one of several) and dtype, and returns its shape. */
export function checkRank(
  op: string,
  name: string,
  t: Shaped,
  ranks: number | readonly number[],
  dtype: DType | readonly DType[] = FLOAT,
): readonly number[] {
  const dtypes = typeof dtype === 'string' ? [dtype] : dtype;
  if (!dtypes.includes(t.dtype as DType)) {
    throw new ShapeError(`${op}: ${name} has dtype ${t.dtype}, expected ${dtypes.join(' or ')} (shape ${fmtShape(t.shape)})`);
  }
  const rs = typeof ranks === 'number' ? [ranks] : ranks;
  if (!rs.includes(t.shape.length)) {
    throw new ShapeError(`${op}: ${name} has shape ${fmtShape(t.shape)} (rank ${t.shape.length}), expected rank ${rs.join(' or ')}`);
  }
  return t.shape;
}

/** The dtype of a kernel's float result: f16 when any float input is stored as f16. */
export function floatResult(...inputs: Shaped[]): DType {
  return inputs.some((t) => t.dtype === 'f16') ? 'f16' : 'f32';
}

/** Throws unless two tensors have identical shapes. */
export function checkSameShape(op: string, aName: string, a: Shaped, bName: string, b: Shaped): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: ${aName} ${fmtShape(a.shape)} and ${bName} ${fmtShape(b.shape)} must have the same shape`);
  }
  if (a.dtype !== b.dtype) throw new ShapeError(`${op}: ${aName} is ${a.dtype} but ${bName} is ${b.dtype}`);
}
