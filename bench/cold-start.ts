/**
 * Cold start, as a user meets it: adapter, checkpoint load, model build, first image (and text)
 * embedding, each phase timed from process start (npm run bench:cold -- --weights=FILE [--vocab=FILE]
 * [--image=FILE] [--dtype=f16] [--breakdown] [--off=tuning,…] [--on=tuning,…]). On lavapipe, run with MESA_SHADER_CACHE_DISABLE=true to include
 * every kernel's compile, as on a machine that never ran the library.
 */
import { readFileSync } from 'node:fs';
import { createModelAndTransforms } from '../src/api/node.js';
import { describeGpu } from '../src/gpu/device.js';
import { describePolicy } from '../src/gpu/policy.js';
import { createGpu } from '../src/gpu/node.js';
import '../src/preprocess/jpeg-wasm.node.js';
import { tuningFromArgs } from './harness.js';

const t0 = performance.now();
const arg = (k: string, d?: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const weights = arg('weights', 'weights/mobileclip_s0.safetensors')!;
const vocab = arg('vocab');
const image = arg('image', '../shared/fixtures/preprocess/astronaut.png')!;
const dtype = arg('dtype', 'f32') as 'f32' | 'f16';
const phases: Record<string, number> = {};
const mark = (name: string) => (phases[name] = Math.round(performance.now() - t0));

const gpu = await createGpu();
tuningFromArgs(gpu, arg);
mark('adapter');
const { model, dispose } = await createModelAndTransforms(arg('model', 'mobileclip_s0')!, { weights, vocab, gpu, dtype });
mark('checkpoint loaded, model built');
// --breakdown: GPU time per kernel of the first image forward (timestamp queries). Drivers that
// compile at first dispatch (lavapipe) count each kernel's compile in its first row, so this says
// where a cold start goes; the profiling itself adds a little to the phase times.
const breakdown = process.argv.includes('--breakdown');
if (breakdown) gpu.startProfile();
await model.encodeImages([new Uint8Array(readFileSync(image))]);
const kernels = breakdown ? await gpu.endProfile() : [];
mark('first image embedding');
if (vocab) {
  await model.encodeTexts(['a photo of an astronaut']);
  mark('first text embedding');
}
console.log(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
console.log(`shader cache: ${process.env.MESA_SHADER_CACHE_DISABLE === 'true' ? 'disabled (every kernel compiles)' : 'as the machine has it'}; dtype ${dtype}`);
for (const [k, v] of Object.entries(phases)) console.log(`${String(v).padStart(7)} ms  ${k}`);
if (breakdown) {
  console.log('first image forward, GPU ms per kernel (compile included on first use):');
  for (const k of kernels.slice(0, 15)) console.log(`${k.ms.toFixed(0).padStart(7)} ms  ${k.label} (${k.count}×)`);
  console.log(`${kernels.reduce((a, k) => a + k.ms, 0).toFixed(0).padStart(7)} ms  in all, ${kernels.length} kernels`);
}
console.log(JSON.stringify({ weights, dtype, phasesMs: phases, ...(breakdown ? { kernelsMs: kernels } : {}) }));
dispose();
gpu.destroy();
