/**
 * The browser: the CPU kernels on Workers sharing a WebAssembly.Memory — where the page is
 * cross-origin isolated (COOP/COEP headers, so SharedArrayBuffer exists) and the model runs in a
 * Worker (the caller waits with Atomics.wait, which a page's main thread may not). Elsewhere the
 * kernels stay on one thread and the backend's description says why.
 */
import { WORKER_LOOP } from './thread-pool.js';
import { oneThread, startThreadPool } from './start-threads.js';

/** A pool worker that has not answered in this long is given up (one thread then): never a hang. */
const START_TIMEOUT_MS = 15_000;

const SOURCE = `
onmessage = (e) => {
  onmessage = null;
  const { module, memory, control: sab, index } = e.data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const control = new Int32Array(sab);
  postMessage('ready');
  ${WORKER_LOOP}
};`;

let started: Promise<number> | null = null;

/** Starts the pool once; resolves to the thread count (1, with the reason recorded, where threads cannot run). */
export function startCpuThreads(threads = globalThis.navigator?.hardwareConcurrency ?? 1): Promise<number> {
  started ??= start(threads);
  return started;
}

async function start(threads: number): Promise<number> {
  const g = globalThis as { crossOriginIsolated?: boolean; WorkerGlobalScope?: unknown; Worker?: unknown };
  if (g.crossOriginIsolated !== true) return oneThread('the page is not cross-origin isolated (COOP/COEP headers)');
  if (g.WorkerGlobalScope === undefined) return oneThread("on the page's main thread (createModelInWorker runs threaded)");
  if (typeof Worker === 'undefined') return oneThread('this browser cannot start a Worker from a Worker');
  const url = URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  try {
    return await startThreadPool(threads, (data) => {
      const w = new Worker(url);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ready = new Promise<void>((done, fail) => {
        w.onmessage = () => done();
        w.onerror = (e) => fail(new Error(e.message || 'the worker failed to start'));
        timer = setTimeout(() => fail(new Error(`no answer in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      }).finally(() => clearTimeout(timer));
      w.postMessage(data);
      return { ready, stop: () => w.terminate() };
    });
  } finally {
    URL.revokeObjectURL(url);
  }
}
