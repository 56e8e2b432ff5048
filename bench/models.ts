/**
 * Model benchmarks with random weights of the real shapes (no checkpoint needed):
 * `npm run bench:models [-- --only=s0-image] [--batches=1,8]`. Cold = first forward including
 * pipeline compilation; warm = median of repeated forwards (each one submission + readback).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createGpu } from '../src/gpu/node.js';
import { describeGpu } from '../src/gpu/device.js';
import { WeightStore } from '../src/layers/weights.js';
import { MCi } from '../src/models/mci.js';
import { MCI_CONFIGS } from '../src/models/mci-config.js';
import { TextTransformer } from '../src/models/text-transformer.js';
import { TEXT_CONFIGS } from '../src/models/text-config.js';
import { median, printTable } from './harness.js';

// GFLOP per item (2 × multiply-adds) of MobileCLIP-S0's towers, as the performance issue states them.
const GFLOP: Record<string, number> = { 's0-image': 4.77, 's0-text': 2.64 };

async function main(): Promise<void> {
  const batches = (process.argv.find((a) => a.startsWith('--batches='))?.slice(10) ?? '1,8').split(',').map(Number);
  const textBatches = (process.argv.find((a) => a.startsWith('--text-batches='))?.slice(15) ?? '1,32').split(',').map(Number);
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const repeats = Number(process.argv.find((a) => a.startsWith('--repeats='))?.slice(10) ?? 5);
  const gpu = await createGpu();
  console.log(`adapter: ${describeGpu(gpu)}`);
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown>[] = [];
  try {
    const store = WeightStore.synthetic(gpu);
    const model = new MCi(store, { fastvit: MCI_CONFIGS.mci0, embedDim: 512, imageSize: 256 });
    for (const b of only && only !== 's0-image' ? [] : batches) {
      const input = gpu.upload(new Float32Array(b * 3 * 256 * 256).fill(0.5), [b, 3, 256, 256]);
      gpu.buffers.resetPeak();
      const run = async () => {
        const t0 = performance.now();
        const y = model.forward(input);
        await y.read();
        y.dispose();
        return performance.now() - t0;
      };
      const cold = await run();
      const warm: number[] = [];
      for (let i = 0; i < repeats; i++) warm.push(await run());
      const ms = median(warm);
      const gflops = (GFLOP['s0-image'] * b) / (ms / 1000);
      const peak = gpu.buffers.stats.peakBytes;
      rows.push({ model: 'S0 image (MCi0, 256²)', batch: b, 'cold ms': cold, 'warm median ms': ms, 'items/s': `${((1000 * b) / ms).toPrecision(4)} images/s`, 'GFLOP/s': gflops, 'peak MiB': peak / 2 ** 20 });
      results.push({ model: 's0-image', batch: b, coldMs: cold, warmMs: warm, medianMs: ms, gflops, peakBytes: peak });
      input.dispose();
    }
    const text = new TextTransformer(store, TEXT_CONFIGS.s0);
    for (const b of only && only !== 's0-text' ? [] : textBatches) {
      // Realistic rows: SOT, a short caption, EOT, zero padding to 77.
      const ids = new Int32Array(b * 77);
      for (let i = 0; i < b; i++) ids.set([49406, 320, 1125, 539, 320, 1929, 269, 49407], i * 77);
      gpu.buffers.resetPeak();
      const run = async () => {
        const t0 = performance.now();
        const y = text.forward(ids, [b, 77]);
        await y.read();
        y.dispose();
        return performance.now() - t0;
      };
      const cold = await run();
      const warm: number[] = [];
      for (let i = 0; i < repeats; i++) warm.push(await run());
      const ms = median(warm);
      const gflops = (GFLOP['s0-text'] * b) / (ms / 1000);
      const peak = gpu.buffers.stats.peakBytes;
      rows.push({ model: 'S0 text (mct, 77 tokens)', batch: b, 'cold ms': cold, 'warm median ms': ms, 'items/s': `${((1000 * b) / ms).toPrecision(4)} texts/s`, 'GFLOP/s': gflops, 'peak MiB': peak / 2 ** 20 });
      results.push({ model: 's0-text', batch: b, coldMs: cold, warmMs: warm, medianMs: ms, gflops, peakBytes: peak });
    }
    store.dispose();
  } finally {
    gpu.destroy();
  }
  printTable(rows);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/models.json', JSON.stringify({ adapter: describeGpu(gpu), date: new Date().toISOString(), results }, null, 2));
  console.log('\nJSON: bench/results/models.json');
}

await main();
