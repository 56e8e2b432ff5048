/**
 * The CPU kernels on worker threads (Node): the same bits as on one thread — every GEMM tile is
 * computed the same way whichever thread takes its rows, every depthwise output plane whichever
 * thread takes it — at the shapes the models run and at odd ones, and a whole model fixture within
 * tolerance; the backend says how many threads run.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';
import { startCpuThreads } from '../../src/backends/cpu/threads.node.js';
import { wasmKernels } from '../../src/backends/cpu/wasm-kernels.js';
import { type Activation, type BLayout, conv2d, conv2dRef, gemm } from '../../src/ops/index.js';
import { expectClose } from '../helpers/compare.js';
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

// Depthwise (and ×2 expanding: Cout = 2·Cin, groups = Cin) convs, all large enough to be split:
// x, w, stride, padding, bias, activation — S0's shapes, and odd sizes with a bias and GELU.
const CONVS: [number[], number[], number, number, boolean, Activation][] = [
  [[1, 64, 64, 64], [64, 1, 3, 3], 1, 1, false, 'none'],
  [[1, 128, 32, 32], [128, 1, 7, 7], 2, 3, true, 'none'],
  [[2, 24, 45, 37], [48, 1, 7, 7], 1, 3, true, 'gelu'],
  [[3, 13, 151, 129], [13, 1, 3, 3], 2, 1, true, 'relu'],
];

function depthwiseConvs(check = false): Float32Array[] {
  let seed = 4100;
  return CONVS.map(([xs, ws, stride, padding, withBias, act]) => {
    const x = randn(xs.reduce((a, b) => a * b, 1), seed++);
    const w = randn(ws.reduce((a, b) => a * b, 1), seed++);
    const bias = randn(ws[0], seed++);
    const y = cpu.scope(() => conv2d(cpu.upload(x, xs), cpu.upload(w, ws), { stride, padding, groups: xs[1], act, ...(withBias && { bias: cpu.upload(bias, [ws[0]]) }) }).storage as Float32Array).slice();
    if (check) {
      const ref = conv2dRef(x, xs, w, ws, { stride, padding, groups: xs[1], act, ...(withBias && { bias }) });
      expectClose(`depthwise x[${xs}] w[${ws}] s${stride} ${act}`, y, ref.out, { rel: 1e-5 });
    }
    return y;
  });
}

/** Each case with GELU alone, and with every epilogue operand (bias and scale along M, then along N, and a residual): each thread runs the epilogue of its own rows. */
function products(): Float32Array[] {
  let seed = 4000;
  return CASES.flatMap(([M, N, K, batch, bLayout], i) => {
    const a = cpu.upload(randn(batch * M * K, seed++), [batch * M * K]);
    const b = cpu.upload(randn(batch * N * K, seed++), [batch * N * K]);
    const along = i % 2 ? 'm' : 'n';
    const len = along === 'm' ? M : N;
    const [bias, scale, residual] = [cpu.upload(randn(len, seed++), [len]), cpu.upload(randn(len, seed++), [len]), cpu.upload(randn(batch * M * N, seed++), [batch, M, N])];
    const spec = { a, b, bLayout, M, N, K, batch, strideA: M * K, strideB: N * K, outShape: [batch, M, N] };
    const y = gemm({ ...spec, act: 'gelu' });
    const z = gemm({ ...spec, act: 'gelu', bias, biasAlong: along, scale, scaleAlong: along, residual });
    return [(y.storage as Float32Array).slice(), (z.storage as Float32Array).slice()];
  });
}

describe.runIf(availableParallelism() > 1)('CPU kernels on worker threads', () => {
  /** The depthwise convs on one thread (the first test, before the pool starts). */
  let oneThreadConvs: Float32Array[] = [];
  it('give the one-thread results bit for bit, and say how many threads run', async () => {
    const one = products();
    oneThreadConvs = depthwiseConvs();
    expect(cpu.description).toMatch(/, 1 thread\)$/);
    const threads = await startCpuThreads();
    expect(threads).toBe(availableParallelism());
    expect(wasmKernels()!.threads).toBe(threads);
    expect(cpu.description).toMatch(new RegExp(`, ${threads} threads\\)$`));
    const many = products();
    many.forEach((y, i) => {
      expect(y.length).toBe(one[i].length);
      expect(y.every((v, j) => Object.is(v, one[i][j])), `case ${CASES[i >> 1].join(' ')}${i & 1 ? ' with bias, scale, residual' : ''}`).toBe(true);
    });
  });

  it('depthwise convs split by output planes: the one-thread results bit for bit, and the reference within 1e-5', async () => {
    // A started pool stays: the one-thread results were computed by the first test, before it started the pool.
    expect(oneThreadConvs.length).toBe(CONVS.length);
    const many = depthwiseConvs(true);
    expect(wasmKernels()!.threads).toBeGreaterThan(1);
    oneThreadConvs.forEach((y, i) => {
      expect(many[i].length).toBe(y.length);
      expect(many[i].every((v, j) => Object.is(v, y[j])), `conv ${CONVS[i][0]} ${CONVS[i][1]}`).toBe(true);
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
