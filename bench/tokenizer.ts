/**
 * Tokenizer throughput (npm run bench:tokenizer -- --vocab=FILE [--repeats=5]): median ms of
 * `tokenize` on whitespace-free words of 10 k, 100 k and 1 MiB random letters (one word: BPE over
 * all of it), 1 MiB of ordinary words (truncation stops merging after the 76th id) and a batch of
 * 1000 captions; MB/s over the text's UTF-8 size. Prints a table and writes JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadTokenizer } from '../src/io/read-file.js';
import { median } from '../src/bench/run-models.js';
import { printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const tok = await loadTokenizer(arg('vocab', 'weights/bpe_simple_vocab_16e6.txt.gz'));
const repeats = Number(arg('repeats', '5'));
let x = 1;
const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
const words = (bytes: number) => {
  const out: string[] = [];
  for (let len = 0; len < bytes; ) {
    const w = letters(2 + Math.floor(rnd() * 8));
    out.push(w);
    len += w.length + 1;
  }
  return out.join(' ');
};
const cases: [string, string | string[]][] = [
  ['whitespace-free, 10 k letters', letters(10_000)],
  ['whitespace-free, 100 k letters', letters(100_000)],
  ['whitespace-free, 1 MiB', letters(1 << 20)],
  ['words, 1 MiB', words(1 << 20)],
  ['1000 captions of 6 words', Array.from({ length: 1000 }, () => words(40))],
];
const rows = cases.map(([name, text]) => {
  const bytes = (Array.isArray(text) ? text : [text]).reduce((n, t) => n + Buffer.byteLength(t), 0);
  const ms: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    tok.tokenize(text);
    if (r > 0) ms.push(performance.now() - t0); // the first run warms the JIT
  }
  const m = median(ms);
  return { case: name, bytes, 'median ms': Number(m.toFixed(1)), 'MB/s': Number((bytes / 1e6 / (m / 1000)).toFixed(2)) };
});
printTable(rows);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/tokenizer.json', JSON.stringify({ date: new Date().toISOString(), repeats, rows }, null, 2));
console.log('\nJSON: bench/results/tokenizer.json');
