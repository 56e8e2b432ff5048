/** `mobileclip tokenize [--vocab FILE|URL] [--json] [--context N] TEXT…`: the 77 ids per text. */
import { offlineFromEnv, vocabularyBytes } from '../api/node.js';
import { SimpleTokenizer } from '../tokenizer/simple-tokenizer.js';
import { type Args, type CommandSpec, option, UsageError } from './args.js';
import { LOCAL_VOCAB, vocabPath } from './model-commands.js';
import { Progress } from './progress.js';

export const tokenizeSpec: CommandSpec = {
  name: 'tokenize',
  synopsis: '[--vocab FILE|URL] [--json] [--context 77] TEXT…',
  summary: 'The CLIP token ids of each text, padded or truncated to the context length.',
  positionals: { min: 1, max: Infinity },
  options: {
    vocab: { type: 'string', value: 'FILE|URL', help: `the BPE vocabulary (default: the published one, downloaded once into the cache like every command's; ./${LOCAL_VOCAB} instead, where it exists)` },
    context: { type: 'string', value: 'N', help: 'ids per text (default 77)' },
    offline: { type: 'boolean', help: 'never download (also MOBILECLIP_OFFLINE=1): the vocabulary must be local or cached' },
    json: { type: 'boolean', help: 'the rows as JSON' },
  },
};

export async function tokenize(args: Args): Promise<void> {
  const ctxFlag = option(args, 'context');
  const context = ctxFlag === undefined ? 77 : Number(ctxFlag);
  if (!Number.isInteger(context) || context < 2) throw new UsageError(`--context must be an integer ≥ 2, got ${ctxFlag}`);
  const given = vocabPath(args);
  const progress = Progress.for(args);
  const offline = args.flags.has('offline') || offlineFromEnv();
  const vocab = await vocabularyBytes(given, { offline, onProgress: progress.load() });
  let tok: SimpleTokenizer;
  try {
    tok = SimpleTokenizer.fromGzip(vocab.bytes);
  } catch (e) {
    (e as Error).message = `${vocab.source}: ${(e as Error).message}`;
    throw e;
  }
  const r = tok.tokenize(args.positional, context);
  const rows = args.positional.map((text, i) => ({ text, length: r.lengths[i], ids: Array.from(r.ids.subarray(i * context, (i + 1) * context)) }));
  if (args.flags.has('json')) console.log(JSON.stringify(rows, null, 2));
  else for (const row of rows) console.log(`${JSON.stringify(row.text)} (${row.length} ids)\n${row.ids.join(' ')}`);
}
