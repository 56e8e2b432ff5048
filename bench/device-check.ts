/**
 * The device run's S0 check (bundled into .device/check.js by bench/device-prepare.sh): full-size
 * S0 with seeded random weights, one fixed image and one fixed text through both towers.
 *   node check.js reference OUT.json   (here, on lavapipe: the reference embeddings)
 *   node check.js compare REF.json OUT.json   (there: the same run, compared; exit 1 if off)
 * The full S0 fixture (108 MB) is too big to travel; these weights need no file. Bound: the
 * fixtures' 1e-4·max|ref| (float32 noise across two adapters' reduction orders), cosine ≥ 1 − 1e-6,
 * measured by the parity command's own comparison.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import { compareTensor } from '../src/parity/compare.js';

const [mode, a, b] = process.argv.slice(2);
if (mode !== 'reference' && mode !== 'compare') throw new Error('usage: check.js reference OUT.json | compare REF.json OUT.json');
const gpu = await createGpu();
const spec = modelSpec('mobileclip_s0');
const { store, clip } = loadModel(gpu, spec, 'synthetic', { seed: 7 });
const [h, w] = spec.imageSize;
const x = gpu.upload(Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 7919) % 256) / 255), [1, 3, h, w]);
const ids = new Int32Array(77);
ids.set([49406, 320, 1125, 539, 320, 2368, 49407]);
const img = clip!.encodeImage(x, { normalize: true });
const txt = clip!.encodeText(ids, [1, 77], { normalize: true });
const got = { image: Array.from(await img.readFloat()), text: Array.from(await txt.readFloat()) };
const adapter = describeGpu(gpu);
store.dispose();
gpu.destroy();

if (mode === 'reference') {
  writeFileSync(a, JSON.stringify({ adapter, ...got }));
} else {
  const ref = JSON.parse(readFileSync(a, 'utf8')) as { adapter: string; image: number[]; text: number[] };
  const rows = (['image', 'text'] as const).map((k) => {
    const t = compareTensor(k, [1, ref[k].length], Float32Array.from(got[k]), Float32Array.from(ref[k]), 1e-4, 1);
    const cosine = t.minCosine ?? NaN;
    return { tower: k, maxAbs: t.maxAbs, rel: t.rel, cosine, ok: t.ok && cosine >= 1 - 1e-6 };
  });
  writeFileSync(b, JSON.stringify({ adapter, reference: ref.adapter, rows }, null, 1));
  for (const r of rows) console.log(`S0 ${r.tower} (seeded weights) vs ${ref.adapter.split(':')[0]}: max|Δ| ${r.maxAbs.toExponential(2)} rel ${r.rel.toExponential(2)} cosine ${r.cosine.toFixed(9)} ${r.ok ? 'ok' : 'FAIL'}`);
  if (!rows.every((r) => r.ok)) process.exitCode = 1;
}
