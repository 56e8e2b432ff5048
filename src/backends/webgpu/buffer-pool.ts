/**
 * The one pool of GPU storage buffers. Buffers are bucketed by size (steps of 1/4 of a power of two,
 * so at most 25% is wasted) and recycled when a tensor is disposed. Reuse inside one recorded
 * submission is safe: WebGPU orders dispatches in a pass, and a tensor is only released after its
 * last consumer has been recorded.
 */
import { BufferUsage } from './usage.js';

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  liveBytes: number;
  /** The most `liveBytes` has ever been since the last `resetPeak()`. */
  peakBytes: number;
  /** Bytes held in free lists, ready for reuse. */
  pooledBytes: number;
  /** Buffers created so far (a pool that works creates few). */
  created: number;
}

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

export function bucketSize(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const p = 2 ** Math.floor(Math.log2(bytes));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private sizeOf = new WeakMap<GPUBuffer, number>();
  private all = new Set<GPUBuffer>();
  readonly stats: PoolStats = { liveBytes: 0, peakBytes: 0, pooledBytes: 0, created: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  /** Buffers an execution plan uses, with the number of plans holding each. */
  private pinned = new Map<GPUBuffer, number>();
  /** Pinned buffers whose tensors were released: free, but kept for their plan. */
  private pinnedFree = new Set<GPUBuffer>();

  pin(buffers: Iterable<GPUBuffer>): void {
    for (const b of buffers) {
      this.pinned.set(b, (this.pinned.get(b) ?? 0) + 1);
      const size = this.sizeOf.get(b);
      const list = size === undefined ? undefined : this.free.get(size);
      const i = list ? list.indexOf(b) : -1;
      if (i >= 0) {
        list!.splice(i, 1);
        this.pinnedFree.add(b);
      }
    }
  }

  unpin(buffers: Iterable<GPUBuffer>): void {
    for (const b of buffers) {
      const n = (this.pinned.get(b) ?? 0) - 1;
      if (n > 0) {
        this.pinned.set(b, n);
        continue;
      }
      this.pinned.delete(b);
      if (this.pinnedFree.delete(b)) this.free.get(this.sizeOf.get(b)!)!.push(b);
    }
  }

  acquire(bytes: number, label: string): GPUBuffer {
    let size = bucketSize(Math.max(4, bytes));
    if (size > this.maxBufferSize) size = Math.ceil(bytes / 4) * 4;
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.pooledBytes -= size;
      buf.label = label;
    } else {
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
      this.sizeOf.set(buf, size);
      this.all.add(buf);
      this.stats.created++;
    }
    this.stats.liveBytes += size;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, this.stats.liveBytes);
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizeOf.get(buf);
    if (size === undefined || !this.all.has(buf)) return;
    this.stats.liveBytes -= size;
    this.stats.pooledBytes += size;
    if (this.pinned.has(buf)) {
      this.pinnedFree.add(buf);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }

  /** Destroys the buffers in the free lists (not those pinned by plans), returning their memory. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.all.delete(b);
        b.destroy();
      }
    }
    this.free.clear();
    this.stats.pooledBytes = 0;
  }

  destroyAll(): void {
    this.trim();
    this.pinned.clear();
    this.pinnedFree.clear();
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.stats.liveBytes = 0;
  }
}
