/**
 * Byte-pair merging of one word, as CLIP's `bpe()` does it — repeatedly merge the adjacent pair
 * with the lowest merge rank, all its occurrences left to right — in one pass over the ranks
 * instead of the reference's O(n²) passes: symbols in a linked list, candidate pairs in buckets by
 * rank, each bucket taken in position order. Exact: a merge only creates pairs with the new
 * symbol, which rank after the merge that made it (BPE learns merges in order), so pairs of one
 * rank are always one bigram, and taking them by position is the reference's left-to-right scan
 * (an overlapping occurrence is invalidated by the merge to its left, as the scan skips it). A
 * merges file that breaks that order is detected and the word redone with the reference loop.
 */

/**
 * Merge rules over symbol ids in an open-addressing hash table (typed arrays: a Map keyed by
 * first · vocab + second holds non-Smi keys and is several times slower on long words).
 */
export class MergeTable {
  private readonly first: Int32Array;
  private readonly second: Int32Array;
  private readonly ranks: Int32Array;
  private readonly results: Int32Array;
  private readonly mask: number;
  /** One more than the highest rank. */
  readonly size: number;

  /** Each rule: [first, second, merged] symbol ids and its rank (one rule per pair). */
  constructor(rules: readonly (readonly [first: number, second: number, merged: number, rank: number])[]) {
    this.size = rules.reduce((m, r) => Math.max(m, r[3] + 1), 0);
    let cap = 1;
    while (cap < 2 * rules.length + 2) cap *= 2;
    this.mask = cap - 1;
    this.first = new Int32Array(cap).fill(-1);
    this.second = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.results = new Int32Array(cap);
    for (const [a, b, m, rank] of rules) {
      let h = this.hash(a, b);
      while (this.first[h] >= 0 && !(this.first[h] === a && this.second[h] === b)) h = (h + 1) & this.mask;
      if (this.first[h] >= 0) throw new RangeError(`merge table: pair (${a}, ${b}) given twice`);
      this.first[h] = a;
      this.second[h] = b;
      this.ranks[h] = rank;
      this.results[h] = m;
    }
  }

  private hash(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
  }

  /** Slot of the rule merging (a, b), or -1. */
  find(a: number, b: number): number {
    let h = this.hash(a, b);
    for (;;) {
      const f = this.first[h];
      if (f < 0) return -1;
      if (f === a && this.second[h] === b) return h;
      h = (h + 1) & this.mask;
    }
  }

  rank(slot: number): number {
    return this.ranks[slot];
  }

  merged(slot: number): number {
    return this.results[slot];
  }
}

/** Words up to this many symbols (nearly all) take the reference's own loop: no per-word tables. */
const SHORT = 64;

/** Symbol ids of one word → its merged symbol ids. */
export function bpeMerge(symbols: ArrayLike<number>, t: MergeTable): number[] {
  const n = symbols.length;
  if (n < 2) return Array.from(symbols);
  if (n <= SHORT) return mergeShort(Array.from(symbols), t);
  const sym = Int32Array.from(symbols);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const rankAt = (i: number): number => {
    const j = next[i];
    if (j < 0) return -1;
    const slot = t.find(sym[i], sym[j]);
    return slot < 0 ? -1 : t.rank(slot);
  };

  // The queue is monotone (a merge only adds pairs of higher rank), so a bucket per rank, visited
  // in rank order, is a priority queue; a bucket's positions are sorted when it is reached.
  // Each merge adds at most two entries.
  const head = new Int32Array(t.size).fill(-1);
  const entryPos = new Int32Array(3 * n);
  const entryNext = new Int32Array(3 * n);
  let entries = 0;
  let lowest = t.size;
  let current = -1;
  let monotone = true;
  const push = (rank: number, pos: number) => {
    if (rank <= current) monotone = false; // its bucket is already behind us
    entryPos[entries] = pos;
    entryNext[entries] = head[rank];
    head[rank] = entries++;
    if (rank < lowest) lowest = rank;
  };
  for (let i = n - 2; i >= 0; i--) {
    const r = rankAt(i);
    if (r >= 0) push(r, i);
  }
  const bucket: number[] = [];
  for (let rank = lowest; rank < t.size && monotone; rank++) {
    if (head[rank] < 0) continue;
    current = rank;
    bucket.length = 0;
    for (let e = head[rank]; e >= 0; e = entryNext[e]) bucket.push(entryPos[e]);
    let sorted = true;
    for (let k = 1; k < bucket.length; k++) if (bucket[k] < bucket[k - 1]) sorted = false;
    if (!sorted) bucket.sort((a, b) => a - b);
    for (const i of bucket) {
      // Stale entries: the symbol was merged away, or the pair at i is no longer this one.
      if (sym[i] < 0 || rankAt(i) !== rank) continue;
      const j = next[i];
      sym[i] = t.merged(t.find(sym[i], sym[j]));
      sym[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) {
        const r = rankAt(prev[i]);
        if (r >= 0) push(r, prev[i]);
      }
      const r = rankAt(i);
      if (r >= 0) push(r, i);
    }
  }
  if (!monotone) return mergeShort(Array.from(symbols), t);
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}

/** The reference's loop on ids: merge every occurrence of the lowest-ranked pair, left to right. */
function mergeShort(w: number[], t: MergeTable): number[] {
  while (w.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < w.length - 1; i++) {
      const slot = t.find(w[i], w[i + 1]);
      if (slot >= 0 && t.rank(slot) < bestRank) [best, bestRank] = [slot, t.rank(slot)];
    }
    if (best < 0) break;
    const m = t.merged(best);
    const out: number[] = [];
    for (let i = 0; i < w.length; ) {
      if (i < w.length - 1 && t.find(w[i], w[i + 1]) === best) {
        out.push(m);
        i += 2;
      } else out.push(w[i++]);
    }
    w = out;
  }
  return w;
}

/** The reference's quadratic loop on symbol strings, kept as the check for `bpeMerge`. */
export function bpeReference(word: readonly string[], ranks: ReadonlyMap<string, number>): string[] {
  let w = [...word];
  while (w.length > 1) {
    let bestRank = Infinity;
    let first = '';
    let second = '';
    for (let i = 0; i < w.length - 1; i++) {
      const r = ranks.get(`${w[i]} ${w[i + 1]}`);
      if (r !== undefined && r < bestRank) [bestRank, first, second] = [r, w[i], w[i + 1]];
    }
    if (bestRank === Infinity) break;
    const merged: string[] = [];
    for (let i = 0; i < w.length; ) {
      if (w[i] === first && i < w.length - 1 && w[i + 1] === second) {
        merged.push(first + second);
        i += 2;
      } else merged.push(w[i++]);
    }
    w = merged;
  }
  return w;
}
