/** `mobileclip tokenize --vocab FILE [--json] [--context N] TEXT…`: the 77 ids per text. */
import { loadTokenizer } from '../io/read-file.js';
import { type Args, UsageError } from './args.js';

export async function tokenize(args: Args): Promise<void> {
  const vocab = args.flags.get('vocab');
  if (typeof vocab !== 'string' || args.positional.length === 0) {
    throw new UsageError('usage: mobileclip tokenize --vocab bpe_simple_vocab_16e6.txt.gz [--json] [--context 77] TEXT…');
  }
  const ctxFlag = args.flags.get('context');
  const context = typeof ctxFlag === 'string' ? Number(ctxFlag) : 77;
  const tok = await loadTokenizer(vocab);
  const r = tok.tokenize(args.positional, context);
  const rows = args.positional.map((text, i) => ({ text, length: r.lengths[i], ids: Array.from(r.ids.subarray(i * context, (i + 1) * context)) }));
  if (args.flags.has('json')) console.log(JSON.stringify(rows, null, 2));
  else for (const row of rows) console.log(`${JSON.stringify(row.text)} (${row.length} ids)\n${row.ids.join(' ')}`);
}
