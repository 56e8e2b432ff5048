/**
 * Host data as the bytes a tensor stores: a Float32Array as f32, or as f16 (rounded to nearest
 * even); a Uint16Array as f16 bits; an Int32Array (or numbers, for `i32`) as i32.
 */
import { type DType, type HostArray, toF16Bits } from './dtype.js';
import { ShapeError } from './errors.js';
import { fmtShape, numel } from './shape.js';

export function hostBytes(data: HostArray | readonly number[], shape: readonly number[], dtype: DType | undefined, label: string): { dtype: DType; bytes: Uint8Array } {
  const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint16Array ? 'f16' : 'f32');
  if (numel(shape) !== data.length) {
    throw new ShapeError(`${label}: ${data.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
  }
  let src: HostArray;
  if (dt === 'f16') src = data instanceof Uint16Array ? data : toF16Bits(data);
  else if (dt === 'i32') {
    if (data instanceof Float32Array || data instanceof Uint16Array) throw new ShapeError(`${label}: i32 tensors take an Int32Array`);
    src = data instanceof Int32Array ? data : Int32Array.from(data);
  } else {
    if (data instanceof Int32Array || data instanceof Uint16Array) throw new ShapeError(`${label}: f32 tensors take a Float32Array`);
    src = data instanceof Float32Array ? data : Float32Array.from(data);
  }
  return { dtype: dt, bytes: new Uint8Array(src.buffer, src.byteOffset, src.byteLength) };
}
