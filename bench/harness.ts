/**
 * Timing helpers shared by the benchmarks: warm-up first (compiles every pipeline), then repeated
 * timed runs, each recording `iters` launches into one submission; the median per launch is reported.
 */
import type { Gpu } from '../src/backends/webgpu/gpu.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  iters: number;
  repeats: number;
}

export { median } from '../src/bench/run-models.js';
import { median } from '../src/bench/run-models.js';
import { formatTable, type TableRow } from '../src/bench/table.js';

/** `run` records one launch (and disposes what it made); it must not read back. */
export async function timeGpu(gpu: Gpu, run: () => void, opts: { repeats?: number; targetMs?: number } = {}): Promise<Timing> {
  const repeats = opts.repeats ?? 7;
  const targetMs = opts.targetMs ?? 150;
  run();
  await gpu.sync(); // warm-up: compiles
  let t0 = performance.now();
  run();
  await gpu.sync();
  const single = Math.max(performance.now() - t0, 0.01);
  const iters = Math.max(1, Math.min(500, Math.ceil(targetMs / single)));
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    t0 = performance.now();
    for (let i = 0; i < iters; i++) run();
    await gpu.sync();
    samples.push((performance.now() - t0) / iters);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), iters, repeats };
}

export function printTable(rows: TableRow[]): void {
  if (rows.length) console.log(formatTable(rows));
}

/** `--off=depthwiseTiles,…` / `--on=runtimeEpilogue,…`: those kernel choices of gpu.tuning set, to compare paths. */
export function setTuning(gpu: Gpu, list: string, value: boolean): void {
  const tuning = gpu.tuning as unknown as Record<string, unknown>;
  for (const k of list.split(',').filter(Boolean)) {
    if (typeof tuning[k] !== 'boolean') throw new Error(`--${value ? 'on' : 'off'}: no boolean gpu.tuning.${k} (${Object.keys(tuning).join(', ')})`);
    tuning[k] = value;
  }
}

/** The `--off=…` and `--on=…` options of a bench. */
export function tuningFromArgs(gpu: Gpu, arg: (k: string, d: string) => string | undefined): void {
  setTuning(gpu, arg('off', '') ?? '', false);
  setTuning(gpu, arg('on', '') ?? '', true);
}
