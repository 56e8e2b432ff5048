/**
 * Search at scale (npm run bench:search): a synthetic index of N rows (default 1,000,000) of
 * 512-dim unit vectors written with the real store, then
 *   - open: IndexStore.open + loadLive (manifest, every segment's rows and embeddings), median of 3;
 *   - full query: one query's scores against every row as one product on the CPU backend (the
 *     rows uploaded once and kept, as a long-lived search keeps them) plus top-10, median of 10;
 *   - int8 query: EmbeddingMatrix.topK, which reads int8 rows with a bound on each score and
 *     rescores in float32 only the rows that can be in the top 10 (the first query builds the
 *     int8 rows); checked equal to the full product's top 10, indices and scores;
 *   on one thread, then two.
 * Writes bench/results/search.json. Options: --rows=1000000 --dim=512 --segment=65536.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexStore } from '../src/collection/index-store.node.js';
import { topK } from '../src/collection/top-k.js';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import { startCpuThreads } from '../src/backends/cpu/threads.node.js';
import { EmbeddingMatrix } from '../src/api/embedding-matrix.js';
import { median, printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const N = Number(arg('rows', '1000000'));
const dim = Number(arg('dim', '512'));
const segment = Number(arg('segment', '65536'));

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-search-bench-'));
try {
  const model = { name: 'synthetic', weightsFingerprint: '0000000000000000', embedDim: dim, imageSize: [256, 256] as [number, number], preprocessing: '{}', normalized: true };
  const w = await IndexStore.open(dir, { write: true, model });
  let seed = 1;
  // Math.imul: a float product would lose the low bits and repeat after a few hundred values.
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const t0 = performance.now();
  for (let from = 0; from < N; from += segment) {
    const n = Math.min(segment, N - from);
    const e = new Float32Array(n * dim);
    for (let r = 0; r < n; r++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (e[r * dim + d] = rand()) ** 2;
      const inv = 1 / Math.sqrt(norm);
      for (let d = 0; d < dim; d++) e[r * dim + d] *= inv;
    }
    const rows = Array.from({ length: n }, (_, i) => ({ path: `/photos/${String(from + i).padStart(7, '0')}.jpg`, size: 3_000_000 + i, mtimeMs: 1.7e12 + i, sha256: (from + i).toString(16).padStart(64, '0') }));
    await w.commit(rows, e, []);
  }
  await w.close();
  console.error(`wrote ${N} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const opens: number[] = [];
  let live!: Awaited<ReturnType<IndexStore['loadLive']>>;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    live = await (await IndexStore.open(dir)).loadLive();
    opens.push(performance.now() - t);
  }
  const results: Record<string, string | number>[] = [];
  const row = 12345; // the query is this row: it must come first
  const q = { data: live.embeddings.slice(row * dim, (row + 1) * dim), count: 1, dim };
  const rows = { data: live.embeddings, count: N, dim };
  for (const threads of [1, 2]) {
    if (threads === 2) await startCpuThreads();
    const cpu = new CpuBackend();
    const m = new EmbeddingMatrix(cpu, rows);
    // The full product: every row's float32 score, then the top 10.
    const full = async () => topK(await m.scores(q), 10);
    const reference = await full();
    if (reference[0].index !== row) throw new Error(`the query row came ${reference.findIndex((h) => h.index === row)}th`);
    const fullMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await full();
      fullMs.push(performance.now() - t);
    }
    // The int8 prefilter: built on the first query, then each query reads int8 rows and rescores the few that can win.
    let t = performance.now();
    const first = await m.topK(q, 10);
    const buildMs = performance.now() - t;
    if (JSON.stringify(first) !== JSON.stringify(reference)) throw new Error('the prefiltered top 10 differs from the full product\'s');
    const preMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const other = { data: live.embeddings.slice((row + 1 + i) * dim, (row + 2 + i) * dim), count: 1, dim };
      t = performance.now();
      const got = await m.topK(other, 10);
      preMs.push(performance.now() - t);
      if (i === 0) {
        const want = topK(await m.scores(other), 10);
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error('a prefiltered top 10 differs from the full product\'s');
      }
    }
    const ms = median(fullMs);
    results.push({ rows: N, dim, threads: cpu.description, openMs: Math.round(median(opens)), fullQueryMs: Number(ms.toFixed(1)), 'full GB/s': Number(((N * dim * 4) / ms / 1e6).toFixed(2)), int8FirstQueryMs: Math.round(buildMs), int8QueryMs: Number(median(preMs).toFixed(1)) });
    m.dispose();
    cpu.destroy();
  }
  printTable(results);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/search.json', JSON.stringify({ date: new Date().toISOString(), results, opensMs: opens }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
