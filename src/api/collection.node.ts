/**
 * The index from the library (Node): `openIndex(folder, model)` → update it from paths (files,
 * directories, globs, as the CLI takes them) and search it by text or image. The same folder and
 * format as `mobileclip index` (docs/index-format.md); one model per index.
 */
import { expandInputs, IMAGE_EXTENSIONS } from '../io/input-paths.node.js';
import { IndexStore, type LiveView } from '../collection/index-store.node.js';
import { modelIdentity } from '../collection/manifest.js';
import { topK } from '../collection/top-k.js';
import { type UpdateSummary, updateIndex } from '../collection/update.node.js';
import type { Embeddings, MobileCLIP } from './mobileclip.js';
import type { EmbeddingMatrix } from './embedding-matrix.js';
import type { NodeImageInput } from './node.js';

export interface SearchHit {
  path: string;
  score: number;
}

export interface IndexUpdateOptions {
  onProgress?: (done: number, total: number) => void;
  /** A file left out and why (also for paths that expand to nothing usable). */
  onSkip?: (path: string, reason: string) => void;
  signal?: AbortSignal;
  batchSize?: number;
}

export interface ImageIndex {
  readonly folder: string;
  /** Images in the index. */
  readonly size: number;
  /** Embeds what is new or changed among `paths` (files, directories, globs), drops rows of deleted files. */
  update(paths: readonly string[], o?: IndexUpdateOptions): Promise<UpdateSummary>;
  /** The `k` images (default 10) most like a text or an image, best first; only those ≥ `threshold`. */
  search(query: string | { image: NodeImageInput }, o?: { k?: number; threshold?: number }): Promise<SearchHit[]>;
  /** Releases the write lock (when `update` took it). */
  close(): Promise<void>;
}

/**
 * Opens (or, with an update, creates) the index in `folder` for `model`: an index made with other
 * weights or preprocessing is an IndexModelError. Searches read the committed rows once and keep
 * them in memory until the next update.
 */
export async function openIndex(folder: string, model: MobileCLIP<NodeImageInput>): Promise<ImageIndex> {
  const identity = modelIdentity(model);
  let store = await IndexStore.open(folder, { model: identity }).catch((e: Error) => (e.name === 'IndexFormatError' && /no index here/.test(e.message) ? null : Promise.reject(e)));
  // The committed rows, read once and held on the model's backend until the next update.
  let rows: { live: LiveView; matrix: EmbeddingMatrix } | null = null;
  const drop = () => {
    rows?.matrix.dispose();
    rows = null;
  };
  let writer: IndexStore | null = null;
  return {
    folder,
    get size() {
      return store?.counts.live ?? 0;
    },
    async update(paths, o = {}) {
      writer ??= await IndexStore.open(folder, { write: true, model: identity });
      const { files, skipped } = await expandInputs(paths, { extensions: IMAGE_EXTENSIONS });
      for (const s of skipped) o.onSkip?.(s.path, s.reason);
      const summary = await updateIndex(writer, model, files, { batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onSkip: (p, e) => o.onSkip?.(p, e.message) });
      summary.skipped += skipped.length;
      store = writer;
      drop();
      return summary;
    },
    async search(query, o = {}) {
      if (!store) return [];
      if (!rows) {
        const live = await store.loadLive();
        rows = { live, matrix: model.embeddingMatrix({ data: live.embeddings, count: live.count, dim: live.dim }) };
      }
      const q: Embeddings = typeof query === 'string' ? await model.encodeTexts([query]) : await model.encodeImages([query.image]);
      // Exact top-k; on the CPU from PREFILTER_FROM rows through int8 rows built at the first search.
      const hits = await rows.matrix.topK(q, o.k ?? 10, o.threshold);
      const live = rows.live;
      return Promise.all(hits.map(async (h) => ({ path: (await live.rowAt(h.index)).path, score: h.score })));
    },
    async close() {
      drop();
      await writer?.close();
      writer = null;
    },
  };
}

export { topK };
export type { UpdateSummary };
