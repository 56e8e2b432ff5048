/**
 * Reading timestamp queries back: resolving begin/end pairs of a query set into a buffer, copying
 * them to a mappable one and turning each pair into milliseconds. The Profiler (a pair per
 * dispatch) and the SpanTimer (one pair around a stretch of work) both read their queries here.
 */
import { BufferUsage, MapMode } from './usage.js';

export type Wait = (start: () => Promise<void>) => Promise<void>;

export class TimestampReadback {
  private readonly resolved: GPUBuffer;
  private readonly staging: GPUBuffer;

  constructor(
    device: GPUDevice,
    /** The most begin/end pairs one read returns. */
    readonly pairs: number,
    label: string,
  ) {
    const bytes = 16 * Math.max(1, pairs);
    this.resolved = device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC, label: `${label} resolve` });
    this.staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: `${label} read` });
  }

  /** Records resolving queries 0 … 2·pairs − 1 of `querySet` and copying them out. */
  record(encoder: GPUCommandEncoder, querySet: GPUQuerySet, pairs: number): void {
    encoder.resolveQuerySet(querySet, 0, 2 * pairs, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.staging, 0, 16 * pairs);
  }

  /** Milliseconds from begin to end of the first `pairs` pairs, once their copy was submitted. */
  async read(wait: Wait, pairs: number): Promise<number[]> {
    await wait(() => this.staging.mapAsync(MapMode.READ));
    const t = new BigUint64Array(this.staging.getMappedRange().slice(0, 16 * pairs));
    this.staging.unmap();
    return Array.from({ length: pairs }, (_, i) => Number(t[2 * i + 1] - t[2 * i]) / 1e6);
  }

  destroy(): void {
    [this.staging, this.resolved].forEach((b) => b.destroy());
  }
}
