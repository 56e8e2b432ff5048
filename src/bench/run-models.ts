/**
 * Model benchmarks with random weights of the real shapes (no checkpoint needed), shared by
 * `npm run bench:models` and `mobileclip bench`. Cold = first forward including pipeline
 * compilation; warm = median of repeated forwards after two untimed ones, each one submission plus
 * the readback.
 */
import type { Gpu } from '../backends/webgpu/gpu.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import { modelSpec } from '../models/model-specs.js';
import { loadModel } from '../models/load.js';

import { linear } from '../ops/index.js';
import type { StorageDType } from '../runtime/dtype.js';

export interface BenchRow {
  model: string;
  tower: 'image' | 'text' | 'image (plan)' | 'text (plan)';
  batch: number;
  dtype: StorageDType;
  coldMs: number;
  warmMs: number[];
  medianMs: number;
  itemsPerSecond: number;
  /** Counted FLOPs of one forward (GEMMs, convs, attention) over the warm median. */
  gflops: number;
  /** gflops as a share of the GEMM peak measured at the start of the run. */
  gemmPeakShare: number;
  peakBytes: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * A cold run, two untimed ones (the readback's wait heuristic learns from the second on), then
 * `repeats` timed ones. Each run records `launches` forwards into one submission and reads the
 * last; times are per forward. `flops`: the FLOPs one forward's kernels count (eager runs only).
 */
async function time(gpu: Backend, run: () => Tensor, repeats: number, opts: { disposeOutput?: boolean; launches?: number } = {}): Promise<{ cold: number; warm: number[]; flops: number }> {
  const launches = opts.launches ?? 1;
  const dispose = opts.disposeOutput ?? true;
  let flops = -1;
  const once = async () => {
    const t0 = performance.now();
    let y!: Tensor;
    for (let i = 0; i < launches; i++) {
      if (i > 0 && dispose) y.dispose();
      const before = gpu.counters().flops;
      y = run();
      if (flops < 0) flops = gpu.counters().flops - before;
    }
    await y.read();
    if (dispose) y.dispose();
    return (performance.now() - t0) / launches;
  };
  const cold = await once();
  await once();
  await once();
  const warm: number[] = [];
  for (let i = 0; i < repeats; i++) warm.push(await once());
  return { cold, warm, flops };
}

export interface ModelBenchOptions {
  models: string[];
  towers: ('image' | 'text')[];
  imageBatches: number[];
  textBatches: number[];
  repeats: number;
  /** Also time forwards recorded once as an ExecutionPlan and replayed. */
  plans?: boolean;
  /** Storage types to run (default f32 only). */
  dtypes?: StorageDType[];
  onRow?: (row: BenchRow) => void;
  /** Runs each step of the bench (the reference GEMMs, each row); the CLI wraps them in progress lines. */
  step?: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

/** The reference GEMMs: the text MLP's shape at batch 13, and a large one (ViT-L's MLP at batch 8). */
const PEAK_SHAPES: [number, number, number, number][] = [
  [1024, 2048, 512, 8],
  [2048, 4096, 1024, 2],
];

/**
 * The GEMM rate the rows are compared with: the best median GFLOP/s of the reference linear layers
 * on this adapter, each after its own compile and two untimed runs, several launches per
 * submission so the readback does not count.
 */
export async function measureGemmPeak(gpu: Backend, repeats = 5): Promise<number> {
  let best = 0;
  for (const [M, N, K, launches] of PEAK_SHAPES) {
    const x = gpu.upload(new Float32Array(M * K).fill(0.01), [M, K]);
    const w = gpu.upload(new Float32Array(N * K).fill(0.01), [N, K]);
    const t = await time(gpu, () => linear(x, w), repeats, { launches });
    x.dispose();
    w.dispose();
    best = Math.max(best, (2 * M * N * K) / (median(t.warm) / 1000) / 1e9);
  }
  return best;
}

/** What the rows' "% GEMM peak" is relative to: the reference GEMMs measured before and after the rows. */
export interface GemmPeak {
  /** The best of all measurements (GFLOP/s): the rows' denominator. */
  gflops: number;
  /** Before the rows (pipelines of the models not yet compiled: the adapter may still be compiling in the background). */
  before: number;
  /** After the rows, every pipeline compiled. */
  after: number;
}

export async function runModelBench(gpu: Backend, o: ModelBenchOptions): Promise<{ rows: BenchRow[]; gemmPeak: GemmPeak }> {
  const rows: BenchRow[] = [];
  const step = o.step ?? ((_label, work) => work());
  const before = await step('timing the reference GEMMs', () => measureGemmPeak(gpu));
  const row = (r: Omit<BenchRow, 'medianMs' | 'itemsPerSecond' | 'gflops' | 'gemmPeakShare'>, flops: number): BenchRow => {
    const ms = median(r.warmMs);
    const gflops = flops / (ms / 1000) / 1e9;
    // The share is filled in once the peak is measured again after the rows.
    const full: BenchRow = { ...r, medianMs: ms, itemsPerSecond: (1000 * r.batch) / ms, gflops, gemmPeakShare: NaN };
    rows.push(full);
    o.onRow?.(full);
    return full;
  };
  for (const dtype of o.dtypes ?? ['f32']) {
    for (const name of o.models) {
      const spec = modelSpec(name);
      const { store, image, text } = loadModel(gpu, { ...spec, image: o.towers.includes('image') ? spec.image : null, text: o.towers.includes('text') ? spec.text : null }, 'synthetic', { dtype });
      /** Times `forward` eagerly and, with `plans`, recorded once and replayed. */
      const bench = (tower: 'image' | 'text', batch: number, forward: () => Tensor) => step(`timing ${spec.name} ${tower} batch ${batch} ${dtype}`, async () => {
        gpu.resetPeak();
        const t = await time(gpu, forward, o.repeats);
        row({ model: spec.name, tower, batch, dtype, coldMs: t.cold, warmMs: t.warm, peakBytes: gpu.counters().peakBytes }, t.flops);
        if (!o.plans || gpu.kind !== 'webgpu') return;
        // The same forward recorded once and replayed: no per-run kernel setup on the CPU.
        const { plan, result: y } = (gpu as Gpu).capture(forward);
        const tp = await time(gpu, () => (plan.run(), y), o.repeats, { disposeOutput: false });
        row({ model: spec.name, tower: `${tower} (plan)`, batch, dtype, coldMs: tp.cold, warmMs: tp.warm, peakBytes: plan.activationBytes }, t.flops);
        plan.dispose();
        y.dispose();
      });
      try {
        if (image) {
          const [h, w] = spec.imageSize;
          for (const b of o.imageBatches) {
            const input = gpu.upload(new Float32Array(b * 3 * h * w).fill(0.5), [b, 3, h, w]);
            await bench('image', b, () => image.forward(input));
            input.dispose();
          }
        }
        if (text) {
          for (const b of o.textBatches) {
            const ids = new Int32Array(b * 77);
            for (let i = 0; i < b; i++) ids.set([49406, 320, 1125, 539, 320, 1929, 269, 49407], i * 77);
            const idsOnGpu = text.uploadIds(ids, [b, 77]);
            await bench('text', b, () => text.forwardIds(idsOnGpu));
            idsOnGpu.dispose();
          }
        }
      } finally {
        store.dispose();
      }
    }
  }
  const after = await step('timing the reference GEMMs again', () => measureGemmPeak(gpu));
  const gemmPeak = { gflops: Math.max(before, after), before, after };
  for (const r of rows) r.gemmPeakShare = r.gflops / gemmPeak.gflops;
  return { rows, gemmPeak };
}

/**
 * The line under a table whose rows beat the reference GEMMs (a share over 100 %), saying why it
 * can happen; null when none does.
 */
export function peakFootnote(rows: BenchRow[]): string | null {
  const over = rows.filter((r) => r.gemmPeakShare > 1);
  if (!over.length) return null;
  return `* ${over.length} row${over.length > 1 ? 's run' : ' runs'} above the reference GEMMs' rate: their convolutions and GEMMs have shapes (or kernel variants) this adapter runs faster than the two reference linear layers; the share compares, it is not a bound.`;
}

export function benchTable(rows: BenchRow[]): Record<string, string | number>[] {
  return rows.map((r) => ({
    model: r.model,
    tower: r.tower,
    batch: r.batch,
    dtype: r.dtype,
    'cold ms': Math.round(r.coldMs),
    'warm median ms': Math.round(r.medianMs * 10) / 10,
    'items/s': Math.round(r.itemsPerSecond * 100) / 100,
    'GFLOP/s': Math.round(r.gflops * 100) / 100,
    '% GEMM peak': r.gemmPeakShare > 1 ? `${Math.round(r.gemmPeakShare * 1000) / 10}*` : Math.round(r.gemmPeakShare * 1000) / 10,
    'peak MiB (incl. weights)': Math.round(r.peakBytes / 2 ** 20),
  }));
}
