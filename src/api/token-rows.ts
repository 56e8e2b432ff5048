/**
 * Pre-tokenized input as users hold it (JSON, arrays) → the [rows × context] ids the text tower
 * takes. Only integer ids inside the vocabulary, at most `context` per row (shorter rows are
 * zero-padded, as the tokenizer pads); anything else is an error naming the row, the column and
 * the value as given — never a silent conversion (1.5 → 1, "7" → 7, 2³² → 0).
 */
export class TokenRowsError extends Error {
  override name = 'TokenRowsError';
}

/** The value as the user wrote it, briefly: 1.5, NaN, 7n, "7", null, [1, 2, …] (JSON.stringify turns NaN into null and throws on BigInt). */
function shown(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (Array.isArray(v)) return `[${v.slice(0, 4).map(shown).join(', ')}${v.length > 4 ? ', …' : ''}]`;
  if (v === null || typeof v !== 'object') return String(v);
  const keys = Object.keys(v);
  return `{${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}}`;
}

export function tokenRows(rows: unknown, context: number, vocabSize: number, source = 'token rows'): Int32Array {
  if (!Array.isArray(rows)) throw new TokenRowsError(`${source}: expected an array of token-id rows, got ${rows === null ? 'null' : typeof rows}`);
  if (rows.length === 0) throw new TokenRowsError(`${source}: no token rows`);
  const ids = new Int32Array(rows.length * context);
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) throw new TokenRowsError(`${source}: row ${r} is ${shown(row)}, not an array of token ids`);
    if (row.length === 0) throw new TokenRowsError(`${source}: row ${r} is empty`);
    if (row.length > context) throw new TokenRowsError(`${source}: row ${r} has ${row.length} ids, more than the model's context length ${context}`);
    row.forEach((v: unknown, c) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new TokenRowsError(`${source}: row ${r}, column ${c}: ${shown(v)} is not an integer token id`);
      if (v < 0 || v >= vocabSize) throw new TokenRowsError(`${source}: row ${r}, column ${c}: token id ${shown(v)} is outside the vocabulary [0, ${vocabSize})`);
      ids[r * context + c] = v;
    });
  });
  return ids;
}
