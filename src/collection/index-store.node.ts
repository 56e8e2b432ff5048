/**
 * An index folder on disk (manifest.ts has the format): opened for reading by any number of
 * processes, for writing by one (a lock file naming its pid; a lock left by a killed writer is
 * taken over). A commit writes a new segment (flushed, renamed into place), then the manifest that
 * lists it (the same way): killed at any moment, the folder holds the last manifest and what it
 * lists; a segment written but never listed is removed by the next writer.
 */
import { readdir, rm, open as openFile, writeFile } from 'node:fs/promises';
import { constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { float32Tensor } from '../io/host-tensor.js';
import { readRegularFile, readSafetensors } from '../io/read-file.js';
import { writeSafetensors } from '../io/safetensors.js';
import { isTemporaryName, writeFileAtomic } from '../io/write-output.js';
import { checkManifest, checkRows, INDEX_FORMAT, INDEX_VERSION, IndexFormatError, type IndexModel, type Manifest, modelDifferences, type RowInfo, type SegmentEntry } from './manifest.js';

export class IndexBusyError extends Error {
  override name = 'IndexBusyError';
}

export class IndexModelError extends Error {
  override name = 'IndexModelError';
}

/** A live row: where it is stored and what file it describes. */
export interface LiveRow extends RowInfo {
  segment: string;
  row: number;
}

export interface OpenIndexOptions {
  /** Open for writing (takes the lock); create the index when there is none. */
  write?: boolean;
  /** The model the caller embeds with: checked against the index's (a mismatch is an IndexModelError). */
  model?: IndexModel;
  /** With `write`: start over (the old segments are removed once the first commit lists the new ones). */
  reindex?: boolean;
}

const MANIFEST = 'manifest.json';
/** Bounds on what an index's JSON can be: the manifest (segments and their removed rows), and a segment's rows file per row (a path and three fields). */
const MANIFEST_BYTES = 256 * 1024 * 1024;
const ROW_BYTES = 8192;
const LOCK = 'index.lock';
const segmentName = (n: number) => `seg-${String(n).padStart(8, '0')}.safetensors`;
/** A segment's rows: `seg-NNNNNNNN.rows.json` beside `seg-NNNNNNNN.safetensors`. */
export const rowsName = (segment: string) => segment.replace(/\.safetensors$/, '.rows.json');

/** The live rows of an index as a search reads them. */
export interface LiveView {
  count: number;
  dim: number;
  /** [count × dim], row-major. */
  embeddings: Float32Array;
  /** The file of live row i (its segment's rows read on first use). */
  rowAt(i: number): Promise<RowInfo>;
}

export class IndexStore {
  private constructor(
    readonly dir: string,
    public manifest: Manifest,
    private readonly locked: boolean,
    /** Segments of the index a --reindex replaces: removed after the first commit. */
    private replaced: string[] = [],
  ) {}

  static async open(dir: string, o: OpenIndexOptions = {}): Promise<IndexStore> {
    if (o.write) mkdirSync(dir, { recursive: true });
    const locked = o.write ? await takeLock(dir) : false;
    try {
      let manifest = await readManifest(dir);
      if (!manifest) {
        if (!o.write || !o.model) throw new IndexFormatError(`${dir}: no index here (no ${MANIFEST}); mobileclip index PATH… --db ${dir} builds one`);
        manifest = { format: INDEX_FORMAT, version: INDEX_VERSION, model: o.model, generation: 0, nextSegment: 1, segments: [] };
        await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest));
      }
      let replaced: string[] = [];
      if (o.model) {
        const diff = modelDifferences(manifest.model, o.model);
        if (diff.length && !(o.write && o.reindex)) throw new IndexModelError(`${dir}: the index was made with another model or preprocessing (${diff.join('; ')}); ${o.write ? 'add --reindex to rebuild it with this one' : 'search it with the model it was made with'}`);
        if (o.write && o.reindex) {
          replaced = manifest.segments.map((s) => s.file);
          manifest = { ...manifest, model: o.model, segments: [] };
        }
      }
      const store = new IndexStore(dir, manifest, locked, replaced);
      if (locked) await store.removeOrphans();
      return store;
    } catch (e) {
      if (locked) await rm(join(dir, LOCK), { force: true });
      throw e;
    }
  }

  /** Rows stored, and how many of them are live. */
  get counts(): { segments: number; rows: number; live: number } {
    const rows = this.manifest.segments.reduce((n, s) => n + s.rows, 0);
    const removed = this.manifest.segments.reduce((n, s) => n + s.removed.length, 0);
    return { segments: this.manifest.segments.length, rows, live: rows - removed };
  }

  /** One segment's embeddings [rows × dim], checked against the manifest. */
  async readEmbeddings(s: SegmentEntry): Promise<Float32Array> {
    const path = join(this.dir, s.file);
    const st = await readSafetensors(path);
    const [rows, dim] = st.info('embeddings').shape;
    if (rows !== s.rows || dim !== this.manifest.model.embedDim) throw new IndexFormatError(`${path}: embeddings ${rows}×${dim}, the manifest says ${s.rows}×${this.manifest.model.embedDim}`);
    return st.float32('embeddings');
  }

  /**
   * One segment's embeddings read straight into `target` (floats from `at`): no buffer for the file
   * and no copy after it, for the segments of a search. The header is checked as readSafetensors
   * checks one: a single F32 tensor `embeddings` of the manifest's shape, ending at the file's end.
   */
  async readEmbeddingsInto(s: SegmentEntry, target: Float32Array, at: number): Promise<void> {
    const path = join(this.dir, s.file);
    const dim = this.manifest.model.embedDim;
    const bad = (what: string) => new IndexFormatError(`${path}: ${what}`);
    const fh = await openFile(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: Error) => Promise.reject(bad(`cannot open the segment (${e.message})`)));
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw bad('not a regular file');
      const size = st.size;
      const head = new Uint8Array(8);
      if ((await fh.read(head, 0, 8, 0)).bytesRead !== 8) throw bad('shorter than a safetensors header');
      const n = Number(new DataView(head.buffer).getBigUint64(0, true));
      if (!(n > 0 && n <= 1 << 20 && 8 + n <= size)) throw bad(`a header of ${n} bytes`);
      const text = new Uint8Array(n);
      if ((await fh.read(text, 0, n, 8)).bytesRead !== n) throw bad('truncated header');
      let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
      } catch (e) {
        throw bad(`invalid JSON header: ${(e as Error).message}`);
      }
      const e = header?.embeddings;
      const bytes = s.rows * dim * 4;
      const off = e?.data_offsets as unknown;
      if (!e || e.dtype !== 'F32' || JSON.stringify(e.shape) !== JSON.stringify([s.rows, dim]) || !Array.isArray(off) || off[0] !== 0 || off[1] !== bytes || Object.keys(header).some((k) => k !== 'embeddings' && k !== '__metadata__')) {
        throw bad(`not the segment the manifest lists (embeddings F32 [${s.rows}, ${dim}] alone)`);
      }
      if (8 + n + bytes !== size) throw bad(`${size} bytes; the header says ${8 + n + bytes}`);
      const into = new Uint8Array(target.buffer, target.byteOffset + at * dim * 4, bytes);
      for (let done = 0; done < bytes; ) {
        const { bytesRead } = await fh.read(into, done, bytes - done, 8 + n + done);
        if (bytesRead === 0) throw bad('shorter than its header says');
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  /** One segment's rows (its `.rows.json` beside it), checked against the manifest; at most ROW_BYTES a row. */
  async readRows(s: SegmentEntry): Promise<RowInfo[]> {
    const path = join(this.dir, rowsName(s.file));
    return checkRows(await readJson(path, s.rows * ROW_BYTES + 1024, 'the rows'), s.rows, path);
  }

  /** Every live row (not its embedding), by absolute path. */
  async liveRows(): Promise<Map<string, LiveRow>> {
    const out = new Map<string, LiveRow>();
    for (const s of this.manifest.segments) {
      const rows = await this.readRows(s);
      const removed = new Set(s.removed);
      rows.forEach((r, i) => removed.has(i) || out.set(r.path, { ...r, segment: s.file, row: i }));
    }
    return out;
  }

  /**
   * The live embeddings as one [count × dim] matrix, in segment order, and `rowAt(i)` for what file
   * row i is — read when asked (a search needs the rows of its hits only, not a million of them).
   */
  async loadLive(): Promise<LiveView> {
    const dim = this.manifest.model.embedDim;
    const count = this.counts.live;
    const embeddings = new Float32Array(count * dim);
    // Where each segment's live rows start in the matrix, and which rows of it they are.
    const starts: number[] = [];
    let at = 0;
    for (const s of this.manifest.segments) {
      starts.push(at);
      at += s.rows - s.removed.length;
    }
    // Segments read concurrently (the copies out of the page cache run on libuv's threads).
    await Promise.all(
      this.manifest.segments.map(async (s, k) => {
        if (s.removed.length === 0) return this.readEmbeddingsInto(s, embeddings, starts[k]); // the common case: from the file into place
        const e = await this.readEmbeddings(s);
        const removed = new Set(s.removed);
        let to = starts[k];
        for (let i = 0; i < s.rows; i++) if (!removed.has(i)) embeddings.set(e.subarray(i * dim, (i + 1) * dim), to++ * dim);
      }),
    );
    const segments = this.manifest.segments;
    const rows = new Map<number, Promise<RowInfo[]>>();
    const rowAt = async (i: number): Promise<RowInfo> => {
      if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`row ${i} of ${count}`);
      let k = starts.length - 1;
      while (starts[k] > i) k--;
      const s = segments[k];
      if (!rows.has(k)) {
        const removed = new Set(s.removed);
        rows.set(k, this.readRows(s).then((all) => all.filter((_, r) => !removed.has(r))));
      }
      return (await rows.get(k)!)[i - starts[k]];
    };
    return { count, dim, embeddings, rowAt };
  }

  /**
   * One commit: `rows` and their embeddings as a new segment (none when empty), and `removals`
   * (rows replaced or whose file is gone) marked removed — visible to readers all at once.
   */
  async commit(rows: readonly RowInfo[], embeddings: Float32Array, removals: readonly { segment: string; row: number }[]): Promise<void> {
    if (!this.locked) throw new Error(`${this.dir}: opened for reading; commits need the write lock`);
    const m = this.manifest;
    const dim = m.model.embedDim;
    if (embeddings.length !== rows.length * dim) throw new RangeError(`commit: ${embeddings.length} values for ${rows.length} rows of ${dim}`);
    const removed = new Map(m.segments.map((s) => [s.file, new Set(s.removed)]));
    for (const r of removals) removed.get(r.segment)?.add(r.row);
    const segments = m.segments.map((s) => ({ ...s, removed: [...removed.get(s.file)!].sort((a, b) => a - b) }));
    let nextSegment = m.nextSegment;
    if (rows.length) {
      const file = segmentName(nextSegment++);
      // The rows first: a segment is only listed (by the manifest, written last) once both are in place.
      await writeFileAtomic(join(this.dir, rowsName(file)), JSON.stringify(rows));
      await writeFileAtomic(join(this.dir, file), writeSafetensors(new Map([['embeddings', float32Tensor(embeddings, [rows.length, dim])]]), { format: 'pt' }));
      segments.push({ file, rows: rows.length, removed: [] });
    }
    const next: Manifest = { ...m, generation: m.generation + 1, nextSegment, segments };
    await writeFileAtomic(join(this.dir, MANIFEST), JSON.stringify(next));
    this.manifest = next;
    // The segments a --reindex replaced are unlisted now. (Segments whose rows are all removed stay
    // until a compaction, which this format allows but this build does not do.)
    if (this.replaced.length) {
      for (const f of this.replaced) for (const name of [f, rowsName(f)]) await rm(join(this.dir, name), { force: true });
      this.replaced = [];
    }
  }

  /** Releases the write lock. */
  async close(): Promise<void> {
    if (this.locked) await rm(join(this.dir, LOCK), { force: true });
  }

  /** Segments a killed commit wrote but no manifest lists, and its temporary files. */
  private async removeOrphans(): Promise<void> {
    const listed = new Set([...this.manifest.segments.map((s) => s.file), ...this.replaced]);
    for (const name of await readdir(this.dir)) {
      const m = /^(seg-\d{8})\.(safetensors|rows\.json)$/.exec(name);
      if ((m && !listed.has(`${m[1]}.safetensors`)) || isTemporaryName(name)) await rm(join(this.dir, name), { force: true });
    }
  }
}

async function readManifest(dir: string): Promise<Manifest | null> {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  return checkManifest(await readJson(path, MANIFEST_BYTES, 'the manifest'), path);
}

/** A JSON file of the index, read as a regular file of at most `maxBytes` (a FIFO or a device is refused, not waited on). */
async function readJson(path: string, maxBytes: number, what: string): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readRegularFile(path, 'any', maxBytes));
  } catch (e) {
    throw new IndexFormatError(`cannot read ${what}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new IndexFormatError(`${path}: not JSON (${(e as Error).message})`);
  }
}

/** The write lock: a file naming the writer's pid, created exclusively; one whose process is gone is taken over. */
async function takeLock(dir: string): Promise<boolean> {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const f = await openFile(path, 'wx');
      await f.writeFile(String(process.pid));
      await f.close();
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(new TextDecoder().decode(await readRegularFile(path, 'any', 64).catch(() => new Uint8Array())).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) throw new IndexBusyError(`${dir}: ${pid === process.pid ? 'this process is already writing this index' : `another mobileclip index (pid ${pid}) is writing this index; wait for it, or stop it`}`);
    await rm(path, { force: true }); // left by a writer that was killed
  }
  await writeFile(path, String(process.pid), { flag: 'wx' });
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
