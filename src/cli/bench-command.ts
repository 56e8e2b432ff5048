/** `mobileclip bench`: model timings with random weights of the real shapes (no checkpoint needed). */
import { createGpu } from '../gpu/node.js';
import { describeGpu } from '../gpu/device.js';
import { benchTable, runModelBench } from '../bench/run-models.js';
import { MODEL_SPECS } from '../api/model-specs.js';
import { type Args, UsageError } from './args.js';

export async function bench(a: Args): Promise<void> {
  const get = (k: string, d: string) => {
    const v = a.flags.get(k);
    return typeof v === 'string' ? v : d;
  };
  const models = get('models', 'mobileclip_s0').split(',').map((m) => (m.startsWith('mobileclip_') ? m : `mobileclip_${m}`));
  for (const m of models) if (!MODEL_SPECS[m]) throw new UsageError(`unknown model ${m}`);
  const nums = (s: string) => s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`batch sizes must be positive integers, got ${x}`);
    return n;
  });
  const gpu = await createGpu();
  try {
    if (!a.flags.has('json')) console.log(`adapter: ${describeGpu(gpu)}`);
    const dtypes = get('dtypes', 'f32').split(',');
    for (const d of dtypes) if (d !== 'f32' && d !== 'f16') throw new UsageError(`--dtypes takes f32 and/or f16, got ${d}`);
    const { rows, gemmPeakGflops } = await runModelBench(gpu, {
      models,
      towers: get('towers', 'image,text').split(',') as ('image' | 'text')[],
      imageBatches: nums(get('image-batches', '1')),
      textBatches: nums(get('text-batches', '1')),
      repeats: Number(get('repeats', '3')),
      dtypes: dtypes as ('f32' | 'f16')[],
    });
    if (a.flags.has('json')) console.log(JSON.stringify({ adapter: describeGpu(gpu), gemmPeakGflops, rows }));
    else {
      console.log(`GEMM peak: ${gemmPeakGflops.toFixed(2)} GFLOP/s`);
      console.table(benchTable(rows));
    }
  } finally {
    gpu.destroy();
  }
}
