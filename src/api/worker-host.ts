/**
 * The worker side of createModelInWorker: loads one model with the browser entry's
 * createModelAndTransforms and answers the page's calls, posting progress as it goes and results
 * with their buffers transferred. Started by the worker bundle (src/worker.browser.ts).
 */
import { createModelAndTransforms, type BrowserModelAndTransforms } from './browser.js';
import { modelInfo, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

interface Port {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
}

export function serveModel(port: Port): void {
  let loaded: BrowserModelAndTransforms | null = null;
  const aborts = new Map<number, AbortController>();
  const reply = (r: WorkerReply, transfer: Transferable[] = []) => port.postMessage(r, transfer);

  async function handle(q: WorkerRequest): Promise<void> {
    const progress = (done: number, total: number) => reply({ id: q.id, kind: 'progress', done, total });
    const model = () => {
      if (!loaded) throw new Error(`${q.op}: no model is loaded in this worker`);
      return loaded.model;
    };
    switch (q.op) {
      case 'load': {
        if (loaded) throw new Error('load: this worker already holds a model (one per worker)');
        const ac = new AbortController();
        aborts.set(q.id, ac);
        try {
          loaded = await createModelAndTransforms(q.name, { ...q.options, signal: ac.signal, onProgress: (p) => reply({ id: q.id, kind: 'load-progress', progress: p }) });
        } finally {
          aborts.delete(q.id);
        }
        return reply({ id: q.id, kind: 'done', value: modelInfo(loaded.model) });
      }
      case 'encodeImages': {
        const e = await model().encodeImages(q.images, { ...q.options, onProgress: progress });
        return reply({ id: q.id, kind: 'done', value: e }, [e.data.buffer as ArrayBuffer]);
      }
      case 'encodeTexts': {
        const e = await model().encodeTexts(q.texts, { ...q.options, onProgress: progress });
        return reply({ id: q.id, kind: 'done', value: e }, [e.data.buffer as ArrayBuffer]);
      }
      case 'classify':
        return reply({ id: q.id, kind: 'done', value: await model().classify(q.images, q.labels, { ...q.options, onProgress: progress }) });
      case 'abort':
        aborts.get(q.target)?.abort(new DOMException('the load was cancelled', 'AbortError'));
        return;
      case 'dispose':
        loaded?.dispose();
        loaded = null;
        return reply({ id: q.id, kind: 'done', value: null });
    }
  }

  port.addEventListener('message', (e) => {
    const q = e.data;
    handle(q).catch((err: unknown) => {
      const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
      reply({ id: q.id, kind: 'error', error });
    });
  });
}
