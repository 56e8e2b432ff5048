/**
 * The index in the browser: `openIndex(name, model)` keeps it in the origin-private file system
 * under the folder `name`, in the same files as `mobileclip index --db` (docs/index-format.md), and
 * updates it from a user's picked Files (an <input type=file multiple webkitdirectory>, a drop, the
 * File System Access API's getFile()). A file's key is its `webkitRelativePath` (a folder pick) or
 * else its `name`; its size and `lastModified` play the part of a disk file's size and mtime, and
 * its SHA-256 (crypto.subtle) lets a renamed or copied file reuse its row's embedding.
 *
 * On the page thread, in a module worker that imports the library, and through createModelInWorker
 * (WorkerModel.openIndex: the same index run in the model's worker, Files passed by reference).
 */
import { OpfsIndexFolder } from '../collection/index-folder.opfs.js';
import { sha256Hex } from '../io/byte-cache.js';
import { IndexStore } from '../collection/index-store.js';
import { emptySummary, type UpdateEntry, type UpdateSummary, updateEntries } from '../collection/update.js';
import { type BrowserImageInput, imageBlobBytes } from '../preprocess/image-input.browser.js';
import { type Index, openIndexWith, type SearchHit, type SearchOptions } from './collection.js';
import type { MobileCLIP } from './mobileclip.js';

export type { SearchHit, SearchOptions, UpdateSummary };

export interface BrowserIndexUpdateOptions {
  onProgress?: (done: number, total: number) => void;
  /** A file left out and why (an image that does not decode, a second file of the same key). */
  onSkip?: (key: string, reason: string) => void;
  signal?: AbortSignal;
  batchSize?: number;
  /**
   * The files given are the whole collection: rows of keys not among them are removed. Off by
   * default, since a page cannot tell a file the user did not pick this time from a deleted one.
   */
  removeMissing?: boolean;
}

/** `update(files)`: embeds what is new or changed among the Files (by key, size and lastModified); a renamed or copied file reuses its embedding. */
export type BrowserImageIndex = Index<BrowserImageInput, readonly File[], BrowserIndexUpdateOptions>;

/** A picked file's key in the index: its path under the picked folder, else its name. */
export const fileKey = (f: File): string => f.webkitRelativePath || f.name;

interface FileEntry extends UpdateEntry {
  file: File;
}

/**
 * Opens (or, at the first update, creates) the index in the OPFS folder `name` (`a/b` nests) for
 * `model`: an index made with other weights or preprocessing is an IndexModelError. One writer at
 * a time per origin (a Web Lock): a second tab's update is an IndexBusyError until the first closes.
 */
export function openIndex(name: string, model: MobileCLIP<BrowserImageInput>): Promise<BrowserImageIndex> {
  const folder = new OpfsIndexFolder(name);
  const bytes = (e: FileEntry) => imageBlobBytes(e.file, e.given);
  return openIndexWith(
    folder.name,
    model,
    (o) => IndexStore.open(folder, o),
    async (writer, files: readonly File[], o: BrowserIndexUpdateOptions) => {
      const summary = emptySummary();
      const entries: FileEntry[] = [];
      const seen = new Set<string>();
      for (const file of files) {
        if (!(file instanceof Blob) || typeof (file as File).name !== 'string') throw new TypeError('openIndex().update: expected Files (a Blob with a name: new File([blob], name))');
        const key = fileKey(file);
        if (seen.has(key)) {
          summary.skipped++;
          o.onSkip?.(key, 'a second file of the same name in this update');
          continue;
        }
        seen.add(key);
        entries.push({ given: key, path: key, size: file.size, mtimeMs: file.lastModified, file });
      }
      return updateEntries(
        writer,
        model,
        entries,
        {
          bytes,
          sha256: sha256Hex,
          async prepare(e) {
            const b = await bytes(e);
            e.sha256 = await sha256Hex(b);
            return model.preprocess(b, e.given);
          },
          gone: async () => o.removeMissing === true,
        },
        { batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress, onSkip: (p, err) => o.onSkip?.(p, err.message) },
        summary,
      );
    },
  );
}
