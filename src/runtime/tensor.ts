import { BYTES_PER_ELEMENT, type DType } from './dtype.js';
import type { Backend } from './backend.js';
import { fmtShape, numel } from './shape.js';
import { ShapeError } from './errors.js';

/**
 * A dense, row-major tensor on one backend. Its storage is the backend's own (a GPUBuffer for
 * WebGPU, a typed array for the CPU); code above the backends never looks inside it. Reading one
 * (`read()`) is the only point where the caller waits for the device.
 */
export class Tensor {
  readonly size: number;
  private disposed = false;
  /** Set by `backend.keep`: outlives every enclosing scope (its owner disposes it). */
  kept = false;

  constructor(
    readonly backend: Backend,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly storage: unknown,
    readonly label: string,
    /** False for views made by `reshape` and for constants: they never free the storage. */
    private readonly owner = true,
    /** For a view, the tensor owning its storage (a scope keeps it alive while the view is returned). */
    readonly base: Tensor | null = null,
  ) {
    this.size = numel(shape);
  }

  get byteSize(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  /** A view with another shape of the same size, sharing this tensor's storage (no copy). */
  reshape(shape: readonly number[]): Tensor {
    this.assertAlive();
    const s = shape.slice();
    const unknown = s.indexOf(-1);
    if (unknown >= 0) s[unknown] = this.size / numel(s.filter((_, i) => i !== unknown));
    if (numel(s) !== this.size || !s.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError(`reshape: cannot view ${this.label} ${fmtShape(this.shape)} as ${fmtShape(shape)}`);
    }
    return new Tensor(this.backend, s, this.dtype, this.storage, this.label, false, this.base ?? this);
  }

  /** Copies the data back to the host: f32 and f16 come back as Float32Array, i32 as Int32Array. */
  read(): Promise<Float32Array | Int32Array> {
    this.assertAlive();
    return this.backend.read(this);
  }

  /** Like `read`, for float tensors. */
  async readFloat(): Promise<Float32Array> {
    const d = await this.read();
    if (!(d instanceof Float32Array)) throw new ShapeError(`${this.label} is ${this.dtype}, not a float tensor`);
    return d;
  }

  /** Returns the storage to its backend. Views do nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owner) this.backend.release(this);
  }

  assertAlive(): void {
    // A view dies with its owner (the CPU backend reuses a released tensor's array).
    if (this.disposed || this.base?.disposed) throw new Error(`tensor ${this.label} ${fmtShape(this.shape)} was used after dispose()`);
  }

  toString(): string {
    return `Tensor(${this.label}, ${fmtShape(this.shape)}, ${this.dtype})`;
  }
}
