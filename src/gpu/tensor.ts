import { BYTES_PER_ELEMENT, type DType } from './dtype.js';
import type { Gpu } from './gpu.js';
import { fmtShape, numel } from './shape.js';
import { ShapeError } from './errors.js';

/**
 * A dense, row-major tensor in a GPU storage buffer. Creating one records nothing; reading one
 * (`read()`) submits the pending work and is the only point where the CPU waits for the GPU.
 */
export class Tensor {
  readonly size: number;
  private disposed = false;
  /** Set by `gpu.keep`: outlives every enclosing `gpu.scope` (its owner disposes it). */
  kept = false;

  constructor(
    readonly gpu: Gpu,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    readonly label: string,
    /** False for views made by `reshape`: they share the buffer and never free it. */
    private readonly owner = true,
    /** For a view, the tensor owning its buffer (a scope keeps it alive while the view is returned). */
    readonly base: Tensor | null = null,
  ) {
    this.size = numel(shape);
  }

  get byteSize(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  /** The binding for a bind group: the tensor's bytes, rounded up to 4 as WebGPU requires. */
  get binding(): GPUBufferBinding {
    this.assertAlive();
    return { buffer: this.buffer, offset: 0, size: Math.max(4, Math.ceil(this.byteSize / 4) * 4) };
  }

  /** A view with another shape of the same size, sharing this tensor's buffer (no copy). */
  reshape(shape: readonly number[]): Tensor {
    this.assertAlive();
    const s = shape.slice();
    const unknown = s.indexOf(-1);
    if (unknown >= 0) s[unknown] = this.size / numel(s.filter((_, i) => i !== unknown));
    if (numel(s) !== this.size || !s.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(`reshape: cannot view ${this.label} ${fmtShape(this.shape)} as ${fmtShape(shape)}`);
    }
    return new Tensor(this.gpu, s, this.dtype, this.buffer, this.label, false, this.base ?? this);
  }

  /** Copies the data back to the host: f32 and f16 come back as Float32Array, i32 as Int32Array. */
  read(): Promise<Float32Array | Int32Array> {
    this.assertAlive();
    return this.gpu.read(this);
  }

  /** Like `read`, for float tensors. */
  async readFloat(): Promise<Float32Array> {
    const d = await this.read();
    if (!(d instanceof Float32Array)) throw new ShapeError(`${this.label} is ${this.dtype}, not a float tensor`);
    return d;
  }

  /** Returns the buffer to the pool. Views do nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owner) this.gpu.buffers.release(this.buffer);
  }

  assertAlive(): void {
    if (this.disposed) throw new Error(`tensor ${this.label} ${fmtShape(this.shape)} was used after dispose()`);
  }

  toString(): string {
    return `Tensor(${this.label}, ${fmtShape(this.shape)}, ${this.dtype})`;
  }
}
