/**
 * The index handle both platforms return from `openIndex` (collection.node.ts: a folder on disk;
 * collection.browser.ts: a folder in OPFS): one model per index, searches over the committed rows
 * read once and held on the model's backend until the next update. The platform supplies how the
 * store is opened and how its kind of files update it.
 */
import type { IndexStore, LiveView, OpenIndexOptions } from '../collection/index-store.js';
import { modelIdentity } from '../collection/manifest.js';
import type { UpdateSummary } from '../collection/update.js';
import type { Embeddings, MobileCLIP } from './mobileclip.js';
import type { EmbeddingMatrix } from './embedding-matrix.js';

export interface SearchHit {
  /** The row's key: an absolute path on disk; a picked file's relative path (or name) in the browser. */
  path: string;
  score: number;
}

export interface SearchOptions {
  /** How many hits at most (default 10). */
  k?: number;
  /** Only hits scoring at least this. */
  threshold?: number;
}

/** An index opened for a model: `Items` is what `update` takes (paths in Node, Files in the browser). */
export interface Index<I, Items, UpdateOptions> {
  /** Where it is: a folder's path, or `opfs:<name>`. */
  readonly folder: string;
  /** Images in the index. */
  readonly size: number;
  update(items: Items, o?: UpdateOptions): Promise<UpdateSummary>;
  /** The `k` images (default 10) most like a text or an image, best first; only those ≥ `threshold`. */
  search(query: string | { image: I }, o?: SearchOptions): Promise<SearchHit[]>;
  /** Releases the write lock (when `update` took it). */
  close(): Promise<void>;
}

/**
 * Opens the index `open` reaches for `model` (an index made with other weights or preprocessing is
 * an IndexModelError); a missing index is an empty one until the first update creates it.
 */
export async function openIndexWith<I, Items, UpdateOptions>(
  folder: string,
  model: MobileCLIP<I>,
  open: (o: OpenIndexOptions) => Promise<IndexStore>,
  update: (writer: IndexStore, items: Items, o: UpdateOptions) => Promise<UpdateSummary>,
): Promise<Index<I, Items, UpdateOptions>> {
  const identity = modelIdentity(model);
  let store = await open({ model: identity }).catch((e: Error) => (e.name === 'IndexFormatError' && /no index here/.test(e.message) ? null : Promise.reject(e)));
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
    async update(items, o = {} as UpdateOptions) {
      writer ??= await open({ write: true, model: identity });
      const summary = await update(writer, items, o);
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
