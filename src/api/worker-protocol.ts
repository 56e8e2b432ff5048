/**
 * Messages between a page and the model worker (worker-client.ts ↔ worker-host.ts), and the
 * description of a loaded model both sides use. Inputs and
 * results that are large travel as transferables (ArrayBuffers, ImageBitmaps), never as copies;
 * Blobs and Files are passed by reference. One model per worker.
 */
import type { LoadProgress } from '../io/load-progress.js';
import type { ClassifyOptions, Embeddings, MobileCLIP, Prediction } from './mobileclip.js';
import type { StorageDType } from '../runtime/dtype.js';
import type { ImageSize } from '../preprocess/image-size.js';
import { describePolicy } from '../backends/webgpu/policy.js';
import type { BackendKind } from '../runtime/backend.js';
import type { UpdateSummary } from '../collection/update.js';
import type { SearchHit } from './collection.js';

/** An image as it crosses to the worker: what the worker's reader takes, DOM elements already turned into ImageBitmaps. */
export type WorkerImage = string | Blob | ImageData | ImageBitmap | Uint8Array | ArrayBuffer | { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels: 1 | 3 | 4 };

/** The backend, adapter and model the worker loaded, for display. */
export interface WorkerModelInfo {
  /** Where the model runs: 'webgpu', or 'cpu' (then `adapter` describes the CPU backend). */
  backend: BackendKind;
  adapter: { vendor: string; architecture: string; device: string; description: string; isSoftware: boolean; f16: boolean; subgroups: boolean; subgroupSize?: number;
    /** The kernel choices in force (describePolicy). */
    policy: string };
  model: { name: string; imageSize: ImageSize; embedDim: number; dtype: StorageDType; hasTokenizer: boolean };
}

/** The backend, adapter and model `m` runs on, as createModelInWorker reports them. */
export function modelInfo<I>(m: MobileCLIP<I>): WorkerModelInfo {
  const gpu = m.gpu;
  const i = gpu?.info;
  return {
    backend: m.backend.kind,
    adapter: i && gpu
      ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isSoftware: i.isSoftware, f16: i.features.shaderF16, subgroups: i.features.subgroups, subgroupSize: i.subgroupSize, policy: describePolicy(gpu.policy) }
      : { vendor: '', architecture: '', device: 'cpu', description: m.backend.description, isSoftware: false, f16: false, subgroups: false, policy: 'CPU backend' },
    model: { name: m.spec.name, imageSize: m.imageSize, embedDim: m.embedDim, dtype: m.dtype, hasTokenizer: m.tokenizer !== null },
  };
}

export type WorkerRequest =
  | { id: number; op: 'load'; name: string | object; options: Record<string, unknown> }
  | { id: number; op: 'encodeImages'; images: WorkerImage[]; options: { normalize?: boolean; batchSize?: number } }
  | { id: number; op: 'encodeTexts'; texts: string[]; options: { normalize?: boolean; batchSize?: number } }
  | { id: number; op: 'classify'; images: WorkerImage[]; labels: string[]; options: Omit<ClassifyOptions, 'onProgress'> }
  /** openIndex in the worker (collection.browser.ts): `index` numbers the handle for the calls after. */
  | { id: number; op: 'indexOpen'; index: number; name: string }
  | { id: number; op: 'indexUpdate'; index: number; files: File[]; options: { batchSize?: number; removeMissing?: boolean } }
  | { id: number; op: 'indexSearch'; index: number; query: string | { image: WorkerImage }; options: { k?: number; threshold?: number } }
  | { id: number; op: 'indexClose'; index: number }
  | { id: number; op: 'abort'; target: number }
  | { id: number; op: 'dispose' };

export type WorkerReply =
  | { id: number; kind: 'load-progress'; progress: LoadProgress }
  | { id: number; kind: 'progress'; done: number; total: number }
  /** A file an index update left out, as it happens. */
  | { id: number; kind: 'skip'; path: string; reason: string }
  | { id: number; kind: 'done'; value: WorkerModelInfo | Embeddings | Prediction[][] | WorkerIndexState | SearchHit[] | null }
  | { id: number; kind: 'error'; error: { name: string; message: string } };

/** An index's state after an open or an update (`summary` after an update). */
export interface WorkerIndexState {
  folder: string;
  size: number;
  summary?: UpdateSummary;
}
