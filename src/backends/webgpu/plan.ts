/**
 * A recorded forward: pipelines, bind groups (parameters in the plan's own uniform buffers), dispatch
 * sizes and copies, with every intermediate's buffer assigned (buffers are shared by lifetime, as
 * the pool handed them out while recording). Replaying records it all into the current submission
 * with no JS-side kernel work, no new bind groups and no uniform writes. The plan's buffers are
 * pinned: the pool hands none of them to anyone else until the plan is disposed.
 */
import type { UniformArena } from './uniform-arena.js';

export type PlanCommand =
  | { kind: 'dispatch'; label: string; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number]; buffers: readonly GPUBuffer[] }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number };

export interface PlanHost {
  replay(plan: ExecutionPlan): void;
  releasePlan(plan: ExecutionPlan): void;
}

export class ExecutionPlan {
  private disposed = false;

  constructor(
    private readonly host: PlanHost,
    readonly commands: readonly PlanCommand[],
    /** Every buffer the plan reads or writes. */
    readonly buffers: readonly GPUBuffer[],
    readonly params: UniformArena,
    /** Bytes of the buffers acquired while recording (intermediates, outputs, constants). */
    readonly activationBytes: number,
    /** Constant uploads made while recording, copied in at every run. */
    readonly staging: readonly GPUBuffer[],
  ) {}

  get dispatches(): number {
    return this.commands.filter((c) => c.kind === 'dispatch').length;
  }

  /** Records the whole forward into the current submission; read an output to run it. */
  run(): void {
    if (this.disposed) throw new Error('ExecutionPlan.run() after dispose()');
    this.host.replay(this);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.host.releasePlan(this);
  }
}
