/**
 * Vectors of constants that kernels bind as identity operands (a GEMM without a bias adds the
 * additive identity, one without a layer scale multiplies by ones), so one compiled kernel serves
 * the products with and without them; or as placeholders never read. One buffer per (value,
 * dtype), grown by doubling; a grown-out buffer stays alive until `destroy`, since recorded work
 * and execution plans may still bind it. Outside the pool: never freed by scopes, not in the
 * memory stats.
 */
import { type DType, f32ToF16Bits } from '../../runtime/dtype.js';
import { BufferUsage } from './usage.js';

/**
 * 'zero': +0, a new buffer as it comes (no upload at any size: placeholders, the zero weights of a
 * precompile). 'minus-zero': −0, the additive identity of IEEE floats (x + −0 = x for every x, −0
 * included, where −0 + +0 = +0). 'one': the multiplicative identity.
 */
export type { ConstantValue } from '../../runtime/backend.js';
import type { ConstantValue } from '../../runtime/backend.js';

const MIN_ELEMENTS = 1024;

/** The value's storage bits as f32 and f16. */
const BITS: Record<Exclude<ConstantValue, 'zero'>, { f32: number; f16: number }> = {
  'minus-zero': { f32: 0x80000000, f16: 0x8000 },
  one: { f32: 0x3f800000, f16: f32ToF16Bits(1) },
};

export class ConstantVectors {
  private current = new Map<string, { buffer: GPUBuffer; elements: number }>();
  private all: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** A buffer holding at least `length` copies of `value` as `dtype` (f32 or f16). */
  buffer(value: ConstantValue, length: number, dtype: DType): GPUBuffer {
    if (dtype === 'i32') throw new Error(`constant vectors are float, not ${dtype}`);
    const key = `${value}/${dtype}`;
    const have = this.current.get(key);
    if (have && have.elements >= length) return have.buffer;
    let elements = Math.max(MIN_ELEMENTS, have?.elements ?? 0);
    while (elements < length) elements *= 2;
    const bytesPer = dtype === 'f16' ? 2 : 4;
    const buffer = this.device.createBuffer({ size: elements * bytesPer, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: `constant ${value} ${dtype}` });
    // New buffers are zero-filled; other values are written once, on the queue, ahead of any later submission.
    if (value !== 'zero') {
      const data = dtype === 'f16' ? new Uint16Array(elements).fill(BITS[value].f16) : new Uint32Array(elements).fill(BITS[value].f32);
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    this.current.set(key, { buffer, elements });
    this.all.push(buffer);
    return buffer;
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
    this.all = [];
    this.current.clear();
  }
}
