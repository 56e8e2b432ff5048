/**
 * Kernel parameters (tensor sizes, eps, ...) for one submission, packed into a few reusable 64 KiB
 * uniform buffers at 256-byte aligned offsets. The CPU copy is written to the GPU right before the
 * submit; queue order guarantees the next submission's rewrite lands after this one ran, so the
 * chunks are reused at once and their number stays bounded by the largest submission.
 */
import { BufferUsage } from './usage.js';
const CHUNK_BYTES = 64 * 1024;

export type ParamField = number | { f32: number } | { i32: number };

/** Packs fields as 4-byte scalars in order: a plain number is a u32, `{f32}` a float, `{i32}` a signed int. */
export function packParams(fields: readonly ParamField[]): ArrayBuffer {
  // WGSL uniform structs are padded to 16 bytes.
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(buf);
  fields.forEach((f, i) => {
    if (typeof f === 'number') {
      if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new RangeError(`param ${i} = ${f} is not a u32`);
      view.setUint32(i * 4, f, true);
    } else if ('f32' in f) view.setFloat32(i * 4, f.f32, true);
    else view.setInt32(i * 4, f.i32, true);
  });
  return buf;
}

interface Chunk {
  buffer: GPUBuffer;
  host: Uint8Array;
  used: number;
}

export class UniformArena {
  private chunks: Chunk[] = [];
  private current = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly align: number,
  ) {}

  alloc(data: ArrayBuffer): GPUBufferBinding {
    const bytes = data.byteLength;
    let chunk = this.chunks[this.current];
    if (chunk && chunk.used + bytes > CHUNK_BYTES) chunk = this.chunks[++this.current];
    if (!chunk) {
      chunk = {
        buffer: this.device.createBuffer({
          size: CHUNK_BYTES,
          usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
          label: `uniforms#${this.chunks.length}`,
        }),
        host: new Uint8Array(CHUNK_BYTES),
        used: 0,
      };
      this.chunks.push(chunk);
    }
    const offset = chunk.used;
    chunk.host.set(new Uint8Array(data), offset);
    chunk.used = Math.ceil((offset + bytes) / this.align) * this.align;
    return { buffer: chunk.buffer, offset, size: bytes };
  }

  /** Writes this submission's parameters to the GPU and starts over. Call right before `queue.submit`. */
  flush(queue: GPUQueue): void {
    for (let i = 0; i <= this.current && i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if (c.used > 0) queue.writeBuffer(c.buffer, 0, c.host, 0, Math.min(c.used, CHUNK_BYTES));
      c.used = 0;
    }
    this.current = 0;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
  }
}
