/**
 * Bringing an index up to date with a list of files, on any platform: a file whose path, size and
 * mtime are in the index is left alone; a new or changed one is embedded (streamed:
 * image-stream.ts) and its old row removed in the same commit, unless its content (sha256) is
 * already a live row's (a rename, a copy: the embedding is copied, not computed); a live row whose
 * file is gone is removed. Commits come every `commitRows` rows or `commitMs`, so a killed run keeps
 * what it committed and the next run goes on from there. The platform says what a file is
 * (update.node.ts: paths on disk; api/collection.browser.ts: picked Files).
 */
import { type ImageEncoder, streamImageEmbeddings } from './image-stream.js';
import type { IndexStore, LiveRow } from './index-store.js';
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

/** A file to index: `path` is the index's key (an absolute path; a picked file's relative path). */
export interface UpdateEntry {
  /** As the user named it (messages). */
  given: string;
  path: string;
  size: number;
  mtimeMs: number;
  sha256?: string;
  replaces?: { segment: string; row: number };
}

/** What a platform supplies: a file's bytes, SHA-256, model input, and whether an unnamed row's file is gone. */
export interface UpdateSource<E extends UpdateEntry> {
  bytes(e: E): Promise<Uint8Array>;
  sha256(bytes: Uint8Array): Promise<string>;
  /** The model input of `e`, setting `e.sha256` from the same bytes (read once). */
  prepare(e: E): Promise<Float32Array>;
  /** A live row not among this update's files: true when its file is gone (the row is removed). */
  gone(path: string): Promise<boolean>;
}

/** `summary` comes in with the files the platform could not even look at already counted as skipped. */
/** An update's counts before it starts (the platform's stat and name checks count their skips into it first). */
export const emptySummary = (): UpdateSummary => ({ added: 0, reused: 0, updated: 0, unchanged: 0, removed: 0, skipped: 0 });

export async function updateEntries<E extends UpdateEntry>(store: IndexStore, model: ImageEncoder, entries: readonly E[], source: UpdateSource<E>, o: UpdateOptions = {}, summary: UpdateSummary = emptySummary()): Promise<UpdateSummary> {
  const live = await store.liveRows();
  const todo: E[] = [];
  const named = new Set<string>();
  for (const e of entries) {
    named.add(e.path);
    const row = live.get(e.path);
    if (row && row.size === e.size && row.mtimeMs === e.mtimeMs) summary.unchanged++;
    else todo.push(Object.assign(e, { replaces: row && { segment: row.segment, row: row.row } }));
  }
  // Rows whose file is gone (rows of files not named this time but still there stay).
  let removals: { segment: string; row: number }[] = [];
  for (const [path, row] of live) {
    if (named.has(path)) continue;
    if (await source.gone(path)) removals.push({ segment: row.segment, row: row.row });
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
  const add = (p: E, embedding: Float32Array) => {
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
  const toEmbed: E[] = [];
  for (const p of todo) {
    const same = bySize.get(p.size);
    if (!same) {
      toEmbed.push(p);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await source.bytes(p);
    } catch {
      toEmbed.push(p); // the stream reports it
      continue;
    }
    p.sha256 = await source.sha256(bytes);
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
  for await (const ev of streamImageEmbeddings(model, toEmbed, (p) => source.prepare(p), { batchSize: o.batchSize, signal: o.signal })) {
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
