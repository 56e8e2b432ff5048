/**
 * Node: the CPU kernels on worker_threads (thread-pool.ts). `startCpuThreads()` starts one worker
 * per extra logical core and switches the kernels to the shared-memory build; the workers are
 * unref'd, so they never keep a process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CONTROL_INTS, ThreadPool, WORKER_LOOP } from './thread-pool.js';
import { sharedKernelBytes, useThreads } from './wasm-kernels.js';

let started: Promise<number> | null = null;

/** Starts the pool once (later calls return the first's thread count); 1 where there is one core or no SIMD. */
export function startCpuThreads(threads = availableParallelism()): Promise<number> {
  started ??= start(threads);
  return started;
}

async function start(threads: number): Promise<number> {
  const bytes = sharedKernelBytes();
  if (!bytes || threads < 2) return 1;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  const module = new WebAssembly.Module(bytes.bytes);
  const source = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control: sab, index } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const control = new Int32Array(sab);
parentPort.postMessage('ready');
${WORKER_LOOP}`;
  const workers = Array.from({ length: threads - 1 }, (_, i) => new Worker(source, { eval: true, workerData: { module, memory, control: control.buffer, index: i + 1 } }));
  await Promise.all(workers.map((w) => new Promise<void>((ready, fail) => {
    w.once('message', () => ready());
    w.once('error', fail);
  })));
  for (const w of workers) w.unref();
  const pool = new ThreadPool(threads, control);
  useThreads(bytes.variant, new WebAssembly.Instance(module, { env: { memory } }), memory, pool);
  return threads;
}
