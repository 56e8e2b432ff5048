/**
 * The CPU kernels on worker threads (Node): the same bits as on one thread — every GEMM tile is
 * computed the same way whichever thread takes its rows — at the shapes the models run and at odd
 * ones, and a whole model fixture within tolerance; the backend says how many threads run.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { startCpuThreads } from '../../src/backends/cpu/threads.node.js';
import { wasmKernels } from '../../src/backends/cpu/wasm-kernels.js';
import { gemm, type BLayout } from '../../src/ops/index.js';
import { runParity } from '../../src/parity/parity.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { randn } from '../helpers/random.js';

const cpu = new CpuBackend();
const CASES: [number, number, number, number, BLayout][] = [
  // M, N, K, batch, layout: a text linear, a 1×1 conv, ragged sizes, a batch
  [77, 2048, 512, 1, 'nk'],
  [192, 4096, 64, 1, 'kn'],
  [33, 65, 129, 1, 'nk'],
  [37, 1001, 36, 2, 'kn'],
];

function products(): Float32Array[] {
  let seed = 4000;
  return CASES.map(([M, N, K, batch, bLayout]) => {
    const a = cpu.upload(randn(batch * M * K, seed++), [batch * M * K]);
    const b = cpu.upload(randn(batch * N * K, seed++), [batch * N * K]);
    const y = gemm({ a, b, bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, outShape: [batch, M, N], act: 'gelu' });
    return (y.storage as Float32Array).slice();
  });
}

describe.runIf(availableParallelism() > 1)('CPU kernels on worker threads', () => {
  it('give the one-thread results bit for bit, and say how many threads run', async () => {
    const one = products();
    expect(cpu.description).toMatch(/, 1 thread\)$/);
    const threads = await startCpuThreads();
    expect(threads).toBe(availableParallelism());
    expect(wasmKernels()!.threads).toBe(threads);
    expect(cpu.description).toMatch(new RegExp(`, ${threads} threads\\)$`));
    const many = products();
    many.forEach((y, i) => {
      expect(y.length).toBe(one[i].length);
      expect(y.every((v, j) => Object.is(v, one[i][j])), `case ${CASES[i].join(' ')}`).toBe(true);
    });
  });

  it.runIf(haveFixtures())('run a model fixture within tolerance (clip-tiny, every tensor)', async () => {
    await startCpuThreads();
    const r = await runParity(cpu, fixturePath('clip-tiny'));
    expect(r.tensors.length).toBe(26);
    for (const t of r.tensors) expect(t.rel, t.name).toBeLessThanOrEqual(1e-4);
    expect(r.ok).toBe(true);
  });
});
