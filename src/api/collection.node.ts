/**
 * The index from the library (Node): `openIndex(folder, model)` → update it from paths (files,
 * directories, globs, as the CLI takes them) and search it by text or image. The same folder and
 * format as `mobileclip index` (docs/index-format.md); one model per index.
 */
import { expandInputs, IMAGE_EXTENSIONS } from '../io/input-paths.node.js';
import { IndexStore } from '../collection/index-store.node.js';
import { topK } from '../collection/top-k.js';
import { type UpdateSummary, updateIndex } from '../collection/update.node.js';
import { type Index, openIndexWith, type SearchHit } from './collection.js';
import type { MobileCLIP } from './mobileclip.js';
import type { NodeImageInput } from './node.js';

export type { SearchHit };

export interface IndexUpdateOptions {
  onProgress?: (done: number, total: number) => void;
  /** A file left out and why (also for paths that expand to nothing usable). */
  onSkip?: (path: string, reason: string) => void;
  signal?: AbortSignal;
  batchSize?: number;
}

/** `update(paths)`: embeds what is new or changed among `paths` (files, directories, globs), drops rows of deleted files. */
export type ImageIndex = Index<NodeImageInput, readonly string[], IndexUpdateOptions>;

/**
 * Opens (or, with an update, creates) the index in `folder` for `model`: an index made with other
 * weights or preprocessing is an IndexModelError. Searches read the committed rows once and keep
 * them in memory until the next update.
 */
export function openIndex(folder: string, model: MobileCLIP<NodeImageInput>): Promise<ImageIndex> {
  return openIndexWith(
    folder,
    model,
    (o) => IndexStore.open(folder, o),
    async (writer, paths: readonly string[], o: IndexUpdateOptions) => {
      const { files, skipped } = await expandInputs(paths, { extensions: IMAGE_EXTENSIONS });
      for (const s of skipped) o.onSkip?.(s.path, s.reason);
      const summary = await updateIndex(writer, model, files, { batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onSkip: (p, e) => o.onSkip?.(p, e.message) });
      summary.skipped += skipped.length;
      return summary;
    },
  );
}

export { topK };
export type { UpdateSummary };
