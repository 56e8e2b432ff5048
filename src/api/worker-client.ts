/**
 * createModelInWorker: the model in a dedicated Worker (WebGPU works there), so a page stays
 * responsive through a multi-second first forward. Calls mirror MobileCLIP's (encodeImages,
 * encodeTexts, classify); DOM images (<img>, canvases, video frames) become ImageBitmaps here and
 * are transferred, as are byte buffers and ImageData's pixels (the caller's copy is detached);
 * Blobs and Files go by reference, embeddings come back transferred.
 */
import type { OnLoadProgress } from '../io/load-progress.js';
import { type BrowserImageInput, isA } from '../preprocess/image-input.browser.js';
import type { LoadOptions } from './create.js';
import type { ClassifyOptions, Embeddings, Prediction } from './mobileclip.js';
import type { WorkerImage, WorkerIndexState, WorkerModelInfo, WorkerReply, WorkerRequest } from './worker-protocol.js';
import type { SearchHit, SearchOptions } from './collection.js';
import type { BrowserImageIndex, BrowserIndexUpdateOptions } from './collection.browser.js';
import type { UpdateSummary } from '../collection/update.js';

export type { WorkerModelInfo };

export interface WorkerCreateOptions extends Omit<LoadOptions, 'gpu' | 'backend' | 'onNotice' | 'cache'> {
  /** The worker script (default: worker.js beside this bundle). */
  workerUrl?: string | URL;
  /** Cache downloads in the worker's Cache Storage (default true). */
  cache?: boolean;
}

/** A request before it is numbered (Omit distributed over the union). */
type Unnumbered = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  onProgress?: (done: number, total: number) => void;
  onLoadProgress?: OnLoadProgress;
  onSkip?: (path: string, reason: string) => void;
}


