/**
 * `mobileclip embed`: image and text embeddings. Images come as files, directories, globs,
 * `@list.txt` or `-` (image-inputs.ts), stream through the model a batch at a time at bounded
 * memory (image-stream.ts), and come out as they are made (`--jsonl`, the plain lines) or at the
 * end (`--json`, `--out FILE.safetensors|.npy|.json`, each carrying the file names).
 */
import { basename } from 'node:path';
import { readJsonFile } from '../io/read-file.js';
import { readLines } from '../io/input-paths.node.js';
import { float32Tensor, type StateDict } from '../io/host-tensor.js';
import { writeNpyFloat32 } from '../io/npy.js';
import { writeSafetensors } from '../io/safetensors.js';
import { checkOutputPath, writeFileAtomic } from '../io/write-output.js';
import { streamImageEmbeddings } from '../collection/image-stream.js';
import { type Args, type CommandSpec, option, parsedOption, UsageError } from './args.js';
import { gatherImages, nothingLeft, SkipTally } from './image-inputs.js';
import { BATCH_OPTION, DECODE_THREADS_OPTION, decodePool, firstForward, list, MODEL_OPTIONS, modelInputs, open, parseBatch, STRICT_OPTION } from './model-commands.js';
import { Progress } from './progress.js';

export const embedSpec: CommandSpec = {
  name: 'embed',
  synopsis: '[IMAGE…] [--image IMAGE…] [--text T… | --text -] [--tokens ids.json] [--out FILE.json|.safetensors|.npy] [--json | --jsonl] [--raw] [model options]',
  summary: 'Image and text embeddings, L2-normalised unless --raw. An IMAGE is a PNG or JPEG file, a directory (walked for them), a glob, @list.txt or - (paths, one a line, from stdin).',
  positionals: { min: 0, max: Infinity },
  options: {
    image: { type: 'string', value: 'IMAGE', collects: true, help: 'images to embed, as the positionals (PNG or JPEG files, directories, globs, @list.txt, -)' },
    text: { type: 'string', value: 'TEXT', collects: true, help: "texts to embed; '-' reads them from stdin, one a line" },
    tokens: { type: 'string', value: 'FILE', help: 'a JSON array of token-id rows: integer ids in the vocabulary, at most the context length each (zero-padded)' },
    out: { type: 'string', value: 'FILE', help: 'write the embeddings to FILE.safetensors (paths and texts in its metadata), FILE.npy (one kind; paths in FILE.paths.json beside it) or FILE.json' },
    json: { type: 'boolean', help: 'print the embeddings as one JSON document at the end' },
    jsonl: { type: 'boolean', help: 'print one JSON line per input as soon as its batch is done (skipped images too, with the reason)' },
    raw: { type: 'boolean', help: 'the projections before L2 normalisation' },
    strict: STRICT_OPTION,
    'batch-size': BATCH_OPTION,
    'decode-threads': DECODE_THREADS_OPTION,
    ...MODEL_OPTIONS,
  },
};

const round = (x: Float32Array) => Array.from(x, (v) => Number(v.toPrecision(8)));
const head = (e: number[]) => `[${e.slice(0, 4).map((v) => v.toFixed(4)).join(', ')}, …] (${e.length})`;

/** Rows of one kind (image paths, texts or token rows) and their embeddings, growing as batches end. */
class Rows<K> {
  readonly keys: K[] = [];
  private data = new Float32Array(0);
  dim = 0;

  add(keys: readonly K[], e: Float32Array, dim: number): void {
    this.dim = dim;
    const n = this.keys.length * dim;
    if (n + e.length > this.data.length) {
      const grown = new Float32Array(Math.max(n + e.length, this.data.length * 2));
      grown.set(this.data.subarray(0, n));
      this.data = grown;
    }
    this.data.set(e, n);
    this.keys.push(...keys);
  }

  get values(): Float32Array {
    return this.data.subarray(0, this.keys.length * this.dim);
  }
}

