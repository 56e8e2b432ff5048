/**
 * An index as SQL for PostgreSQL with pgvector: `CREATE TABLE … (path, size, mtime_ms, sha256,
 * embedding vector(dim))` and INSERTs of 500 rows each, which psql, any Postgres driver and PGlite
 * run as they are. Each value is written with 9 significant digits, which read back into pgvector's
 * float4 as the same float32 (the round trip is exact). Streamed to a temporary file beside the
 * output and renamed into place: a million rows (~5 GB of SQL) never sit in memory.
 */
import { open, rename, rm } from 'node:fs/promises';
import { temporaryPath } from '../io/write-output.js';
import type { IndexStore } from './index-store.node.js';

const ROWS_PER_INSERT = 500;

/** A PostgreSQL identifier, quoted (a table name of the user's). */
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** A PostgreSQL string literal (standard_conforming_strings: only quotes double). */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function exportPgvector(store: IndexStore, out: string, table = 'images'): Promise<{ rows: number; bytes: number }> {
  const dim = store.manifest.model.embedDim;
  const t = ident(table);
  const tmp = temporaryPath(out);
  const fh = await open(tmp, 'wx');
  let rows = 0;
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    await fh.write(s);
  };
  try {
    await write(`-- mobileclip index export: ${store.counts.live} images, model ${store.manifest.model.name}, ${dim}-dim L2-normalised embeddings\n`);
    await write(`CREATE EXTENSION IF NOT EXISTS vector;\nCREATE TABLE IF NOT EXISTS ${t} (path text PRIMARY KEY, size bigint, mtime_ms double precision, sha256 text, embedding vector(${dim}));\n`);
    for (const seg of store.manifest.segments) {
      const info = await store.readRows(seg);
      const e = await store.readEmbeddings(seg);
      const removed = new Set(seg.removed);
      let batch: string[] = [];
      const flush = async () => {
        if (batch.length) await write(`INSERT INTO ${t} (path, size, mtime_ms, sha256, embedding) VALUES\n${batch.join(',\n')}\nON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime_ms = EXCLUDED.mtime_ms, sha256 = EXCLUDED.sha256, embedding = EXCLUDED.embedding;\n`);
        batch = [];
      };
      for (let i = 0; i < info.length; i++) {
        if (removed.has(i)) continue;
        const r = info[i];
        const v = Array.from(e.subarray(i * dim, (i + 1) * dim), (x) => Number(x.toPrecision(9))).join(',');
        batch.push(`(${literal(r.path)}, ${r.size}, ${r.mtimeMs}, ${literal(r.sha256)}, '[${v}]')`);
        rows++;
        if (batch.length === ROWS_PER_INSERT) await flush();
      }
      await flush();
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, out);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw new Error(`${out}: could not be written (${(err as Error).message}); any previous file is unchanged`);
  }
  return { rows, bytes };
}