/** One image for the worker, with what to transfer. */
async function toWorkerImage(img: BrowserImageInput, transfer: Transferable[]): Promise<WorkerImage> {
  if (typeof img === 'string') return new URL(img, globalThis.location?.href).href;
  if (img instanceof URL) return img.href;
  if (isA(img, 'Blob') || typeof img !== 'object' || img === null) return img as WorkerImage;
  if (img instanceof ArrayBuffer) {
    transfer.push(img);
    return img;
  }
  if (img instanceof Uint8Array) {
    transfer.push(img.buffer as ArrayBuffer);
    return img;
  }
  if (isA(img, 'ImageData')) {
    transfer.push((img as ImageData).data.buffer as ArrayBuffer);
    return img as ImageData;
  }
  if (isA(img, 'ImageBitmap')) {
    transfer.push(img as ImageBitmap);
    return img as ImageBitmap;
  }
  if (isA(img, 'HTMLImageElement') || isA(img, 'HTMLCanvasElement') || isA(img, 'OffscreenCanvas') || isA(img, 'VideoFrame')) {
    if (isA(img, 'HTMLImageElement') && !(img as HTMLImageElement).complete) await (img as HTMLImageElement).decode();
    const bitmap = await createImageBitmap(img as ImageBitmapSource, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    transfer.push(bitmap);
    return bitmap;
  }
  if ('data' in img && (img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray)) {
    transfer.push(img.data.buffer as ArrayBuffer);
    return img as WorkerImage;
  }
  return img as WorkerImage; // the worker's reader names what it cannot take
}

export class WorkerModel {
  private nextId = 1;
  private nextIndex = 1;
  private readonly pending = new Map<number, Pending>();
  info!: WorkerModelInfo;

  private constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e: MessageEvent<WorkerReply>) => this.receive(e.data));
    worker.addEventListener('error', (e) => this.failAll(new Error(`the model worker failed: ${e.message || 'it could not be started (is the worker script served?)'}`)));
  }

  static async create(name: string | object, o: WorkerCreateOptions = {}): Promise<WorkerModel> {
    const url = o.workerUrl ?? new URL('./worker.js', import.meta.url);
    const m = new WorkerModel(new Worker(url, { type: 'module', name: 'mobileclip' }));
    const { onProgress, signal, workerUrl: _u, ...rest } = o;
    const options: Record<string, unknown> = { ...rest, cache: o.cache === false ? null : undefined };
    const transfer: Transferable[] = [];
    for (const k of ['weights', 'vocab'] as const) {
      const v = o[k];
      if (v instanceof URL) options[k] = v.href;
      else if (typeof v === 'string' && !v.startsWith('hf-hub:')) options[k] = new URL(v, globalThis.location?.href).href;
      else if (v instanceof ArrayBuffer) transfer.push(v);
      else if (v instanceof Uint8Array) transfer.push(v.buffer as ArrayBuffer);
    }
    try {
      m.info = await m.call<WorkerModelInfo>({ op: 'load', name, options }, transfer, { onLoadProgress: onProgress, signal });
    } catch (e) {
      m.worker.terminate();
      throw e;
    }
    return m;
  }

  private call<T>(q: Unnumbered, transfer: Transferable[], hooks: Omit<Pending, 'resolve' | 'reject'> & { signal?: AbortSignal } = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (hooks.signal?.aborted) return reject(hooks.signal.reason);
      hooks.signal?.addEventListener('abort', () => this.worker.postMessage({ id: this.nextId++, op: 'abort', target: id }), { once: true });
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onProgress: hooks.onProgress, onLoadProgress: hooks.onLoadProgress, onSkip: hooks.onSkip });
      this.worker.postMessage({ ...q, id } as WorkerRequest, transfer);
    });
  }

  private receive(r: WorkerReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    if (r.kind === 'load-progress') p.onLoadProgress?.(r.progress);
    else if (r.kind === 'progress') p.onProgress?.(r.done, r.total);
    else if (r.kind === 'skip') p.onSkip?.(r.path, r.reason);
    else {
      this.pending.delete(r.id);
      if (r.kind === 'done') p.resolve(r.value as never);
      // A DOMException's name is a read-only accessor: assigning it throws (here, in the message handler, leaving the call unsettled).
      else p.reject(r.error.name === 'AbortError' ? new DOMException(r.error.message, 'AbortError') : Object.assign(new Error(r.error.message), { name: r.error.name }));
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private async images(images: readonly BrowserImageInput[]): Promise<{ list: WorkerImage[]; transfer: Transferable[] }> {
    if (!Array.isArray(images)) throw new TypeError('expected an array of images');
    const transfer: Transferable[] = [];
    const list = await Promise.all(images.map((i) => toWorkerImage(i, transfer)));
    return { list, transfer: [...new Set(transfer)] };
  }

  async encodeImages(images: readonly BrowserImageInput[], opts: { normalize?: boolean; batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<Embeddings> {
    const { list, transfer } = await this.images(images);
    const { onProgress, ...options } = opts;
    return this.call({ op: 'encodeImages', images: list, options }, transfer, { onProgress });
  }

  async encodeTexts(texts: readonly string[], opts: { normalize?: boolean; batchSize?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<Embeddings> {
    const { onProgress, ...options } = opts;
    return this.call({ op: 'encodeTexts', texts: [...texts], options }, [], { onProgress });
  }

  async classify(images: readonly BrowserImageInput[], labels: readonly string[], opts: ClassifyOptions = {}): Promise<Prediction[][]> {
    const { list, transfer } = await this.images(images);
    // Functions do not cross to the worker: progress comes back as messages (label progress is not relayed).
    const { onProgress, onLabelProgress: _labels, ...options } = opts;
    return this.call({ op: 'classify', images: list, labels: [...labels], options }, transfer, { onProgress });
  }

  /**
   * openIndex (collection.browser.ts) run in the worker, with its model: the index in the OPFS
   * folder `name`, updated from Files (passed by reference) and searched there; the same folder a
   * page's openIndex opens (one writer at a time across both: a Web Lock).
   */
  async openIndex(name: string): Promise<BrowserImageIndex> {
    const index = this.nextIndex++;
    let state = await this.call<WorkerIndexState>({ op: 'indexOpen', index, name }, []);
    return {
      folder: state.folder,
      get size() {
        return state.size;
      },
      update: async (files: readonly File[], o: BrowserIndexUpdateOptions = {}): Promise<UpdateSummary> => {
        const { onProgress, onSkip, signal, ...options } = o;
        state = await this.call<WorkerIndexState>({ op: 'indexUpdate', index, files: [...files], options }, [], { onProgress, onSkip, signal });
        return state.summary!;
      },
      search: async (query: string | { image: BrowserImageInput }, o: SearchOptions = {}): Promise<SearchHit[]> => {
        const transfer: Transferable[] = [];
        const q = typeof query === 'string' ? query : { image: await toWorkerImage(query.image, transfer) };
        return this.call({ op: 'indexSearch', index, query: q, options: { k: o.k, threshold: o.threshold } }, transfer);
      },
      close: () => this.call({ op: 'indexClose', index }, []),
    };
  }

  /** Frees the model's GPU memory and ends the worker. */
  async dispose(): Promise<void> {
    try {
      await this.call({ op: 'dispose' }, []);
    } finally {
      this.worker.terminate();
      this.failAll(new Error('the model worker was disposed'));
    }
  }
}

/** Like createModelAndTransforms, with the model in a dedicated Worker; see WorkerModel. */
export function createModelInWorker(name: string | object, o: WorkerCreateOptions = {}): Promise<WorkerModel> {
  return WorkerModel.create(name, o);
}
