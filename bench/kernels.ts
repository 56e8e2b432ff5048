/**
 * Kernel benchmarks on the shapes MobileCLIP-S0 runs (npm run bench:kernels).
 * Prints a table and writes JSON (bench/results/kernels.json, or the path after --json).
 * Rows: median ms per launch over repeated submissions after warm-up, GFLOP/s for compute-bound
 * kernels, GB/s of compulsory traffic for memory-bound ones, and the pool's peak GPU bytes. The
 * first row measures the adapter's own FMA ceiling, against which GFLOP/s rows are a percentage.
 * `--device=cpu` runs the CPU backend's kernels instead, against the WebAssembly multiply-add
 * ceiling (bench/cpu-kernels.ts, also `npm run bench:cpu-kernels`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { describePolicy } from '../src/backends/webgpu/policy.js';
import type { Gpu } from '../src/backends/webgpu/gpu.js';
import type { Tensor } from '../src/runtime/tensor.js';
import { output } from '../src/backends/webgpu/kernel.js';
import { numel } from '../src/runtime/shape.js';
import { linear, matmul, conv2d, attention, layerNorm, softmax, unary, globalAvgPool, channelAffine, squeezeExcite } from '../src/ops/index.js';
import { grid1d } from '../src/backends/webgpu/kernels/wgsl/grid.js';
import { attentionViaGemm } from '../src/backends/webgpu/kernels/attention-gemm.js';
import { attentionFused } from '../src/backends/webgpu/kernels/attention.js';
import { printTable, timeGpu } from './harness.js';

const deviceAt = process.argv.findIndex((a) => a === '--device' || a.startsWith('--device='));
const device = deviceAt < 0 ? 'webgpu' : process.argv[deviceAt].includes('=') ? process.argv[deviceAt].slice('--device='.length) : process.argv[deviceAt + 1];
if (device !== 'cpu' && device !== 'webgpu') throw new Error(`--device is cpu or webgpu, not ${device}`);
if (device === 'cpu') {
  await import('./cpu-kernels.js');
  process.exit(0);
}

interface Case {
  name: string;
  /** Flops per launch (compute-bound rows) or 0. */
  flops: number;
  /** Compulsory bytes moved per launch. */
  bytes: number;
  setup: (gpu: Gpu) => { run: () => void; dispose: () => void };
}

const rand = (gpu: Gpu, shape: number[], scale = 1): Tensor => {
  const n = numel(shape);
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return gpu.upload(a, shape);
};

const once = (make: () => Tensor) => () => make().dispose();

function conv(name: string, x: number[], w: number[], opts: { stride?: number; padding?: number; groups?: number; act?: 'gelu' }): Case {
  const [n, , h, wd] = x;
  const s = opts.stride ?? 1;
  const p = opts.padding ?? 0;
  const oh = Math.floor((h + 2 * p - w[2]) / s) + 1;
  const ow = Math.floor((wd + 2 * p - w[3]) / s) + 1;
  const flops = 2 * n * w[0] * oh * ow * w[1] * w[2] * w[3];
  return {
    name, flops, bytes: 4 * (numel(x) + numel(w) + n * w[0] * oh * ow),
    setup: (gpu) => {
      const xt = rand(gpu, x);
      const wt = rand(gpu, w, 0.1);
      const bias = rand(gpu, [w[0]]);
      return { run: once(() => conv2d(xt, wt, { ...opts, bias })), dispose: () => [xt, wt, bias].forEach((t) => t.dispose()) };
    },
  };
}

const FMA_ITERS = 4096;
const fmaWgsl = `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var a = vec4(f32(gid.x) * 1e-6, 1.0, 2.0, 3.0);
  var b = vec4(0.999, 0.998, 0.997, 0.996);
  var c = vec4(1e-3);
  var d = vec4(2e-3);
  for (var i = 0u; i < ${FMA_ITERS}u; i++) {
    a = fma(a, b, c); d = fma(d, b, c); c = fma(c, b, a); b = fma(b, b, d);
  }
  store_out(gid.x, a + b + c + d);
}`;

