/**
 * `mobileclip index PATH… --db DIR`: builds or brings up to date an index of image embeddings
 * (src/collection/), committing as it goes so a killed run resumes; `--stats` says what is in one.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IndexModelError, IndexStore } from '../collection/index-store.node.js';
import { mergeInto, parseShard, shardOf } from '../collection/merge.node.js';
import { exportPgvector } from '../collection/export-pgvector.node.js';
import { checkOutputPath } from '../io/write-output.js';
import { type IndexModel, MANIFEST, modelDifferences, modelIdentity } from '../collection/manifest.js';
import { updateIndex } from '../collection/update.node.js';
import type { ModelAndTransforms } from '../api/node.js';
import { type Args, type CommandSpec, option, parsedOption, UsageError } from './args.js';
import { gatherImages, nothingLeft, SkipTally } from './image-inputs.js';
import { BATCH_OPTION, DECODE_THREADS_OPTION, decodePool, firstForward, MODEL_OPTIONS, modelPaths, open, parseBatch, STRICT_OPTION } from './model-commands.js';
import { Progress } from './progress.js';

export const indexSpec: CommandSpec = {
  name: 'index',
  synopsis: 'PATH… --db DIR [--shard I/N] [--reindex] [--strict] [--batch-size N] [--json] [model options] | --merge INDEX… --db DIR | --db DIR --stats [--json] | --db DIR --export FILE.sql [--table NAME]',
  summary: 'Builds or updates an index of image embeddings in DIR: new and changed files embedded, deleted ones dropped; resumable (commits as it goes). PATH: files, directories, globs, @list.txt, -.',
  positionals: { min: 0, max: Infinity },
  options: {
    db: { type: 'string', value: 'DIR', help: 'the index folder (created when missing)' },
    reindex: { type: 'boolean', help: 'rebuild the index with this model (needed when it was made with another model or preprocessing)' },
    stats: { type: 'boolean', help: 'print what the index holds (model, rows, segments) and exit' },
    shard: { type: 'string', value: 'I/N', help: 'only the inputs whose absolute path falls in shard I of N (a deterministic split: run N of these anywhere, then --merge)' },
    merge: { type: 'boolean', help: 'the positionals are index folders (made with the same model): copy their rows into --db' },
    export: { type: 'string', value: 'FILE.sql', help: 'write the index as SQL for PostgreSQL with pgvector (CREATE TABLE + INSERTs: psql -f FILE.sql) and exit' },
    table: { type: 'string', value: 'NAME', help: 'the table --export creates and fills (default images)' },
    json: { type: 'boolean', help: 'the summary (or --stats) as JSON' },
    strict: STRICT_OPTION,
    'batch-size': BATCH_OPTION,
    'decode-threads': DECODE_THREADS_OPTION,
    'commit-rows': { type: 'string', value: 'N', help: 'commit after every N new images (default 256; also every 10 s): what a killed run keeps' },
    ...MODEL_OPTIONS,
  },
};

/** What an index records of the model it was made with, and how the CLI loaded it (paths made absolute). */
export function indexModelOf(a: Args, m: ModelAndTransforms): IndexModel {
  const { model, weights } = modelPaths(a);
  const local = (p: string | undefined) => (p !== undefined && existsSync(p) ? resolve(p) : p);
  return { ...modelIdentity(m.model), load: { model: model.endsWith('.json') ? resolve(model) : model, weights: local(weights) ?? null } };
}

