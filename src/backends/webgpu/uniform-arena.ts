/**
 * Kernel parameters (tensor sizes, eps, ...) for one submission, packed into a few reusable 64 KiB
 * uniform buffers at 256-byte aligned offsets. The CPU copy is written to the GPU right before the
 * submit; queue order guarantees the next submission's rewrite lands after this one ran, so the
 * chunks are reused at once and their number stays bounded by the largest submission.
 */
import { BufferUsage } from './usage.js';
const CHUNK_BYTES = 64 * 1024;

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
