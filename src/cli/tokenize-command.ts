/** `mobileclip tokenize --vocab FILE [--json] [--context N] TEXT…`: the 77 ids per text. */
import { loadTokenizer } from '../io/read-file.js';
import { type Args, type CommandSpec, option, UsageError } from './args.js';

export const tokenizeSpec: CommandSpec = {
  name: 'tokenize',
  synopsis: '--vocab bpe_simple_vocab_16e6.txt.gz [--json] [--context 77] TEXT…',
  summary: 'The CLIP token ids of each text, padded or truncated to the context length.',
  positionals: { min: 1, max: Infinity },
  options: {
    vocab: { type: 'string', value: 'FILE', help: 'the BPE vocabulary (bpe_simple_vocab_16e6.txt.gz)' },
    context: { type: 'string', value: 'N', help: 'ids per text (default 77)' },
    json: { type: 'boolean', help: 'the rows as JSON' },
  },
};

export async function tokenize(args: Args): Promise<void> {
  const vocab = option(args, 'vocab');
  if (vocab === undefined) throw new UsageError(`--vocab is required: usage: mobileclip tokenize ${tokenizeSpec.synopsis}`);
  const ctxFlag = option(args, 'context');
  const context = ctxFlag === undefined ? 77 : Number(ctxFlag);
  if (!Number.isInteger(context) || context < 2) throw new UsageError(`--context must be an integer ≥ 2, got ${ctxFlag}`);
  const tok = await loadTokenizer(vocab);
  const r = tok.tokenize(args.positional, context);
  const rows = args.positional.map((text, i) => ({ text, length: r.lengths[i], ids: Array.from(r.ids.subarray(i * context, (i + 1) * context)) }));
  if (args.flags.has('json')) console.log(JSON.stringify(rows, null, 2));
  else for (const row of rows) console.log(`${JSON.stringify(row.text)} (${row.length} ids)\n${row.ids.join(' ')}`);
}
