/**
 * Beyond one machine: `index --shard I/N` embeds the inputs whose absolute path hashes to shard I
 * (the same split on every run and machine that sees the same paths), so N processes started by
 * any job runner (a Kubernetes indexed Job, a Slurm array, GNU parallel) each build an index of
 * their own; `index --merge` then copies their live rows into one. No coordination between them:
 * the split is a function of the path.
 */
import type { IndexStore } from './index-store.node.js';
import type { RowInfo } from './manifest.js';

/** Parses `I/N` (1 ≤ I ≤ N ≤ 100000). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && count >= 1 && index <= count && count <= 100000)) throw new RangeError(`--shard takes I/N with 1 ≤ I ≤ N (e.g. 3/8), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** The shard (1 … count) an absolute path belongs to: FNV-1a of its UTF-16 code units, mod count. */
export function shardOf(absolutePath: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < absolutePath.length; i++) h = Math.imul(h ^ absolutePath.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % count) + 1;
}

/**
 * Copies every live row of `sources` into `target` (one commit per source segment), a row of a
 * later source replacing the same path's row from an earlier one or from the target. The model
 * must be the same everywhere (the caller opened the sources and the target with it).
 */
export async function mergeInto(target: IndexStore, sources: readonly IndexStore[]): Promise<{ rows: number; replaced: number }> {
  const dim = target.manifest.model.embedDim;
  const live = await target.liveRows();
  let rows = 0;
  let replaced = 0;
  for (const src of sources) {
    for (const seg of src.manifest.segments) {
      const info = await src.readRows(seg);
      const e = await src.readEmbeddings(seg);
      const removed = new Set(seg.removed);
      const keep: RowInfo[] = [];
      const values = new Float32Array((seg.rows - seg.removed.length) * dim);
      const removals: { segment: string; row: number }[] = [];
      info.forEach((r, i) => {
        if (removed.has(i)) return;
        values.set(e.subarray(i * dim, (i + 1) * dim), keep.length * dim);
        keep.push(r);
        const old = live.get(r.path);
        if (old) {
          removals.push({ segment: old.segment, row: old.row });
          replaced++;
        }
      });
      await target.commit(keep, values, removals);
      // The rows just committed are the live ones for their paths now.
      const committed = target.manifest.segments.at(-1)!;
      keep.forEach((r, i) => live.set(r.path, { ...r, segment: committed.file, row: i }));
      rows += keep.length;
    }
  }
  return { rows, replaced };
}
