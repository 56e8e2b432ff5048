/**
 * An index (manifest.ts has the format) in an IndexFolder: opened for reading by any number of
 * readers, for writing by one (the folder's lock). A commit writes a new segment (its rows file,
 * then its embeddings), then the manifest that lists it, each through the folder's `write`: killed
 * at any moment, the folder holds the last manifest and what it lists; a segment written but never
 * listed is removed by the next writer. The same code for a disk folder and for OPFS.
 */
import { float32Tensor } from '../io/host-tensor.js';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.js';
import type { IndexFolder } from './index-folder.js';
import { checkManifest, checkRows, countRows, INDEX_FORMAT, MANIFEST, MANIFEST_BYTES, INDEX_VERSION, IndexFormatError, type IndexModel, type Manifest, modelDifferences, type RowInfo, type SegmentEntry } from './manifest.js';

export { IndexBusyError } from './index-folder.js';

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

/** Bound on a segment's rows file, per row (a path and three fields); the manifest's is MANIFEST_BYTES. */
const ROW_BYTES = 8192;
/** The largest safetensors header a segment may have (one tensor and its metadata). */
const SEGMENT_HEADER_BYTES = 1 << 20;
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
    readonly folder: IndexFolder,
    public manifest: Manifest,
    /** The write lock's release; null when opened for reading. */
    private unlock: (() => Promise<void>) | null,
    /** Segments of the index a --reindex replaces: removed after the first commit. */
    private replaced: string[] = [],
  ) {}

  /** The folder as messages name it (a path on disk). */
  get dir(): string {
    return this.folder.name;
  }

  static async open(folder: IndexFolder, o: OpenIndexOptions = {}): Promise<IndexStore> {
    if (o.write) await folder.create();
    const unlock = o.write ? await folder.lock() : null;
    try {
      let manifest = await readManifest(folder);
      if (!manifest) {
        if (!o.write || !o.model) throw new IndexFormatError(`${folder.name}: no index here (no ${MANIFEST}); mobileclip index PATH… --db ${folder.name} builds one`);
        manifest = { format: INDEX_FORMAT, version: INDEX_VERSION, model: o.model, generation: 0, nextSegment: 1, segments: [] };
        await folder.write(MANIFEST, JSON.stringify(manifest));
      }
      let replaced: string[] = [];
      if (o.model) {
        const diff = modelDifferences(manifest.model, o.model);
        if (diff.length && !(o.write && o.reindex)) throw new IndexModelError(`${folder.name}: the index was made with another model or preprocessing (${diff.join('; ')}); ${o.write ? 'add --reindex to rebuild it with this one' : 'search it with the model it was made with'}`);
        if (o.write && o.reindex) {
          replaced = manifest.segments.map((s) => s.file);
          manifest = { ...manifest, model: o.model, segments: [] };
        }
      }
      const store = new IndexStore(folder, manifest, unlock, replaced);
      if (unlock) await store.removeOrphans();
      return store;
    } catch (e) {
      await unlock?.();
      throw e;
    }
  }

  /** Rows stored, and how many of them are live. */
  get counts(): { segments: number; rows: number; live: number } {
    return countRows(this.manifest);
  }

  /** One segment's embeddings [rows × dim], checked against the manifest. */
  async readEmbeddings(s: SegmentEntry): Promise<Float32Array> {
    const path = this.folder.where(s.file);
    const dim = this.manifest.model.embedDim;
    const st = SafetensorsFile.parse(await this.folder.read(s.file, 8 + SEGMENT_HEADER_BYTES + s.rows * dim * 4), path);
    const [rows, d] = st.info('embeddings').shape;
    if (rows !== s.rows || d !== dim) throw new IndexFormatError(`${path}: embeddings ${rows}×${d}, the manifest says ${s.rows}×${dim}`);
    return st.float32('embeddings');
  }

  /**
   * One segment's embeddings read straight into `target` (floats from `at`): no buffer for the file
   * and no copy after it, for the segments of a search. The header is checked as readSafetensors
   * checks one: a single F32 tensor `embeddings` of the manifest's shape, ending at the file's end.
   */
  async readEmbeddingsInto(s: SegmentEntry, target: Float32Array, at: number): Promise<void> {
    const path = this.folder.where(s.file);
    const dim = this.manifest.model.embedDim;
    const bad = (what: string) => new IndexFormatError(`${path}: ${what}`);
    const fh = await this.folder.open(s.file).catch((e: Error) => Promise.reject(bad(`cannot open the segment (${e.message})`)));
    try {
      const size = fh.size;
      const head = new Uint8Array(8);
      if ((await fh.read(head, 0)) !== 8) throw bad('shorter than a safetensors header');
      const n = Number(new DataView(head.buffer).getBigUint64(0, true));
      if (!(n > 0 && n <= SEGMENT_HEADER_BYTES && 8 + n <= size)) throw bad(`a header of ${n} bytes`);
      const text = new Uint8Array(n);
      if ((await fh.read(text, 8)) !== n) throw bad('truncated header');
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
        const got = await fh.read(into.subarray(done), 8 + n + done);
        if (got === 0) throw bad('shorter than its header says');
        done += got;
      }
    } finally {
      await fh.close();
    }
  }

  /** One segment's rows (its `.rows.json` beside it), checked against the manifest; at most ROW_BYTES a row. */
  async readRows(s: SegmentEntry): Promise<RowInfo[]> {
    const file = rowsName(s.file);
    return checkRows(await readJson(this.folder, file, s.rows * ROW_BYTES + 1024, 'the rows'), s.rows, this.folder.where(file));
  }

  /** Every live row (not its embedding), by path. */
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
    // Segments read concurrently (on Node the copies out of the page cache run on libuv's threads).
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
    if (!this.unlock) throw new Error(`${this.folder.name}: opened for reading; commits need the write lock`);
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
      await this.folder.write(rowsName(file), JSON.stringify(rows));
      await this.folder.write(file, writeSafetensors(new Map([['embeddings', float32Tensor(embeddings, [rows.length, dim])]]), { format: 'pt' }));
      segments.push({ file, rows: rows.length, removed: [] });
    }
    const next: Manifest = { ...m, generation: m.generation + 1, nextSegment, segments };
    await this.folder.write(MANIFEST, JSON.stringify(next));
    this.manifest = next;
    // The segments a --reindex replaced are unlisted now. (Segments whose rows are all removed stay
    // until a compaction, which this format allows but this build does not do.)
    if (this.replaced.length) {
      for (const f of this.replaced) for (const name of [f, rowsName(f)]) await this.folder.remove(name);
      this.replaced = [];
    }
  }

  /** Releases the write lock. */
  async close(): Promise<void> {
    const unlock = this.unlock;
    this.unlock = null;
    await unlock?.();
  }

  /** Segments a killed commit wrote but no manifest lists, and its temporary files. */
  private async removeOrphans(): Promise<void> {
    const listed = new Set([...this.manifest.segments.map((s) => s.file), ...this.replaced]);
    for (const name of await this.folder.list()) {
      const m = /^(seg-\d{8})\.(safetensors|rows\.json)$/.exec(name);
      if ((m && !listed.has(`${m[1]}.safetensors`)) || this.folder.isTemporary(name)) await this.folder.remove(name);
    }
  }
}

async function readManifest(folder: IndexFolder): Promise<Manifest | null> {
  if (!(await folder.exists(MANIFEST))) return null;
  return checkManifest(await readJson(folder, MANIFEST, MANIFEST_BYTES, 'the manifest'), folder.where(MANIFEST));
}

/** A JSON file of the index of at most `maxBytes`. */
async function readJson(folder: IndexFolder, file: string, maxBytes: number, what: string): Promise<unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await folder.read(file, maxBytes));
  } catch (e) {
    throw new IndexFormatError(`cannot read ${what}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new IndexFormatError(`${folder.where(file)}: not JSON (${(e as Error).message})`);
  }
}
