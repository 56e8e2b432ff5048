/**
 * `mobileclip index PATH… --db DIR`: builds or brings up to date an index of image embeddings
 * (src/collection/), committing as it goes so a killed run resumes; `--stats` says what is in one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { IndexStore } from '../collection/index-store.node.js';
import { type IndexModel, modelIdentity } from '../collection/manifest.js';
import { updateIndex } from '../collection/update.node.js';
import type { ModelAndTransforms } from '../api/node.js';
import { type Args, type CommandSpec, option, parsedOption, UsageError } from './args.js';
import { gatherImages, nothingLeft, SkipTally } from './image-inputs.js';
import { BATCH_OPTION, firstForward, MODEL_OPTIONS, modelPaths, open, parseBatch, STRICT_OPTION } from './model-commands.js';
import { Progress } from './progress.js';

export const indexSpec: CommandSpec = {
  name: 'index',
  synopsis: 'PATH… --db DIR [--reindex] [--strict] [--batch-size N] [--json] [model options] | --db DIR --stats [--json]',
  summary: 'Builds or updates an index of image embeddings in DIR: new and changed files embedded, deleted ones dropped; resumable (commits as it goes). PATH: files, directories, globs, @list.txt, -.',
  positionals: { min: 0, max: Infinity },
  options: {
    db: { type: 'string', value: 'DIR', help: 'the index folder (created when missing)' },
    reindex: { type: 'boolean', help: 'rebuild the index with this model (needed when it was made with another model or preprocessing)' },
    stats: { type: 'boolean', help: 'print what the index holds (model, rows, segments) and exit' },
    json: { type: 'boolean', help: 'the summary (or --stats) as JSON' },
    strict: STRICT_OPTION,
    'batch-size': BATCH_OPTION,
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
  if (a.positional.length === 0) throw new UsageError('no PATH to index (files, directories, globs, @list.txt or -); --stats shows what the index holds');
  const batchSize = parsedOption(a, 'batch-size', parseBatch);
  const commitRows = parsedOption(a, 'commit-rows', (v) => {
    if (!/^[1-9]\d{0,6}$/.test(v)) throw new UsageError(`--commit-rows takes a whole number from 1, got ${JSON.stringify(v)}`);
    return Number(v);
  });
  const progress = Progress.for(a);
  const tally = new SkipTally(a.flags.has('strict'), (line) => progress.notice(line));
  const files = await gatherImages(a.positional, tally);
  if (files.length === 0 && tally.count > 0 && !existsSync(resolve(db, 'manifest.json'))) throw nothingLeft('image', tally);
  const m = await open(a, false, progress, 'image');
  let store: IndexStore | null = null;
  try {
    store = await IndexStore.open(db, { write: true, model: indexModelOf(a, m), reindex: a.flags.has('reindex') });
    const t0 = performance.now();
    const bar = progress.bar('images');
    const s = await progress.phase(`indexing ${files.length} file${files.length === 1 ? '' : 's'}${firstForward(m)}`, () =>
      updateIndex(store!, m.model, files, { batchSize, commitRows, onProgress: bar, onSkip: (path, e) => void tally.skip(path, e) }),
    );
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
