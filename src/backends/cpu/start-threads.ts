/**
 * Starting the CPU kernels' thread pool, the part Node and the browser share: one shared
 * WebAssembly.Memory and control block, `threads − 1` workers started by the platform's `spawn`
 * (threads.node.ts: worker_threads; threads.browser.ts: Workers) on the shared memory the kernels
 * already run in, then the kernels hand part of each large job to them. Where threads cannot run,
 * the kernels stay on one thread and `singleThreadReason()` says why (info() and the CPU backend's
 * description show it).
 */
import { CONTROL_INTS, ThreadPool } from './thread-pool.js';
import { sharedKernels, useThreads } from './wasm-kernels.js';

/** What a pool worker is given: the kernels' module, the shared memory, the control block, its index (1 … threads − 1). */
export interface PoolWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

/** A started worker: resolves when it runs its loop; `stop` ends it (a start that failed or timed out). */
export interface SpawnedWorker {
  ready: Promise<void>;
  stop(): void;
}

let reason: string | null = null;

/** Why the kernels run on one thread, or null (they run on several, or the pool was never asked for). */
export function singleThreadReason(): string | null {
  return reason;
}

/** Records why there is one thread; returns 1. */
export function oneThread(why: string): number {
  reason = why;
  return 1;
}

/** Starts the pool: resolves to the thread count, 1 (with the reason recorded) where it cannot. */
export async function startThreadPool(threads: number, spawn: (data: PoolWorkerData) => SpawnedWorker): Promise<number> {
  if (!(threads >= 2)) return oneThread('one logical core');
  // The workers join the memory the kernels already run in: tensors and packed weights stay where they are.
  const shared = sharedKernels();
  if (!shared) return oneThread(typeof SharedArrayBuffer === 'undefined' ? 'no SharedArrayBuffer here' : 'no shared-memory WebAssembly SIMD in this engine');
  const { module, memory } = shared;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  const workers: SpawnedWorker[] = [];
  try {
    for (let index = 1; index < threads; index++) workers.push(spawn({ module, memory, control: control.buffer as SharedArrayBuffer, index }));
    await Promise.all(workers.map((w) => w.ready));
  } catch (e) {
    for (const w of workers) w.stop();
    return oneThread(`the worker threads did not start (${(e as Error).message ?? e})`);
  }
  useThreads(new ThreadPool(threads, control));
  reason = null;
  return threads;
}
