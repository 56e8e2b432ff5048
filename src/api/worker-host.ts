/**
 * The worker side of createModelInWorker: loads one model with the browser entry's
 * createModelAndTransforms and answers the page's calls, posting progress as it goes and results
 * with their buffers transferred. Started by the worker bundle (src/worker.browser.ts).
 */
import { createModelAndTransforms, type BrowserModelAndTransforms } from './browser.js';
import { type BrowserImageIndex, openIndex } from './collection.browser.js';
import { modelInfo, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

interface Port {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest>) => void): void;
}

export function serveModel(port: Port): void {
  let loaded: BrowserModelAndTransforms | null = null;
  /** Calls that can be cancelled, and what a cancel says. */
  const aborts = new Map<number, { ac: AbortController; what: string }>();
  const indexes = new Map<number, BrowserImageIndex>();
  const reply = (r: WorkerReply, transfer: Transferable[] = []) => port.postMessage(r, transfer);

  async function handle(q: WorkerRequest): Promise<void> {
    const progress = (done: number, total: number) => reply({ id: q.id, kind: 'progress', done, total });
    const opened = (n: number) => {
      const index = indexes.get(n);
      if (!index) throw new Error(`${q.op}: that index is closed`);
      return index;
    };
    const model = () => {
      if (!loaded) throw new Error(`${q.op}: no model is loaded in this worker`);
      return loaded.model;
    };
    switch (q.op) {
      case 'load': {
        if (loaded) throw new Error('load: this worker already holds a model (one per worker)');
        const ac = new AbortController();
        aborts.set(q.id, { ac, what: 'the load was cancelled' });
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
      case 'indexOpen': {
        const index = await openIndex(q.name, model());
        indexes.set(q.index, index);
        return reply({ id: q.id, kind: 'done', value: { folder: index.folder, size: index.size } });
      }
      case 'indexUpdate': {
        const index = opened(q.index);
        const ac = new AbortController();
        aborts.set(q.id, { ac, what: 'the index update was cancelled' });
        try {
          const summary = await index.update(q.files, { ...q.options, signal: ac.signal, onProgress: progress, onSkip: (path, reason) => reply({ id: q.id, kind: 'skip', path, reason }) });
          return reply({ id: q.id, kind: 'done', value: { folder: index.folder, size: index.size, summary } });
        } finally {
          aborts.delete(q.id);
        }
      }
      case 'indexSearch':
        return reply({ id: q.id, kind: 'done', value: await opened(q.index).search(q.query, q.options) });
      case 'indexClose':
        await indexes.get(q.index)?.close();
        indexes.delete(q.index);
        return reply({ id: q.id, kind: 'done', value: null });
      case 'abort':
        const a = aborts.get(q.target);
        a?.ac.abort(new DOMException(a.what, 'AbortError'));
        return;
      case 'dispose':
        for (const index of indexes.values()) await index.close();
        indexes.clear();
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
