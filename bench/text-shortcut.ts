/**
 * The text towers' exact shortcuts (npm run bench:text-shortcut): median ms of the full
 * 77-position forward, of the causal prefix forward (causal towers), and of that with the last
 * layer computing only the pooled row ("pooled tail"), for prompts of 5, 16 and 77 tokens, batch 1
 * and 8, random weights of the real shapes, with the largest |Δ| against the full run. The forms
 * run call by call in turn, so host drift does not favour one.
 *   --models=mobileclip_b,MobileCLIP2-B,mobileclip_s2,MobileCLIP2-S4  --repeats=5
 */
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import type { Tensor } from '../src/runtime/tensor.js';
import { median } from '../src/bench/run-models.js';
import { printTable } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const repeats = Number(arg('repeats', '5'));
const gpu = await createGpu();
console.log(`adapter: ${describeGpu(gpu)}`);

/**
 * Median ms and first output of each form, run call by call in turn (after two warm calls each),
 * so a drifting host slows every form alike.
 */
async function timedTogether(forms: (() => Tensor)[]): Promise<{ ms: number; out: Float32Array }[]> {
  const once = async (run: () => Tensor) => {
    const t0 = performance.now();
    const y = run();
    const out = await y.readFloat();
    y.dispose();
    return { ms: performance.now() - t0, out };
  };
  for (const run of forms) for (let i = 0; i < 2; i++) await once(run);
  const runs = forms.map(() => [] as { ms: number; out: Float32Array }[]);
  for (let i = 0; i < repeats; i++) for (const [f, run] of forms.entries()) runs[f].push(await once(run));
  return runs.map((r) => ({ ms: median(r.map((x) => x.ms)), out: r[0].out }));
}

const rows: Record<string, string | number>[] = [];
try {
  for (const name of arg('models', 'mobileclip_b,MobileCLIP2-B,mobileclip_s2,MobileCLIP2-S4').split(',')) {
    const spec = modelSpec(name);
    const { store, text } = loadModel(gpu, { ...spec, image: null }, 'synthetic');
    try {
      const ctx = spec.text.contextLength;
      for (const tokens of [5, 16, 77]) {
        for (const batch of [1, 8]) {
          const ids = new Int32Array(batch * ctx);
          for (let r = 0; r < batch; r++) {
            for (let i = 0; i < tokens - 1; i++) ids[r * ctx + i] = i === 0 ? 49406 : 320 + i;
            ids[r * ctx + tokens - 1] = 49407; // end of text: the largest id, the pooled position
          }
          // A non-causal tower, or 77 tokens, leaves no position to skip: the prefix is the whole context.
          const head = text!.causalHead(ids, batch) ?? { ids, length: ctx };
          const p = head.length;
          const fullIds = text!.uploadIds(ids, [batch, ctx]);
          const headIds = gpu.upload(head.ids, [batch, p], 'i32');
          const prefix = p < ctx;
          const forms = [
            () => text!.forwardIds(fullIds),
            () => text!.forwardIds(prefix ? headIds : fullIds, undefined, { prefix, pooledTail: true }),
            ...(prefix ? [() => text!.forwardIds(headIds, undefined, { prefix })] : []),
          ];
          const [full, tail, short = full] = await timedTogether(forms);
          fullIds.dispose();
          headIds.dispose();
          const diff = (o: Float32Array) => full.out.reduce((m, v, i) => Math.max(m, Math.abs(v - o[i])), 0).toExponential(1);
          const ms = (x: number) => Math.round(x * 10) / 10;
          rows.push({
            model: spec.name,
            causal: spec.text.causal ? 'yes' : 'no',
            'prompt tokens': tokens,
            batch,
            positions: p,
            'full ms': ms(full.ms),
            'prefix ms': prefix ? ms(short.ms) : '–',
            'prefix + pooled tail ms': ms(tail.ms),
            speedup: `${(full.ms / tail.ms).toFixed(2)}×`,
            'max|Δ| prefix': prefix ? diff(short.out) : '–',
            'max|Δ| + tail': diff(tail.out),
          });
          console.error(`  ${spec.name} ${tokens} tokens × ${batch}: ${full.ms.toFixed(1)} → ${short.ms.toFixed(1)} → ${tail.ms.toFixed(1)} ms`);
        }
      }
    } finally {
      store.dispose();
    }
  }
  printTable(rows);
} finally {
  gpu.destroy();
}