const cases: Case[] = [
  {
    name: 'fma ceiling (vec4 FMA loop)',
    flops: 64 * 1024 * FMA_ITERS * 4 * 4 * 2,
    bytes: 0,
    setup: (gpu) => {
      const out = gpu.empty([64 * 1024 * 4]);
      return {
        run: () => gpu.dispatch({ label: 'fma_peak', signature: { bindings: { out: output('vec4<f32>') } }, body: fmaWgsl, bindings: { out }, workgroups: grid1d(64 * 1024, 64) }),
        dispose: () => out.dispose(),
      };
    },
  },
  conv('conv 1x1 64→192 @64x64 (S0 stage 0 fc1)', [1, 64, 64, 64], [192, 64, 1, 1], { act: 'gelu' }),
  conv('conv 1x1 192→64 @64x64 (fc2)', [1, 192, 64, 64], [64, 192, 1, 1], {}),
  conv('conv 1x1 256→768 @16x16 (stage 2 fc1)', [1, 256, 16, 16], [768, 256, 1, 1], { act: 'gelu' }),
  conv('conv 1x1 256→768 @16x16 batch 8', [8, 256, 16, 16], [768, 256, 1, 1], { act: 'gelu' }),
  conv('dwconv 7x7 64ch @64x64 (ConvFFN)', [1, 64, 64, 64], [64, 1, 7, 7], { padding: 3, groups: 64 }),
  conv('dwconv 3x3 64ch @64x64 (RepMixer)', [1, 64, 64, 64], [64, 1, 3, 3], { padding: 1, groups: 64 }),
  conv('conv 3x3 s2 3→64 @256 (stem 0)', [1, 3, 256, 256], [64, 3, 3, 3], { stride: 2, padding: 1, act: 'gelu' }),
  conv('conv 7x7 s2 ×2 64→128 @64 (PatchEmbed)', [1, 64, 64, 64], [128, 1, 7, 7], { stride: 2, padding: 3, groups: 64, act: 'gelu' }),
  conv('conv 3x3 ×2 512→1024 @8x8 (conv_exp)', [1, 512, 8, 8], [1024, 1, 3, 3], { padding: 1, groups: 512, act: 'gelu' }),
  {
    name: 'linear 77x512 @ 2048x512 +gelu (text fc1)',
    flops: 2 * 77 * 512 * 2048,
    bytes: 4 * (77 * 512 + 2048 * 512 + 77 * 2048),
    setup: (gpu) => {
      const x = rand(gpu, [77, 512]);
      const w = rand(gpu, [2048, 512], 0.05);
      const b = rand(gpu, [2048]);
      return { run: once(() => linear(x, w, { bias: b, act: 'gelu' })), dispose: () => [x, w, b].forEach((t) => t.dispose()) };
    },
  },
  {
    name: 'linear 77x2048 @ 512x2048 +res (text fc2)',
    flops: 2 * 77 * 512 * 2048,
    bytes: 4 * (77 * 2048 + 2048 * 512 + 2 * 77 * 512),
    setup: (gpu) => {
      const x = rand(gpu, [77, 2048]);
      const w = rand(gpu, [512, 2048], 0.05);
      const b = rand(gpu, [512]);
      const r = rand(gpu, [77, 512]);
      return { run: once(() => linear(x, w, { bias: b, residual: r })), dispose: () => [x, w, b, r].forEach((t) => t.dispose()) };
    },
  },
  {
    name: 'matmul 77x512 @ 512x2048 [K,N]',
    flops: 2 * 77 * 512 * 2048,
    bytes: 4 * (77 * 512 + 2048 * 512 + 77 * 2048),
    setup: (gpu) => {
      const a = rand(gpu, [77, 512]);
      const b = rand(gpu, [512, 2048], 0.05);
      return { run: once(() => matmul(a, b)), dispose: () => [a, b].forEach((t) => t.dispose()) };
    },
  },
  {
    name: 'attention 64 tok x 16 heads x 32 (S0 stage 3)',
    flops: 4 * 16 * 64 * 64 * 32,
    bytes: 4 * (64 * 3 * 512 + 64 * 512),
    setup: (gpu) => {
      const qkv = rand(gpu, [1, 64, 3 * 512]);
      return { run: once(() => attention(qkv, { heads: 16 })), dispose: () => qkv.dispose() };
    },
  },
  {
    name: 'attention 77 tok x 8 heads x 64 (text)',
    flops: 4 * 8 * 77 * 77 * 64,
    bytes: 4 * (77 * 3 * 512 + 77 * 512),
    setup: (gpu) => {
      const qkv = rand(gpu, [1, 77, 3 * 512]);
      return { run: once(() => attention(qkv, { heads: 8 })), dispose: () => qkv.dispose() };
    },
  },
  ...([
    [64, 16, 32, 'S0 stage 3'],
    [77, 8, 64, 'text'],
    [197, 12, 64, 'ViT-B'],
  ] as const).map(([n, h, hd, what]): Case => ({
    name: `attention via GEMMs ${n} tok x ${h} heads x ${hd} (${what})`,
    flops: 4 * h * n * n * hd,
    bytes: 4 * (n * 3 * h * hd + n * h * hd),
    setup: (gpu) => {
      const qkv = rand(gpu, [1, n, 3 * h * hd]);
      return { run: once(() => attentionViaGemm(qkv, { heads: h })), dispose: () => qkv.dispose() };
    },
  })),
  {
    name: 'attention fused 197 tok x 12 heads x 64 (ViT-B)',
    flops: 4 * 12 * 197 * 197 * 64,
    bytes: 4 * (197 * 3 * 768 + 197 * 768),
    setup: (gpu) => {
      const qkv = rand(gpu, [1, 197, 3 * 768]);
      return { run: once(() => attentionFused(qkv, { heads: 12 })), dispose: () => qkv.dispose() };
    },
  },
  {
    name: 'layerNorm 77x512',
    flops: 0,
    bytes: 4 * 2 * 77 * 512,
    setup: (gpu) => {
      const x = rand(gpu, [77, 512]);
      const w = rand(gpu, [512]);
      const b = rand(gpu, [512]);
      return { run: once(() => layerNorm(x, w, b)), dispose: () => [x, w, b].forEach((t) => t.dispose()) };
    },
  },
  {
    name: 'softmax 8x77x77',
    flops: 0,
    bytes: 4 * 2 * 8 * 77 * 77,
    setup: (gpu) => {
      const x = rand(gpu, [8, 77, 77]);
      return { run: once(() => softmax(x)), dispose: () => x.dispose() };
    },
  },
  {
    name: 'gelu 64x64x192 (1 image, stage 0 hidden)',
    flops: 0,
    bytes: 4 * 2 * 192 * 64 * 64,
    setup: (gpu) => {
      const x = rand(gpu, [1, 192, 64, 64]);
      return { run: once(() => unary(x, 'gelu')), dispose: () => x.dispose() };
    },
  },
  {
    name: 'layer scale + residual 64ch @64x64',
    flops: 0,
    bytes: 4 * 3 * 64 * 64 * 64,
    setup: (gpu) => {
      const x = rand(gpu, [1, 64, 64, 64]);
      const r = rand(gpu, [1, 64, 64, 64]);
      const s = rand(gpu, [64]);
      return { run: once(() => channelAffine(x, s, { residual: r })), dispose: () => [x, r, s].forEach((t) => t.dispose()) };
    },
  },
  {
    name: 'global avg pool 1024ch @8x8',
    flops: 0,
    bytes: 4 * 1024 * 64,
    setup: (gpu) => {
      const x = rand(gpu, [1, 1024, 8, 8]);
      return { run: once(() => globalAvgPool(x)), dispose: () => x.dispose() };
    },
  },
  {
    name: 'squeeze-excite 256ch @16x16 (r=64)',
    flops: 0,
    bytes: 4 * 2 * 256 * 256,
    setup: (gpu) => {
      const x = rand(gpu, [1, 256, 16, 16]);
      const w = { reduceWeight: rand(gpu, [64, 256, 1, 1], 0.1), reduceBias: rand(gpu, [64]), expandWeight: rand(gpu, [256, 64, 1, 1], 0.1), expandBias: rand(gpu, [256]) };
      return { run: once(() => squeezeExcite(x, w)), dispose: () => [x, ...Object.values(w)].forEach((t) => t.dispose()) };
    },
  },
];

