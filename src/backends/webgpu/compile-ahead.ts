/**
 * The command sink of `gpu.precompile`: the first dispatch of each pipeline is kept, and `submit`
 * sends them all as single workgroups, so the driver compiles every pipeline now (lavapipe
 * compiles at a pipeline's first dispatch, on its queue thread, while the CPU goes on). Nothing
 * else of the recorded work runs: copies are dropped, and one workgroup's results land in buffers
 * no one reads. Host writes still land (a cache filled meanwhile, such as the constant vectors,
 * must hold its data). Submitting only once every pipeline is created matters on lavapipe: a
 * pipeline's creation waits while the queue thread is compiling another.
 */
import type { CommandSink } from './command-sink.js';
import type { PlanCommand } from './plan.js';
import { pacedWait } from './paced-wait.js';
import { UniformArena } from './uniform-arena.js';

export class CompileAhead implements CommandSink {
  readonly params: UniformArena;
  private readonly first = new Map<GPUComputePipeline, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    /** Writes host bytes in queue order (the eager recorder's write, with no encoder open). */
    readonly write: (dst: GPUBuffer, bytes: Uint8Array, label: string) => void,
  ) {
    this.params = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
  }

  /** Pipelines dispatched so far. */
  get pipelines(): number {
    return this.first.size;
  }

  record(c: PlanCommand): void {
    if (c.kind === 'dispatch' && !this.first.has(c.pipeline)) this.first.set(c.pipeline, c.bindGroup);
  }

  /**
   * Submits one workgroup of each pipeline's first dispatch, in the order they were recorded, one
   * submission each; `done(pipeline)` is called as each has run (its compile finished). Resolves
   * once every `done` was called.
   */
  submit(done: (pipeline: GPUComputePipeline) => void): Promise<void> {
    const ran: Promise<void>[] = [];
    for (const [pipeline, bindGroup] of this.first) {
      const encoder = this.device.createCommandEncoder({ label: 'precompile' });
      const pass = encoder.beginComputePass({ label: 'precompile' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(1, 1, 1);
      pass.end();
      this.params.flush(this.device.queue);
      this.device.queue.submit([encoder.finish()]);
      // A failure here is the device's, which the next call's own wait reports.
      ran.push(pacedWait(() => this.device.queue.onSubmittedWorkDone()).then(() => done(pipeline), () => {}));
    }
    return Promise.all(ran).then(() => {});
  }

  /** Frees the parameter buffers (the submitted dispatches keep them until they ran). */
  destroy(): void {
    this.params.destroy();
  }
}
