/**
 * The GPU's own time for a stretch of recorded work (needs `timestamp-query`): a timestamp written
 * by an empty pass before the stretch's first command and one after its last. Unlike the Profiler
 * it leaves the work's passes as they are (two empty passes more), so a replayed plan runs as it
 * would untimed. A call's wall time minus this span is what submitting, waiting and reading back
 * cost; the span itself is the adapter's.
 */
import { GpuError } from '../../runtime/errors.js';
import type { ProfiledEncoder } from './profiler.js';
import { TimestampReadback, type Wait } from './timestamp-readback.js';

export class SpanTimer {
  private readonly querySet: GPUQuerySet;
  private readonly timestamps: TimestampReadback;
  private state: 'idle' | 'begun' | 'ended' = 'idle';

  constructor(
    device: GPUDevice,
    private readonly encoder: ProfiledEncoder,
    /** Throws where the stretch would not go to `encoder` (a plan capture or precompile is open). */
    private readonly assertRecording: () => void,
    private readonly wait: Wait,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'span' });
    this.timestamps = new TimestampReadback(device, 1, 'span');
  }

  /** Marks the start: the timestamp is written before any command recorded after this. */
  begin(): void {
    if (this.state === 'begun') throw new GpuError('SpanTimer.begin() twice without end()');
    if (this.state === 'ended') throw new GpuError('SpanTimer.begin() before the last span was read');
    this.assertRecording();
    this.mark({ querySet: this.querySet, beginningOfPassWriteIndex: 0 });
    this.state = 'begun';
  }

  /** Marks the end and records the copy-out; the next submit (a read, a sync) carries it. */
  end(): void {
    if (this.state !== 'begun') throw new GpuError('SpanTimer.end() without begin()');
    this.assertRecording();
    this.mark({ querySet: this.querySet, endOfPassWriteIndex: 1 });
    this.timestamps.record(this.encoder.commandEncoder(), this.querySet, 1);
    this.state = 'ended';
  }

  /** GPU milliseconds from the start mark to the end mark; submits if the end is still pending. */
  async read(): Promise<number> {
    if (this.state !== 'ended') throw new GpuError('SpanTimer.read() before end()');
    this.state = 'idle';
    this.encoder.submit();
    const [ms] = await this.timestamps.read(this.wait, 1);
    return ms;
  }

  destroy(): void {
    this.timestamps.destroy();
    this.querySet.destroy();
  }

  private mark(timestampWrites: GPUComputePassTimestampWrites): void {
    this.encoder.endPass();
    this.encoder.commandEncoder().beginComputePass({ label: 'span mark', timestampWrites }).end();
  }
}
