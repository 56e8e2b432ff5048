/**
 * Node: the CPU kernels on worker_threads (thread-pool.ts). `startCpuThreads()` starts one worker
 * per extra logical core and switches the kernels to the shared-memory build; the workers are
 * unref'd, so they never keep a process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WORKER_LOOP } from './thread-pool.js';
import { startThreadPool } from './start-threads.js';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control: sab, index } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const control = new Int32Array(sab);
parentPort.postMessage('ready');
${WORKER_LOOP}`;

let started: Promise<number> | null = null;

/** Starts the pool once (later calls return the first's thread count); 1 where there is one core or no SIMD. */
export function startCpuThreads(threads = availableParallelism()): Promise<number> {
  started ??= startThreadPool(threads, (workerData) => {
    const w = new Worker(SOURCE, { eval: true, workerData });
    // Unref'd once running: until then the start keeps the process alive.
    const ready = new Promise<void>((done, fail) => {
      w.once('message', () => done());
      w.once('error', fail);
    }).then(() => void w.unref());
    return { ready, stop: () => void w.terminate() };
  });
  return started;
}
