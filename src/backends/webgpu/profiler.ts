/**
 * Per-dispatch GPU timings with timestamp queries (needs `timestamp-query`): while a Profiler is
 * set on the recorder, each dispatch gets its own compute pass with timestamps written at its
 * ends. For finding where time goes, not for headline timings (the passes cost time).
 */
import { GpuError } from '../../runtime/errors.js';
import { TimestampReadback, type Wait } from './timestamp-readback.js';

/** WebGPU allows 4096 queries per set: two per dispatch. */
const CAPACITY = 2048;

export interface KernelTime {
  label: string;
  /** Total GPU milliseconds over `count` dispatches. */
  ms: number;
  count: number;
}

/** What `finish` needs of the recorder: its encoder outside a pass, and the submit. */
export interface ProfiledEncoder {
  endPass(): void;
  commandEncoder(): GPUCommandEncoder;
  submit(): void;
}

export class Profiler {
  private readonly labels: string[] = [];
  private readonly querySet: GPUQuerySet;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * CAPACITY });
  }

  /** A new pass named after the kernel, timestamped at its beginning and end. */
  beginPass(encoder: GPUCommandEncoder, label: string): GPUComputePassEncoder {
    const i = this.labels.length;
    if (i >= CAPACITY) throw new GpuError(`profiling: more than ${CAPACITY} dispatches in one profile`);
    this.labels.push(label);
    return encoder.beginComputePass({ label, timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
  }

  /**
   * Resolves the timestamps into the recorder's encoder, submits, waits with `wait` and returns
   * the time per kernel label, longest first. The recorder must no longer use this profiler.
   */
  async finish(recorder: ProfiledEncoder, wait: Wait): Promise<KernelTime[]> {
    recorder.endPass();
    const n = this.labels.length;
    const timestamps = new TimestampReadback(this.device, n, 'profile');
    try {
      if (n > 0) timestamps.record(recorder.commandEncoder(), this.querySet, n);
      recorder.submit();
      const ms = await timestamps.read(wait, n);
      const byLabel = new Map<string, { ms: number; count: number }>();
      for (let i = 0; i < n; i++) {
        const e = byLabel.get(this.labels[i]) ?? { ms: 0, count: 0 };
        e.ms += ms[i];
        e.count++;
        byLabel.set(this.labels[i], e);
      }
      return [...byLabel].map(([label, v]) => ({ label, ...v })).sort((a, b) => b.ms - a.ms);
    } finally {
      timestamps.destroy();
      this.querySet.destroy();
    }
  }

}
