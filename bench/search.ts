/**
 * Search at scale (npm run bench:search): a synthetic index of N rows (default 1,000,000) of
 * 512-dim unit vectors written with the real store, then
 *   - open: IndexStore.open + loadLive (manifest, every segment's rows and embeddings), median of 3;
 *   - query: one query's scores against every row as one product on the CPU backend (ops.linear,
 *     the matrix uploaded once and kept, as a long-lived search keeps it) plus exact top-10,
 *     median of 10 after one warm-up; and the same on one thread.
 * Writes bench/results/search.json. Options: --rows=1000000 --dim=512 --segment=65536.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexStore } from '../src/collection/index-store.node.js';
import { topK } from '../src/collection/top-k.js';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import { startCpuThreads } from '../src/backends/cpu/threads.node.js';
import { linear } from '../src/ops/gemm.js';
import { median, printTable } from './harness.js';

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
  const q = live.embeddings.slice(12345 * dim, 12346 * dim); // row 12345: it must come first
  for (const threads of [1, 2]) {
    if (threads === 2) await startCpuThreads();
    const cpu = new CpuBackend();
    const chunk = Math.floor(cpu.maxTensorBytes / 4 / dim);
    const parts: ReturnType<CpuBackend['upload']>[] = [];
    for (let from = 0; from < N; from += chunk) parts.push(cpu.keep(cpu.upload(live.embeddings.subarray(from * dim, Math.min(N, from + chunk) * dim), [Math.min(chunk, N - from), dim])));
    const query = async () => {
      const x = cpu.upload(q, [1, dim]);
      const scores = new Float32Array(N);
      let at = 0;
      for (const p of parts) {
        const s = linear(x, p);
        scores.set(await s.readFloat(), at);
        at += p.shape[0];
        s.dispose();
      }
      x.dispose();
      return topK(scores, 10);
    };
    const first = await query();
    if (first[0].index !== 12345) throw new Error(`the query row came ${first.findIndex((h) => h.index === 12345)}th`);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await query();
      times.push(performance.now() - t);
    }
    const ms = median(times);
    results.push({ rows: N, dim, threads: cpu.description, openMs: Math.round(median(opens)), queryMs: Number(ms.toFixed(1)), 'GB/s': Number(((N * dim * 4) / ms / 1e6).toFixed(2)) });
    cpu.destroy();
  }
  printTable(results);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/search.json', JSON.stringify({ date: new Date().toISOString(), results, opensMs: opens }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
