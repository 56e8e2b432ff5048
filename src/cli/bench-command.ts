/** `mobileclip bench`: model timings with random weights of the real shapes (no checkpoint needed). */
import { createBackend } from '../api/node.js';
import { checkDevice } from '../api/backend-choice.js';
import type { Gpu } from '../backends/webgpu/gpu.js';
import type { Backend } from '../runtime/backend.js';
import { describeGpu } from '../backends/webgpu/device.js';
import { describePolicy } from '../backends/webgpu/policy.js';
import { benchTable, peakFootnote, runModelBench } from '../bench/run-models.js';
import { modelSpec } from '../models/model-specs.js';
import { type Args, type CommandSpec, option, parsedOption, UsageError } from './args.js';
import type { StorageDType } from '../runtime/dtype.js';
import { formatTable } from '../bench/table.js';
import { checkOutputPath, writeFileAtomic } from '../io/write-output.js';
import { Progress } from './progress.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  synopsis: '[--device auto|webgpu|cpu] [--models s0,b] [--towers image,text] [--image-batches 1,8] [--text-batches 1,32] [--dtypes f32,f16] [--repeats N] [--json] [--out FILE.json]',
  summary: 'Timings of the towers with random weights of the real shapes (no checkpoint needed) on the backend in use: cold and warm medians, GFLOP/s, peak tensor memory.',
  positionals: { min: 0, max: 0 },
  options: {
    device: { type: 'string', value: 'auto|webgpu|cpu', help: 'where to run (default auto: WebGPU where there is an adapter, else the CPU)' },
    models: { type: 'string', value: 'LIST', help: 'model names, comma-separated (any of mobileclip list models; default s0)' },
    towers: { type: 'string', value: 'LIST', help: 'image and/or text (default both)' },
    'image-batches': { type: 'string', value: 'LIST', help: 'image batch sizes (default 1)' },
    'text-batches': { type: 'string', value: 'LIST', help: 'text batch sizes (default 1)' },
    dtypes: { type: 'string', value: 'LIST', help: 'f32 and/or f16 (default f32)' },
    repeats: { type: 'string', value: 'N', help: 'timed runs per row (default 3)' },
    json: { type: 'boolean', help: 'the result as JSON on stdout (instead of the table)' },
    out: { type: 'string', value: 'FILE.json', help: 'also write the result as JSON to FILE (the table still prints)' },
  },
};

export async function bench(a: Args): Promise<void> {
  const get = (k: string, d: string) => option(a, k) ?? d;
  const models = get('models', 'mobileclip_s0').split(',');
  for (const m of models) {
    try {
      modelSpec(m);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const nums = (s: string) => s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`batch sizes must be positive integers, got ${x}`);
    return n;
  });
  const dtypes = get('dtypes', 'f32').split(',');
  for (const d of dtypes) if (d !== 'f32' && d !== 'f16') throw new UsageError(`--dtypes takes f32 and/or f16, got ${d}`);
  const towers = get('towers', 'image,text').split(',');
  for (const t of towers) if (t !== 'image' && t !== 'text') throw new UsageError(`--towers takes image and/or text, got ${t}`);
  const repeats = Number(get('repeats', '3'));
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats must be a positive integer, got ${get('repeats', '3')}`);
  const imageBatches = nums(get('image-batches', '1'));
  const textBatches = nums(get('text-batches', '1'));
  const device = parsedOption(a, 'device', (v) => checkDevice(v, '--device'));
  const out = option(a, 'out');
  if (out !== undefined) {
    if (!out.endsWith('.json')) throw new UsageError(`--out writes JSON: give a file ending in .json, got ${out}`);
    checkOutputPath(out, []);
  }
  const progress = Progress.for(a);
  const gpu = await createBackend(device, (line) => progress.notice(line));
  try {
    if (dtypes.includes('f16') && !gpu.f16Storage) throw new UsageError(`--dtypes f16 needs f16 storage, which ${gpu.description} lacks`);
    const json = a.flags.has('json');
    if (!json) console.log(`backend: ${describeBackend(gpu)}`);
    const { rows, gemmPeak } = await runModelBench(gpu, {
      models,
      towers: towers as ('image' | 'text')[],
      imageBatches,
      textBatches,
      repeats,
      dtypes: dtypes as StorageDType[],
      step: (label, work) => progress.phase(label, work),
    });
    const result = { backend: gpu.kind, adapter: describeBackend(gpu), policy: gpu.kind === 'webgpu' ? describePolicy((gpu as Gpu).policy) : null, gemmPeak, rows };
    if (out !== undefined) {
      await writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
      progress.notice(`wrote ${out}`);
    }
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(`GEMM peak: ${gemmPeak.gflops.toFixed(2)} GFLOP/s (reference linear layers, best of before the rows ${gemmPeak.before.toFixed(2)} and after ${gemmPeak.after.toFixed(2)})`);
      console.log(formatTable(benchTable(rows)));
      const note = peakFootnote(rows);
      if (note) console.log(note);
    }
  } finally {
    gpu.destroy();
  }
}

/** The backend in one line: WebGPU's adapter and kernel policy, or the CPU backend's kernels and threads. */
function describeBackend(b: Backend): string {
  if (b.kind !== 'webgpu') return `cpu, ${b.description}`;
  const gpu = b as Gpu;
  return `webgpu, ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`;
}
