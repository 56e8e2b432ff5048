/** The `mobileclip` command. Errors print one clear line and exit non-zero. */
import { parseArgs, UsageError } from './args.js';
import { convert, info } from './checkpoint-commands.js';
import { parity } from './parity-command.js';
import { tokenize } from './tokenize-command.js';
import { classify, embed, preprocess } from './model-commands.js';
import { bench } from './bench-command.js';

const USAGE = `mobileclip <command> [options]

commands:
  classify IMAGE… --labels "cat,dog,…" [--top K] [--templates none|photo|ensemble]
                                                     zero-shot classification (default model mobileclip_s0,
                                                     weights/mobileclip_s0.safetensors, weights/bpe_simple_vocab_16e6.txt.gz)
  embed [--image F…] [--text T…] [--tokens ids.json] [--out FILE] [--json] [--raw]
                                                     image and text embeddings (L2-normalised unless --raw)
  preprocess IMAGE --size N --out FILE.safetensors|.png   the reference resize + centre crop
    (model options for classify/embed: --model NAME|config.json --weights FILE --vocab FILE --dtype f32|f16)
  bench [--models s0,b] [--towers image,text] [--image-batches 1,8] [--text-batches 1,32] [--dtypes f32,f16] [--json]
                                                     timings with random weights of the real shapes (no checkpoint needed)
  info <checkpoint> [--json]                         format, dtypes, parameters per tower, model, fused or not
  convert <in.pt|in.safetensors> <out.safetensors>   [--reparam] [--dtype f32|f16]
  parity <fixture-dir> [--checkpoint FILE] [--dtype f16] [--json]
                                                     compare every output and intermediate with a PyTorch fixture
  tokenize --vocab FILE [--json] TEXT…               the CLIP token ids (77 per text)`;

const commands: Record<string, (args: ReturnType<typeof parseArgs>) => Promise<void>> = { info, convert, parity, tokenize, embed, classify, preprocess, bench };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 1;
  }
  const run = commands[cmd];
  if (!run) {
    console.error(`mobileclip: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await run(parseArgs(rest, ['dtype', 'tolerance', 'context', 'tokens', 'templates', 'models', 'towers', 'image-batches', 'text-batches', 'repeats', 'checkpoint', 'out', 'vocab', 'model', 'weights', 'size', 'labels', 'top']));
    return 0;
  } catch (e) {
    const err = e as Error;
    console.error(`mobileclip ${cmd}: ${err instanceof UsageError ? '' : `${err.name}: `}${err.message}`);
    if (process.env.MOBILECLIP_DEBUG) console.error(err.stack);
    return err instanceof UsageError ? 2 : 1;
  }
}
