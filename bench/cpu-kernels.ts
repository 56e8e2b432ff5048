/**
 * The CPU backend's kernels against this machine's WebAssembly SIMD ceiling (npm run bench:cpu-kernels):
 *   [--repeats=7] [--out=bench/results/cpu-kernels]
 * The ceiling: the kernels' own module running eight independent multiply-adds on four lanes per
 * step with no memory traffic, one thread (the backend's thread count). Each op runs through its
 * neutral entry on the CPU backend at shapes the models use (S0's 1×1 convs and depthwise convs,
 * the text tower's linears and attention); GFLOP/s is 2 × multiply-adds over the median time
 * (packing and the epilogue included), % of the ceiling beside it. Memory-bound ops report GB/s.
 * Writes <out>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import { wasmKernels } from '../src/backends/cpu/wasm-kernels.js';
import { attention, conv2d, gelu, layerNorm, linear, pointwiseConv, softmax } from '../src/ops/index.js';
import type { Tensor } from '../src/runtime/tensor.js';
import { median, printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const repeats = Number(arg('repeats', '7'));
const cpu = new CpuBackend();
const kernels = wasmKernels();

function timeMs(run: () => void): number {
  // Packs the weights (resident after) and warms the JIT: three runs, as the ops whose packing is
  // JavaScript (attention's q, k, v) measured 1.4 to 13 ms from run to run after one.
  for (let w = 0; w < 3; w++) run();
  const t: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const ceiling = (() => {
  if (!kernels) return NaN;
  const iters = 2_000_000;
  const ms = timeMs(() => kernels.maddPeak(iters));
  return (96 * iters) / ms / 1e6;
})();
console.log(`${cpu.description}; multiply-add ceiling: ${ceiling.toFixed(2)} GFLOP/s (one thread)`);

const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const up = (shape: number[], keep = false) => {
  const t = cpu.upload(rand(shape.reduce((a, b) => a * b, 1)), shape);
  return keep ? cpu.keep(t) : t;
};

interface Case {
  name: string;
  flops?: number;
  bytes?: number;
  run: () => Tensor;
}
const cases: Case[] = [];
const gemmCase = (name: string, M: number, N: number, K: number) => {
  const x = up([M, K]);
  const w = up([N, K], true);
  cases.push({ name: `linear ${name} [${M}, ${K}]·[${N}, ${K}]ᵀ`, flops: 2 * M * N * K, run: () => linear(x, w) });
};
const convCase = (name: string, x: number[], w: number[], stride: number, padding: number, groups: number) => {
  const xt = up(x);
  const wt = up(w, true);
  const [oh, ow] = [Math.floor((x[2] + 2 * padding - w[2]) / stride) + 1, Math.floor((x[3] + 2 * padding - w[3]) / stride) + 1];
  const flops = 2 * x[0] * w[0] * oh * ow * w[1] * w[2] * w[3];
  cases.push({ name: `conv ${name} x[${x}] w[${w}] s${stride}`, flops, run: () => (w[2] === 1 && w[3] === 1 ? pointwiseConv(xt, wt) : conv2d(xt, wt, { stride, padding, groups })) });
};
gemmCase('text MLP fc1', 77, 2048, 512);
gemmCase('text MLP fc2', 77, 512, 2048);
gemmCase('ViT-B MLP', 197, 3072, 768);
convCase('1×1 S0 stage 1', [1, 64, 64, 64], [192, 64, 1, 1], 1, 0, 1);
convCase('1×1 S0 stage 3', [1, 256, 16, 16], [768, 256, 1, 1], 1, 0, 1);
convCase('depthwise 3×3', [1, 64, 64, 64], [64, 1, 3, 3], 1, 1, 64);
convCase('depthwise 3×3', [1, 64, 64, 64], [64, 1, 3, 3], 2, 1, 64);
convCase('depthwise 7×7', [1, 128, 32, 32], [128, 1, 7, 7], 1, 3, 128);
convCase('depthwise 7×7', [1, 128, 32, 32], [128, 1, 7, 7], 2, 3, 128);
convCase('stem 3×3', [1, 3, 256, 256], [64, 3, 3, 3], 2, 1, 1);
{
  const [b, n, heads, hd] = [1, 77, 8, 64];
  const qkv = up([b, n, 3 * heads * hd]);
  cases.push({ name: `attention text b${b} n${n} ${heads}×${hd} causal`, flops: 4 * b * heads * n * n * hd, run: () => attention(qkv, { heads, causal: true }) });
}
{
  const x = up([77, 512]);
  const [w, bias] = [up([512], true), up([512], true)];
  cases.push({ name: 'layerNorm [77, 512]', bytes: 2 * 77 * 512 * 4, run: () => layerNorm(x, w, bias) });
  const s = up([8, 77, 77]);
  cases.push({ name: 'softmax [8, 77, 77]', bytes: 2 * 8 * 77 * 77 * 4, run: () => softmax(s) });
  const g = up([1, 256, 32, 32]);
  cases.push({ name: 'gelu [1, 256, 32, 32]', bytes: 2 * 256 * 32 * 32 * 4, run: () => gelu(g) });
}

const rows: Record<string, string>[] = [];
const results = [];
for (const c of cases) {
  const ms = timeMs(() => cpu.scope(() => void c.run()));
  const gflops = c.flops ? c.flops / ms / 1e6 : NaN;
  const gbs = c.bytes ? c.bytes / ms / 1e6 : NaN;
  rows.push({ op: c.name, 'median ms': ms.toFixed(2), 'GFLOP/s': c.flops ? gflops.toFixed(2) : '', '% ceiling': c.flops ? `${((100 * gflops) / ceiling).toFixed(0)} %` : '', 'GB/s': c.bytes ? gbs.toFixed(2) : '' });
  results.push({ op: c.name, medianMs: ms, gflops: c.flops ? gflops : null, ceilingShare: c.flops ? gflops / ceiling : null, gbPerSecond: c.bytes ? gbs : null });
}
printTable(rows);
const out = arg('out', 'bench/results/cpu-kernels');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, JSON.stringify({ cpu: cpu.description, ceilingGflops: ceiling, repeats, date: new Date().toISOString(), results }, null, 2));
console.log(`\nJSON: ${out}.json`);
