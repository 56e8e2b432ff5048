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

export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
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
