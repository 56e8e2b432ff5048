/**
 * Bringing an index up to date with files on disk: a file whose path, size and mtime are in the
 * index is left alone; a new or changed one is embedded (streamed: image-stream.ts) and its old row
 * removed in the same commit; a row whose file is gone is removed. Commits come every `commitRows`
 * rows or `commitMs`, so a killed run keeps what it committed and the next run goes on from there.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readBytes } from '../io/read-file.js';
import { type ImageEncoder, streamImageEmbeddings } from './image-stream.js';
import type { NodeImageInput } from '../preprocess/image-input.node.js';
import type { IndexStore, LiveRow } from './index-store.node.js';
import type { DecodePool } from '../preprocess/decode-pool.node.js';
import type { RowInfo } from './manifest.js';

export interface UpdateOptions {
  batchSize?: number;
  /** Commit after this many new rows (default 256)… */
  commitRows?: number;
  /** …or this long after the last commit (default 10 s), whichever comes first. */
  commitMs?: number;
  signal?: AbortSignal;
  /** After each batch: files done (embedded or skipped) of those to embed. */
  onProgress?: (done: number, total: number) => void;
  /** A file left out, and why (a broken image, an unreadable file). May throw to stop (--strict). */
  onSkip?: (path: string, error: Error) => void;
  /** Decode on these worker threads (decode-pool.node.ts) instead of the calling one. */
  pool?: DecodePool;
}

export interface UpdateSummary {
  added: number;
  /** Of `added` and `updated`: rows whose content (sha256) the index already held, their embedding copied, not computed (a rename, a duplicate). */
  reused: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: number;
}

interface Pending {
  /** As the user named it (messages), and absolute (the index's key). */
  given: string;
  path: string;
  size: number;
  mtimeMs: number;
  sha256?: string;
  replaces?: { segment: string; row: number };
}

/** What an update needs of a model (MobileCLIP is one): the stream's forward and its own preprocessing. */
export interface IndexingModel extends ImageEncoder {
  preprocess(image: NodeImageInput, name?: string): Promise<Float32Array>;
}

export async function updateIndex(store: IndexStore, model: IndexingModel, files: readonly string[], o: UpdateOptions = {}): Promise<UpdateSummary> {
  const summary: UpdateSummary = { added: 0, reused: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0 };
  const live = await store.liveRows();
  const todo: Pending[] = [];
  const named = new Set<string>();
  for (const given of files) {
    const path = resolve(given);
    named.add(path);
    let s;
    try {
      s = await stat(path);
    } catch (e) {
      summary.skipped++;
      o.onSkip?.(given, e as Error);
      continue;
    }
    const row = live.get(path);
    if (row && row.size === s.size && row.mtimeMs === s.mtimeMs) summary.unchanged++;
    else todo.push({ given, path, size: s.size, mtimeMs: s.mtimeMs, replaces: row && { segment: row.segment, row: row.row } });
  }
  // Rows whose file is gone (rows of files not named this time but still there stay).
  let removals: { segment: string; row: number }[] = [];
  for (const [path, row] of live) {
    if (named.has(path)) continue;
    const gone = await stat(path).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'ENOTDIR');
    if (gone) removals.push({ segment: row.segment, row: row.row });
  }
  summary.removed = removals.length;

  const dim = store.manifest.model.embedDim;
  const commitRows = o.commitRows ?? 256;
  const commitMs = o.commitMs ?? 10_000;
  let rows: RowInfo[] = [];
  let values: Float32Array[] = [];
  let last = performance.now();
  const commit = async () => {
    const embeddings = new Float32Array(rows.length * dim);
    values.forEach((v, i) => embeddings.set(v, i * dim));
    await store.commit(rows, embeddings, removals);
    rows = [];
    values = [];
    removals = [];
    last = performance.now();
  };
  // Read once: the bytes are hashed and decoded from the same buffer.
  const prepare = async (p: Pending) => {
    if (o.pool) {
      const r = await o.pool.prepareHashed(p.given);
      p.sha256 = r.sha256;
      return r.input;
    }
    const bytes = await readBytes(p.path, 'image');
    p.sha256 = createHash('sha256').update(bytes).digest('hex');
    return model.preprocess(bytes as NodeImageInput, p.given);
  };
  const add = (p: Pending, embedding: Float32Array) => {
    rows.push({ path: p.path, size: p.size, mtimeMs: p.mtimeMs, sha256: p.sha256! });
    values.push(embedding);
    if (p.replaces) {
      removals.push(p.replaces);
      summary.updated++;
    } else summary.added++;
  };
  // A file of the same size as a live row may be that row's content under another name (a rename,
  // a copy): hashed first, and when the content matches, its embedding is copied, not computed.
  const bySize = new Map<number, LiveRow[]>();
  for (const r of live.values()) {
    const list = bySize.get(r.size);
    if (list) list.push(r);
    else bySize.set(r.size, [r]);
  }
  const segments = new Map<string, Float32Array>();
  const toEmbed: Pending[] = [];
  for (const p of todo) {
    const same = bySize.get(p.size);
    if (!same) {
      toEmbed.push(p);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBytes(p.path, 'image');
    } catch {
      toEmbed.push(p); // the stream reports it
      continue;
    }
    p.sha256 = createHash('sha256').update(bytes).digest('hex');
    const twin = same.find((r) => r.sha256 === p.sha256);
    if (!twin) {
      toEmbed.push(p);
      continue;
    }
    if (!segments.has(twin.segment)) segments.set(twin.segment, await store.readEmbeddings(store.manifest.segments.find((s) => s.file === twin.segment)!));
    add(p, segments.get(twin.segment)!.slice(twin.row * dim, (twin.row + 1) * dim));
    summary.reused++;
  }
  segments.clear();
  let done = todo.length - toEmbed.length;
  if (done) o.onProgress?.(done, todo.length);
  for await (const ev of streamImageEmbeddings(model, toEmbed, prepare, { batchSize: o.batchSize, signal: o.signal })) {
    if (ev.kind === 'skipped') {
      summary.skipped++;
      done++;
      o.onSkip?.(ev.item.given, ev.error);
    } else {
      ev.items.forEach((p, i) => add(p, ev.embeddings.data.slice(i * dim, (i + 1) * dim)));
      done += ev.items.length;
    }
    o.onProgress?.(done, todo.length);
    if (rows.length >= commitRows || (rows.length > 0 && performance.now() - last >= commitMs)) await commit();
  }
  await commit(); // the last rows and removals (and, after a --reindex with nothing to embed, the empty index)
  return summary;
}
