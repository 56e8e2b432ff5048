/**
 * Model benchmarks with random weights of the real shapes (npm run bench:models):
 *   --models=mobileclip_s0,mobileclip_b  --towers=image,text  --image-batches=1,8  --text-batches=1,32
 *   --dtypes=f32,f16  --repeats=5  [--no-plans]  [--out=bench/results/models]
 * Prints a table and writes <out>.json and a bar chart <out>.svg (default bench/results/models).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { describePolicy } from '../src/backends/webgpu/policy.js';
import { benchTable, peakFootnote, runModelBench } from '../src/bench/run-models.js';
import { timingsSvg } from '../src/bench/chart.js';
import { printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const nums = (s: string) => s.split(',').map(Number);

const gpu = await createGpu();
const adapter = describeGpu(gpu);
console.log(`adapter: ${adapter}\npolicy: ${describePolicy(gpu.policy)}`);
try {
  const { rows, gemmPeak } = await runModelBench(gpu, {
    models: arg('models', 'mobileclip_s0').split(','),
    towers: arg('towers', 'image,text').split(',') as ('image' | 'text')[],
    imageBatches: nums(arg('image-batches', '1,8')),
    textBatches: nums(arg('text-batches', '1,32')),
    repeats: Number(arg('repeats', '5')),
    plans: !process.argv.includes('--no-plans'),
    dtypes: arg('dtypes', 'f32').split(',') as ('f32' | 'f16')[],
    onRow: (r) => console.error(`  ${r.model} ${r.tower} batch ${r.batch} ${r.dtype}: ${r.medianMs.toFixed(1)} ms`),
  });
  console.log(`GEMM peak (linear 1024×512 · 2048×512ᵀ and 2048×1024 · 4096×1024ᵀ, best of before ${gemmPeak.before.toFixed(2)} / after ${gemmPeak.after.toFixed(2)} the rows): ${gemmPeak.gflops.toFixed(2)} GFLOP/s`);
  printTable(benchTable(rows));
  const note = peakFootnote(rows);
  if (note) console.log(note);
  const out = arg('out', 'bench/results/models');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ adapter, policy: describePolicy(gpu.policy), date: new Date().toISOString(), gemmPeak, rows }, null, 2));
  writeFileSync(`${out}.svg`, timingsSvg(rows, `Warm median forward time — ${adapter.split(':')[0]}`));
  console.log(`\nJSON: ${out}.json, chart: ${out}.svg`);
} finally {
  gpu.destroy();
}