export async function index(a: Args): Promise<number | void> {
  const db = option(a, 'db');
  if (!db) throw new UsageError(`--db is required: usage: mobileclip index ${indexSpec.synopsis}`);
  if (a.flags.has('stats')) return stats(a, db);
  if (a.flags.has('merge')) return merge(a, db);
  const exportTo = option(a, 'export');
  if (exportTo) return exportSql(a, db, exportTo);
  if (a.positional.length === 0) throw new UsageError('no PATH to index (files, directories, globs, @list.txt or -); --stats shows what the index holds');
  const batchSize = parsedOption(a, 'batch-size', parseBatch);
  const commitRows = parsedOption(a, 'commit-rows', (v) => {
    if (!/^[1-9]\d{0,6}$/.test(v)) throw new UsageError(`--commit-rows takes a whole number from 1, got ${JSON.stringify(v)}`);
    return Number(v);
  });
  const progress = Progress.for(a);
  const tally = new SkipTally(a.flags.has('strict'), (line) => progress.notice(line));
  const shard = parsedOption(a, 'shard', parseShard);
  const all = await gatherImages(a.positional, tally);
  const files = shard ? all.filter((f) => shardOf(resolve(f), shard.count) === shard.index) : all;
  if (files.length === 0 && tally.count > 0 && !existsSync(resolve(db, MANIFEST))) throw nothingLeft('image', tally);
  const m = await open(a, false, progress, 'image');
  let store: IndexStore | null = null;
  try {
    store = await IndexStore.open(db, { write: true, model: indexModelOf(a, m), reindex: a.flags.has('reindex') });
    const t0 = performance.now();
    const bar = progress.bar('images');
    const pool = decodePool(a, m.model.pipeline) ?? undefined;
    let s;
    try {
      s = await progress.phase(`indexing ${files.length} file${files.length === 1 ? '' : 's'}${shard ? ` (shard ${shard.index}/${shard.count} of ${all.length})` : ''}${firstForward(m)}`, () =>
        updateIndex(store!, m.model, files, { batchSize, commitRows, pool, onProgress: bar, onSkip: (path, e) => void tally.skip(path, e) }),
      );
    } finally {
      await pool?.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    const counts = store.counts;
    const skipped = tally.count; // the expansion's skips and the update's both went through the tally
    const embedded = s.added + s.updated - s.reused;
    const reused = s.reused ? ` (${s.reused} with the content of an indexed file: embedding copied)` : '';
    const rate = embedded > 0 ? `, ${(embedded / seconds).toFixed(1)} images/s` : '';
    if (a.flags.has('json')) console.log(JSON.stringify({ db, added: s.added, updated: s.updated, reused: s.reused, removed: s.removed, unchanged: s.unchanged, skipped, images: counts.live, seconds: Number(seconds.toFixed(2)) }));
    else console.log(`${db}: ${s.added} added, ${s.updated} updated${reused}, ${s.removed} removed, ${s.unchanged} unchanged, ${skipped} skipped${skipped ? ` (${tally.summary().replace(/^\d+ skipped: /, '')})` : ''}; ${counts.live} images in the index${rate}`);
  } finally {
    await store?.close();
    m.dispose();
  }
}

async function stats(a: Args, db: string): Promise<void> {
  const store = await IndexStore.open(db);
  const c = store.counts;
  const m = store.manifest.model;
  const info = { db, model: m.name, weights: m.load?.weights ?? '(not recorded)', fingerprint: m.weightsFingerprint, embedDim: m.embedDim, imageSize: m.imageSize, images: c.live, rowsStored: c.rows, segments: c.segments, generation: store.manifest.generation };
  if (a.flags.has('json')) console.log(JSON.stringify(info));
  else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(11)} ${Array.isArray(v) ? v.join('x') : v}`);
}

/** `--merge SRC… --db DST`: every live row of the source indexes into DST (created with their model when missing). */
async function merge(a: Args, db: string): Promise<void> {
  if (a.positional.length === 0) throw new UsageError('--merge: name the index folders to merge (e.g. shards/*)');
  const sources: IndexStore[] = [];
  for (const dir of a.positional) {
    if (resolve(dir) === resolve(db)) throw new UsageError(`--merge: ${dir} is the target --db itself`);
    sources.push(await IndexStore.open(dir));
  }
  const model = sources[0].manifest.model;
  for (const [i, s] of sources.entries()) {
    const diff = modelDifferences(model, s.manifest.model);
    if (diff.length) throw new IndexModelError(`--merge: ${a.positional[i]} was made with another model or preprocessing than ${a.positional[0]} (${diff.join('; ')})`);
  }
  const target = await IndexStore.open(db, { write: true, model });
  try {
    const r = await mergeInto(target, sources);
    const c = target.counts;
    if (a.flags.has('json')) console.log(JSON.stringify({ db, merged: sources.length, rows: r.rows, replaced: r.replaced, images: c.live }));
    else console.log(`${db}: ${r.rows} rows from ${sources.length} index${sources.length === 1 ? '' : 'es'} (${r.replaced} replacing rows of the same files); ${c.live} images in the index`);
  } finally {
    await target.close();
  }
}

/** `--export FILE.sql`: the index as pgvector SQL (export-pgvector.node.ts). */
async function exportSql(a: Args, db: string, out: string): Promise<void> {
  if (!out.endsWith('.sql')) throw new UsageError(`--export ${out}: the name must end in .sql (SQL for PostgreSQL with pgvector)`);
  const store = await IndexStore.open(db);
  checkOutputPath(out, [join(db, MANIFEST)]);
  const r = await exportPgvector(store, out, option(a, 'table') ?? 'images');
  if (a.flags.has('json')) console.log(JSON.stringify({ db, out, rows: r.rows, bytes: r.bytes }));
  else console.log(`${out}: ${r.rows} images as pgvector SQL (${(r.bytes / 1e6).toFixed(1)} MB); load it with psql -f ${out}`);
}