export async function embed(a: Args): Promise<void> {
  const imageSpecs = [...a.positional, ...list(a, 'image')];
  let texts = list(a, 'text');
  const tokensFile = option(a, 'tokens');
  const out = option(a, 'out');
  const jsonl = a.flags.has('jsonl');
  if (jsonl && a.flags.has('json')) throw new UsageError('give --json (one document at the end) or --jsonl (a line per input as it is done), not both');
  if (imageSpecs.length === 0 && texts.length === 0 && !tokensFile) throw new UsageError(`nothing to embed: usage: mobileclip embed ${embedSpec.synopsis}`);
  if (texts.includes('-') && imageSpecs.includes('-')) throw new UsageError("'-' is standard input: give it to the images or to --text, not both");
  if (out) checkOutputPath(out, [...modelInputs(a), ...imageSpecs, tokensFile]);
  if (out && !/\.(safetensors|npy|json)$/.test(out)) throw new UsageError(`--out ${out}: the name must end in .safetensors, .npy or .json`);
  const batchSize = parsedOption(a, 'batch-size', parseBatch);
  const progress = Progress.for(a);
  const tally = new SkipTally(a.flags.has('strict'), (line) => progress.notice(line));
  // Every input found (and every missing one reported) before the model loads.
  const files = imageSpecs.length ? await gatherImages(imageSpecs, tally) : [];
  if (texts.includes('-')) texts = (await Promise.all(texts.map((t) => (t === '-' ? readLines(process.stdin) : [t])))).flat();
  if (imageSpecs.length && files.length === 0 && texts.length === 0 && !tokensFile) throw nothingLeft('image', tally);
  const sidecar = out?.endsWith('.npy') ? out.replace(/\.npy$/, '.paths.json') : undefined;
  if (out) {
    if (out.endsWith('.npy') && [files.length > 0, texts.length > 0, tokensFile !== undefined].filter(Boolean).length > 1) throw new UsageError(`--out ${out}: a .npy file holds one matrix: embed images, texts or token rows, or write .safetensors`);
    for (const f of [out, ...(sidecar ? [sidecar] : [])]) checkOutputPath(f, [...modelInputs(a), ...files, tokensFile]);
  }

  const withText = texts.length > 0 || tokensFile !== undefined;
  const m = await open(a, texts.length > 0, progress, files.length === 0 ? 'text' : withText ? 'both' : 'image');
  try {
    const normalize = !a.flags.has('raw');
    const keep = Boolean(out) || a.flags.has('json');
    const images = new Rows<string>();
    const textRows = new Rows<string>();
    const tokenRows = new Rows<number>();
    const emit = (record: object, line: string) => console.log(jsonl ? JSON.stringify(record) : line);
    // --json prints one document at the end; with --out the embeddings go to the file (--jsonl still streams).
    const quiet = a.flags.has('json') || (Boolean(out) && !jsonl);
    let embedded = 0;

    if (files.length) {
      const bar = progress.bar('images');
      let skipped = 0;
      const pool = decodePool(a, m.model.pipeline);
      try {
        await progress.phase(`embedding ${files.length} image${files.length > 1 ? 's' : ''}${firstForward(m)}`, async () => {
          for await (const ev of streamImageEmbeddings(m.model, files, (f) => (pool ? pool.prepare(f) : m.model.preprocess(f, f)), { batchSize, normalize })) {
            if (ev.kind === 'skipped') {
              const why = tally.skip(ev.item, ev.error);
              skipped++;
              if (jsonl) console.log(JSON.stringify({ file: ev.item, skipped: why }));
            } else {
              const { data, dim } = ev.embeddings;
              ev.items.forEach((file, i) => {
                if (!quiet) {
                  const e = round(data.subarray(i * dim, (i + 1) * dim));
                  emit({ file, embedding: e }, `image ${file}: ${head(e)}`);
                }
              });
              if (keep) images.add(ev.items, data, dim);
              embedded += ev.items.length;
            }
            bar?.(embedded + skipped, files.length);
          }
        });
      } finally {
        await pool?.close();
      }
      if (embedded === 0) throw nothingLeft('image', tally);
    }
    if (texts.length) {
      const e = await progress.phase(`embedding ${texts.length} text${texts.length > 1 ? 's' : ''}${firstForward(m)}`, () => m.model.encodeTexts(texts, { normalize, batchSize, onProgress: progress.bar('texts') }));
      if (!quiet) texts.forEach((text, i) => {
        const v = round(e.data.subarray(i * e.dim, (i + 1) * e.dim));
        emit({ text, embedding: v }, `text ${JSON.stringify(text)}: ${head(v)}`);
      });
      textRows.add(texts, e.data, e.dim);
    }
    if (tokensFile) {
      // Rows of integer ids: two levels of nesting (a few more pass, so the rows' own check names what is wrong).
      const rows = (await readJsonFile(tokensFile, 'tokens', 4)) as number[][];
      const e = await m.model.encodeTokenRows(rows, { normalize }, tokensFile);
      if (!quiet) rows.forEach((_, i) => {
        const v = round(e.data.subarray(i * e.dim, (i + 1) * e.dim));
        emit({ row: i, embedding: v }, `tokens row ${i}: ${head(v)}`);
      });
      tokenRows.add(rows.map((_, i) => i), e.data, e.dim);
    }

    const meta = { model: m.model.spec.name, normalized: String(normalize) };
    if (out?.endsWith('.safetensors')) {
      const sd: StateDict = new Map();
      if (images.keys.length) sd.set('image_embeddings', float32Tensor(images.values, [images.keys.length, images.dim]));
      if (textRows.keys.length) sd.set('text_embeddings', float32Tensor(textRows.values, [textRows.keys.length, textRows.dim]));
      if (tokenRows.keys.length) sd.set('token_embeddings', float32Tensor(tokenRows.values, [tokenRows.keys.length, tokenRows.dim]));
      // Row i of image_embeddings is image_paths[i]; of text_embeddings, texts[i].
      const named = { ...(images.keys.length ? { image_paths: JSON.stringify(images.keys) } : {}), ...(textRows.keys.length ? { texts: JSON.stringify(textRows.keys) } : {}) };
      await writeFileAtomic(out, writeSafetensors(sd, { format: 'pt', ...meta, ...named }));
    } else if (out?.endsWith('.npy')) {
      const [kind, rows] = images.keys.length ? (['image_paths', images] as const) : textRows.keys.length ? (['texts', textRows] as const) : (['token_rows', tokenRows] as const);
      await writeFileAtomic(out, writeNpyFloat32(rows.values, rows.keys.length, rows.dim));
      await writeFileAtomic(sidecar!, JSON.stringify({ ...meta, array: basename(out), [kind]: rows.keys }));
    }
    if (out?.endsWith('.json') || a.flags.has('json')) {
      const doc = JSON.stringify({
        images: images.keys.map((file, i) => ({ file, embedding: round(images.values.subarray(i * images.dim, (i + 1) * images.dim)) })),
        texts: textRows.keys.map((text, i) => ({ text, embedding: round(textRows.values.subarray(i * textRows.dim, (i + 1) * textRows.dim)) })),
        tokens: tokenRows.keys.map((row, i) => ({ row, embedding: round(tokenRows.values.subarray(i * tokenRows.dim, (i + 1) * tokenRows.dim)) })),
        ...(tally.count ? { skipped: tally.count } : {}),
      });
      if (out?.endsWith('.json')) await writeFileAtomic(out, doc);
      if (a.flags.has('json')) console.log(doc);
    }
    // Said on a terminal (or with --progress); in a pipe only when something was skipped.
    if (out && progress.enabled) progress.notice(`wrote ${out}${sidecar ? ` and ${sidecar}` : ''}`);
    if (imageSpecs.length && (tally.count > 0 || progress.enabled)) progress.notice(`embedded ${embedded} image${embedded === 1 ? '' : 's'}${tally.count ? `; ${tally.summary()}` : ''}`);
  } finally {
    m.dispose();
  }
}
