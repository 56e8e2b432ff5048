/**
 * Where the time goes in one forward (npm run bench:profile -- --model=mobileclip_s0 --tower=image --batch=1):
 * GPU time per kernel from timestamp queries, as a share of the forward. With --cold, the first
 * forward (driver compiles included).
 */
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { describePolicy } from '../src/backends/webgpu/policy.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import { printTable, tuningFromArgs } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const spec = modelSpec(arg('model', 'mobileclip_s0'));
const tower = arg('tower', 'image');
const batch = Number(arg('batch', '1'));
const gpu = await createGpu();
tuningFromArgs(gpu, arg);
console.log(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
const { store, image, text } = loadModel(gpu, { ...spec, image: tower === 'image' ? spec.image : null, text: tower === 'image' ? null : spec.text }, 'synthetic');
try {
  let run: () => import('../src/runtime/tensor.js').Tensor;
  if (image) {
    const m = image;
    const [h, w] = spec.imageSize;
    const x = gpu.upload(new Float32Array(batch * 3 * h * w).fill(0.5), [batch, 3, h, w]);
    run = () => m.forward(x);
  } else {
    const m = text!;
    const ids = new Int32Array(batch * 77);
    ids[0] = 49406;
    ids[5] = 49407;
    run = () => m.forward(ids, [batch, 77]);
  }
  // --cold: no warm-up, so on drivers that compile at first dispatch (lavapipe) each kernel's
  // first row includes its compile time (run with MESA_SHADER_CACHE_DISABLE=true for a cold cache).
  if (!process.argv.includes('--cold')) (await run().read(), undefined);
  gpu.startProfile();
  const y = run();
  const prof = await gpu.endProfile();
  y.dispose();
  const total = prof.reduce((a, p) => a + p.ms, 0);
  printTable(prof.map((p) => ({ kernel: p.label, dispatches: p.count, 'GPU ms': Math.round(p.ms * 10) / 10, share: `${((100 * p.ms) / total).toFixed(1)}%` })));
  console.log(`\ntotal GPU time ${total.toFixed(1)} ms over ${prof.reduce((a, p) => a + p.count, 0)} dispatches (${spec.name} ${tower}, batch ${batch})`);
} finally {
  store.dispose();
  gpu.destroy();
}
