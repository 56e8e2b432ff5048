/**
 * `mobileclip search "text" | --image FILE --db DIR`: the index's images ranked by cosine
 * similarity to the query, exact over every row (one product on the model's backend), with the
 * model the index was made with unless model options name one.
 */
import { IndexStore } from '../collection/index-store.node.js';
import { modelDifferences } from '../collection/manifest.js';
import { topK } from '../collection/top-k.js';
import { IndexModelError } from '../collection/index-store.node.js';
import { type Args, type CommandSpec, option, UsageError } from './args.js';
import { indexModelOf } from './index-command.js';
import { MODEL_OPTIONS, open } from './model-commands.js';
import { Progress } from './progress.js';

export const searchSpec: CommandSpec = {
  name: 'search',
  synopsis: '"TEXT" | --image FILE --db DIR [--top K] [--threshold S] [--json] [--explain] [model options]',
  summary: "The index's images most like a text or an image, by cosine similarity (exact, over every row), with the model the index was made with.",
  positionals: { min: 0, max: 1 },
  options: {
    db: { type: 'string', value: 'DIR', help: 'the index folder (mobileclip index builds it)' },
    image: { type: 'string', value: 'FILE', help: 'search by this image instead of a text' },
    top: { type: 'string', value: 'K', help: 'how many hits (default 10)' },
    threshold: { type: 'string', value: 'S', help: 'only hits with a similarity of at least S (-1 … 1)' },
    json: { type: 'boolean', help: 'the hits as JSON' },
    explain: { type: 'boolean', help: 'also say what was searched and where the time went (on stderr; in the JSON with --json)' },
    ...MODEL_OPTIONS,
  },
};

export async function search(a: Args): Promise<void> {
  const db = option(a, 'db');
  if (!db) throw new UsageError(`--db is required: usage: mobileclip search ${searchSpec.synopsis}`);
  const image = option(a, 'image');
  const text = a.positional[0];
  if ((text === undefined) === (image === undefined)) throw new UsageError('give a text or --image FILE (one of them)');
  const topText = option(a, 'top') ?? '10';
  if (!/^[1-9]\d{0,8}$/.test(topText)) throw new UsageError(`--top takes a whole number from 1, got ${JSON.stringify(topText)}`);
  const thresholdText = option(a, 'threshold');
  const threshold = thresholdText === undefined ? -Infinity : Number(thresholdText);
  if (thresholdText !== undefined && !(threshold >= -1 && threshold <= 1)) throw new UsageError(`--threshold takes a similarity from -1 to 1, got ${JSON.stringify(thresholdText)}`);
  const store = await IndexStore.open(db);
  // The index's own model unless the user names one (then it must be the same).
  const named = ['model', 'config', 'weights'].some((k) => a.flags.has(k));
  const made = store.manifest.model;
  const load = made.load;
  if (!named && !load) throw new UsageError(`${db}: the index does not record how its model was loaded: name it (--model/--config, --weights)`);
  const args: Args = named ? a : { ...a, flags: new Map([...a.flags, [load!.model.endsWith('.json') ? 'config' : 'model', load!.model], ...(load!.weights ? [['weights', load!.weights] as [string, string]] : [])]) };
  const progress = Progress.for(a);
  const m = await open(args, text !== undefined, progress, text !== undefined ? 'text' : 'image');
  try {
    const diff = modelDifferences(made, indexModelOf(args, m));
    if (diff.length) throw new IndexModelError(`${db}: the index was made with another model or preprocessing (${diff.join('; ')}); search it with the model it was made with`);
    const t: number[] = [performance.now()];
    const query = text !== undefined ? await m.model.encodeTexts([text]) : await m.model.encodeImages([image!]);
    t.push(performance.now());
    const live = await store.loadLive();
    t.push(performance.now());
    const scores = await m.model.similarity(query, { data: live.embeddings, count: live.count, dim: live.dim });
    t.push(performance.now());
    const hits = await Promise.all(topK(scores, Number(topText), threshold).map(async (h) => ({ path: (await live.rowAt(h.index)).path, score: Number(h.score.toFixed(6)) })));
    t.push(performance.now());
    const ms = (i: number) => Number((t[i + 1] - t[i]).toFixed(1));
    const c = store.counts;
    const explain = { images: live.count, segments: c.segments, generation: store.manifest.generation, model: made.load?.model ?? made.name, backend: m.model.backend.description, queryMs: ms(0), readMs: ms(1), productMs: ms(2), topKMs: ms(3) };
    if (a.flags.has('json')) console.log(JSON.stringify({ query: text ?? { image }, images: live.count, hits, ...(a.flags.has('explain') ? { explain } : {}) }));
    else for (const h of hits) console.log(`${h.score.toFixed(4)}  ${h.path}`);
    if (a.flags.has('explain') && !a.flags.has('json')) {
      process.stderr.write(`searched all ${live.count} images of ${db} (${c.segments} segment${c.segments === 1 ? '' : 's'}, commit ${store.manifest.generation}), exact, with ${explain.model} on ${explain.backend}: ` +
        `the query embedded in ${explain.queryMs} ms, the index read in ${explain.readMs} ms, scored in ${explain.productMs} ms, top ${topText} in ${explain.topKMs} ms\n`);
    }
  } finally {
    m.dispose();
  }
}
