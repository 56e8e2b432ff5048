/**
 * Model benchmarks with random weights of the real shapes (no checkpoint needed), shared by
 * `npm run bench:models` and `mobileclip bench`. Cold = first forward including pipeline
 * compilation; warm = median of repeated forwards after two untimed ones, each one submission plus
 * the readback.
 */
import type { Gpu } from '../gpu/gpu.js';
import { WeightStore } from '../layers/weights.js';
import { MODEL_SPECS, type ModelSpec } from '../api/model-specs.js';
import { MCi } from '../models/mci.js';
import { TextTransformer } from '../models/text-transformer.js';
import { VisionTransformer } from '../models/vit.js';

/** GFLOP per item (2 × multiply-adds): S0 figures as the performance issue gives them, others counted from the layers. */
export const GFLOP_PER_ITEM: Record<string, { image?: number; text?: number }> = { mobileclip_s0: { image: 4.77, text: 2.64 } };

export interface BenchRow {
  model: string;
  tower: 'image' | 'text' | 'image (plan)' | 'text (plan)';
  batch: number;
  coldMs: number;
  warmMs: number[];
  medianMs: number;
  itemsPerSecond: number;
  gflops: number | null;
  peakBytes: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function time(run: () => import('../gpu/tensor.js').Tensor, repeats: number, disposeOutput = true): Promise<{ cold: number; warm: number[] }> {
  const once = async () => {
    const t0 = performance.now();
    const y = run();
    await y.read();
    if (disposeOutput) y.dispose();
    return performance.now() - t0;
  };
  const cold = await once();
  // Two untimed runs: the readback's wait heuristic learns from the second run on.
  await once();
  await once();
  const warm: number[] = [];
  for (let i = 0; i < repeats; i++) warm.push(await once());
  return { cold, warm };
}

export interface ModelBenchOptions {
  models: string[];
  towers: ('image' | 'text')[];
  imageBatches: number[];
  textBatches: number[];
  repeats: number;
  /** Also time forwards recorded once as an ExecutionPlan and replayed. */
  plans?: boolean;
  onRow?: (row: BenchRow) => void;
}

export async function runModelBench(gpu: Gpu, o: ModelBenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of o.models) {
    const spec: ModelSpec | undefined = MODEL_SPECS[name];
    if (!spec) throw new Error(`bench: unknown model ${name}`);
    const store = WeightStore.synthetic(gpu);
    try {
      const flops = GFLOP_PER_ITEM[name] ?? {};
      if (o.towers.includes('image')) {
        const image = spec.image.kind === 'mci' ? new MCi(store, spec.image.cfg) : new VisionTransformer(store, spec.image.cfg);
        const s = spec.imageSize;
        for (const b of o.imageBatches) {
          const input = gpu.upload(new Float32Array(b * 3 * s * s).fill(0.5), [b, 3, s, s]);
          gpu.buffers.resetPeak();
          const t = await time(() => image.forward(input), o.repeats);
          input.dispose();
          const ms = median(t.warm);
          const row: BenchRow = { model: name, tower: 'image', batch: b, coldMs: t.cold, warmMs: t.warm, medianMs: ms, itemsPerSecond: (1000 * b) / ms, gflops: flops.image ? (flops.image * b) / (ms / 1000) : null, peakBytes: gpu.buffers.stats.peakBytes };
          rows.push(row);
          o.onRow?.(row);
          if (o.plans) {
            // The same forward recorded once and replayed: no per-run kernel setup on the CPU.
            const x = gpu.upload(new Float32Array(b * 3 * s * s).fill(0.5), [b, 3, s, s]);
            const { plan, result: y } = gpu.capture(() => image.forward(x));
            const tp = await time(() => (plan.run(), y), o.repeats, false);
            const pms = median(tp.warm);
            const prow: BenchRow = { model: name, tower: 'image (plan)', batch: b, coldMs: tp.cold, warmMs: tp.warm, medianMs: pms, itemsPerSecond: (1000 * b) / pms, gflops: flops.image ? (flops.image * b) / (pms / 1000) : null, peakBytes: plan.activationBytes };
            rows.push(prow);
            o.onRow?.(prow);
            plan.dispose();
            y.dispose();
            x.dispose();
          }
        }
      }
      if (o.towers.includes('text')) {
        const text = new TextTransformer(store, spec.text);
        for (const b of o.textBatches) {
          const ids = new Int32Array(b * 77);
          for (let i = 0; i < b; i++) ids.set([49406, 320, 1125, 539, 320, 1929, 269, 49407], i * 77);
          gpu.buffers.resetPeak();
          const t = await time(() => text.forward(ids, [b, 77]), o.repeats);
          const ms = median(t.warm);
          const row: BenchRow = { model: name, tower: 'text', batch: b, coldMs: t.cold, warmMs: t.warm, medianMs: ms, itemsPerSecond: (1000 * b) / ms, gflops: flops.text ? (flops.text * b) / (ms / 1000) : null, peakBytes: gpu.buffers.stats.peakBytes };
          rows.push(row);
          o.onRow?.(row);
          if (o.plans) {
            const idsOnGpu = text.uploadIds(ids, [b, 77]);
            const { plan, result: y } = gpu.capture(() => text.forwardIds(idsOnGpu));
            const tp = await time(() => (plan.run(), y), o.repeats, false);
            const pms = median(tp.warm);
            const prow: BenchRow = { model: name, tower: 'text (plan)', batch: b, coldMs: tp.cold, warmMs: tp.warm, medianMs: pms, itemsPerSecond: (1000 * b) / pms, gflops: flops.text ? (flops.text * b) / (pms / 1000) : null, peakBytes: plan.activationBytes };
            rows.push(prow);
            o.onRow?.(prow);
            plan.dispose();
            y.dispose();
            idsOnGpu.dispose();
          }
        }
      }
    } finally {
      store.dispose();
    }
  }
  return rows;
}

export function benchTable(rows: BenchRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    model: r.model,
    tower: r.tower,
    batch: r.batch,
    'cold ms': Math.round(r.coldMs),
    'warm median ms': Math.round(r.medianMs * 10) / 10,
    'items/s': Math.round(r.itemsPerSecond * 100) / 100,
    'GFLOP/s': r.gflops === null ? '-' : Math.round(r.gflops * 100) / 100,
    'peak MiB (incl. weights)': Math.round(r.peakBytes / 2 ** 20),
  }));
}
