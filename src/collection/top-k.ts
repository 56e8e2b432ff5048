/** The k best scores of a row, best first (ties: the earlier index first); only those ≥ `threshold`. O(n log k). */
export function topK(scores: Float32Array, k: number, threshold = -Infinity): { index: number; score: number }[] {
  // A min-heap of the k best so far: the root is the weakest kept.
  const heap: number[] = [];
  const worse = (i: number, j: number) => scores[i] < scores[j] || (scores[i] === scores[j] && i > j);
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let m = at;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === at) return;
      [heap[at], heap[m]] = [heap[m], heap[at]];
      at = m;
    }
  };
  for (let i = 0; i < scores.length && k > 0; i++) {
    if (!(scores[i] >= threshold)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let at = heap.length - 1; at > 0; ) {
        const p = (at - 1) >> 1;
        if (!worse(heap[at], heap[p])) break;
        [heap[at], heap[p]] = [heap[p], heap[at]];
        at = p;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.map((index) => ({ index, score: scores[index] })).sort((x, y) => y.score - x.score || x.index - y.index);
}
