/**
 * Bringing an index up to date with files on disk (update.ts does the work): each path is
 * resolved (the index's key) and stat'ed for its size and mtime; bytes are read and hashed here, or
 * on a decode pool's threads; a live row whose file no longer exists is removed.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readBytes } from '../io/read-file.js';
import type { ImageEncoder } from './image-stream.js';
import type { NodeImageInput } from '../preprocess/image-input.node.js';
import type { IndexStore } from './index-store.js';
import type { DecodePool } from '../preprocess/decode-pool.node.js';
import { emptySummary, type UpdateEntry, type UpdateOptions as CommonUpdateOptions, type UpdateSummary, updateEntries } from './update.js';

export type { UpdateSummary };

export interface UpdateOptions extends CommonUpdateOptions {
  /** Decode on these worker threads (decode-pool.node.ts) instead of the calling one. */
  pool?: DecodePool;
}

/** What an update needs of a model (MobileCLIP is one): the stream's forward and its own preprocessing. */
export interface IndexingModel extends ImageEncoder {
  preprocess(image: NodeImageInput, name?: string): Promise<Float32Array>;
}

export async function updateIndex(store: IndexStore, model: IndexingModel, files: readonly string[], o: UpdateOptions = {}): Promise<UpdateSummary> {
  const summary = emptySummary();
  const entries: UpdateEntry[] = [];
  /** Named but not stat'able: not removed as gone (an unreadable file is not a deleted one). */
  const unreadable = new Set<string>();
  for (const given of files) {
    const path = resolve(given);
    try {
      const s = await stat(path);
      entries.push({ given, path, size: s.size, mtimeMs: s.mtimeMs });
    } catch (e) {
      unreadable.add(path);
      summary.skipped++;
      o.onSkip?.(given, e as Error);
    }
  }
  const sha256 = async (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  return updateEntries(
    store,
    model,
    entries,
    {
      bytes: (p) => readBytes(p.path, 'image'),
      sha256,
      // Read once: the bytes are hashed and decoded from the same buffer.
      async prepare(p) {
        if (o.pool) {
          const r = await o.pool.prepareHashed(p.given);
          p.sha256 = r.sha256;
          return r.input;
        }
        const bytes = await readBytes(p.path, 'image');
        p.sha256 = await sha256(bytes);
        return model.preprocess(bytes as NodeImageInput, p.given);
      },
      gone: (path) => (unreadable.has(path) ? Promise.resolve(false) : stat(path).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'ENOTDIR')),
    },
    o,
    summary,
  );
}