async function main(): Promise<void> {
  const jsonArg = process.argv.indexOf('--json');
  const jsonPath = jsonArg >= 0 ? process.argv[jsonArg + 1] : 'bench/results/kernels.json';
  const filter = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const gpu = await createGpu();
  console.log(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown>[] = [];
  let ceiling = 0;
  try {
    for (const c of cases) {
      if (filter && !c.name.includes(filter) && !c.name.startsWith('fma')) continue;
      gpu.buffers.resetPeak();
      const { run, dispose } = c.setup(gpu);
      const t = await timeGpu(gpu, run);
      const peak = gpu.buffers.stats.peakBytes;
      dispose();
      const gflops = c.flops ? c.flops / (t.medianMs * 1e6) : 0;
      if (c.name.startsWith('fma')) ceiling = gflops;
      const gbs = c.bytes ? c.bytes / (t.medianMs * 1e6) : 0;
      rows.push({
        kernel: c.name,
        'median ms': t.medianMs,
        'GFLOP/s': c.flops ? gflops : '-',
        '% fma ceiling': c.flops && ceiling ? (100 * gflops) / ceiling : '-',
        'GB/s': c.bytes ? gbs : '-',
        'peak MiB': peak / 2 ** 20,
        iters: `${t.repeats}x${t.iters}`,
      });
      results.push({ kernel: c.name, medianMs: t.medianMs, minMs: t.minMs, gflops, gbs, peakBytes: peak, flops: c.flops, bytes: c.bytes, iters: t.iters, repeats: t.repeats });
    }
  } finally {
    gpu.destroy();
  }
  printTable(rows);
  const json = { adapter: describeGpu(gpu), policy: describePolicy(gpu.policy), date: new Date().toISOString(), fmaCeilingGflops: ceiling, results };
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(json, null, 2));
  console.log(`\nJSON: ${jsonPath}`);
}

await main();
