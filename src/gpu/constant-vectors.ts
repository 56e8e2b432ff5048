/**
 * Vectors of zeros or ones that kernels bind as identity operands (a GEMM without a bias adds the
 * zero vector, one without a layer scale multiplies by ones), so one compiled kernel serves the
 * products with and without them. One buffer per (value, dtype), grown by doubling; a grown-out
 * buffer stays alive until `destroy`, since recorded work and execution plans may still bind it.
 * Outside the pool: never freed by scopes, not in the memory stats.
 */
import { type DType, f32ToF16Bits } from './dtype.js';
import { BufferUsage } from './usage.js';

export type IdentityValue = 0 | 1;

const MIN_ELEMENTS = 1024;

export class ConstantVectors {
  private current = new Map<string, { buffer: GPUBuffer; elements: number }>();
  private all: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** A buffer holding at least `length` copies of `value` as `dtype` (f32 or f16). */
  buffer(value: IdentityValue, length: number, dtype: DType): GPUBuffer {
    if (dtype === 'i32') throw new Error(`constant vectors are float, not ${dtype}`);
    const key = `${value}/${dtype}`;
    const have = this.current.get(key);
    if (have && have.elements >= length) return have.buffer;
    let elements = Math.max(MIN_ELEMENTS, have?.elements ?? 0);
    while (elements < length) elements *= 2;
    const bytesPer = dtype === 'f16' ? 2 : 4;
    const buffer = this.device.createBuffer({ size: elements * bytesPer, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: `constant ${value} ${dtype}` });
    // New buffers are zero-filled; ones are written once, on the queue, ahead of any later submission.
    if (value === 1) {
      const data = dtype === 'f16' ? new Uint16Array(elements).fill(f32ToF16Bits(1)) : new Float32Array(elements).fill(1);
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
