/**
 * Cold start, as a user meets it: modules, adapter, checkpoint load, model build, first image (and
 * text) embedding, each phase timed from process start (npm run bench:cold -- --weights=FILE
 * [--vocab=FILE] [--image=FILE] [--dtype=f16] [--warmup] [--precompile=image|text|both|none]
 * [--breakdown] [--json=FILE] [--off=tuning,…] [--on=tuning,…]). --warmup loads with
 * `warmup: true` (both towers' batch-1 forwards compiled before the model is returned);
 * --precompile picks the towers compiled ahead while the checkpoint loads (default: the
 * library's, 'image'). On lavapipe, run with MESA_SHADER_CACHE_DISABLE=true to include every kernel's
 * compile, as on a machine that never ran the library. Under tsx the "modules loaded" phase
 * includes transpiling the TypeScript sources, which an installed package does not pay.
 *
 * --breakdown times every dispatch of the first forwards (timestamp queries) and of a warm one
 * after: drivers that compile at first dispatch (lavapipe) put each kernel's compile in its first
 * use, so first − warm is the compile, per kernel (with --precompile=none: a kernel compiled ahead
 * shows no compile there). The profiling adds a little to the phases.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createModelAndTransforms } from '../src/api/node.js';
import { PRECOMPILE_TOWERS, type PrecompileTowers } from '../src/api/precompile.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { describePolicy } from '../src/backends/webgpu/policy.js';
import { createGpu } from '../src/backends/webgpu/node.js';
import type { KernelTime } from '../src/backends/webgpu/profiler.js';
import '../src/preprocess/jpeg-wasm.node.js';
import { printTable, tuningFromArgs } from './harness.js';

// performance.now() counts from the process's start (its time origin), not from this line.
const arg = (k: string, d?: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const weights = arg('weights', 'weights/mobileclip_s0.safetensors')!;
const vocab = arg('vocab');
const image = arg('image', '../shared/fixtures/preprocess/astronaut.png')!;
const dtype = arg('dtype', 'f32') as 'f32' | 'f16';
const breakdown = process.argv.includes('--breakdown');
const warmup = process.argv.includes('--warmup');
const precompile = arg('precompile') as PrecompileTowers | undefined;
if (precompile && !PRECOMPILE_TOWERS.includes(precompile)) throw new Error(`--precompile takes ${PRECOMPILE_TOWERS.join(', ')}, got ${precompile}`);
const phases: Record<string, number> = {};
const mark = (name: string) => (phases[name] = Math.round(performance.now()));
mark('modules loaded');

const gpu = await createGpu();
tuningFromArgs(gpu, arg);
mark('adapter');
const { model, dispose } = await createModelAndTransforms(arg('model', 'mobileclip_s0')!, { weights, vocab, gpu, dtype, warmup, precompile });
mark(warmup ? 'checkpoint loaded, model built, kernels compiled' : 'checkpoint loaded, model built');

/** Runs `f` profiled when --breakdown is given: its per-kernel GPU times, else none. */
async function profiled(f: () => Promise<unknown>): Promise<KernelTime[]> {
  if (breakdown) gpu.startProfile();
  await f();
  return breakdown ? gpu.endProfile() : [];
}
const imageBytes = new Uint8Array(readFileSync(image));
const encodeImage = () => model.encodeImages([imageBytes]);
const encodeText = () => model.encodeTexts(['a photo of an astronaut']);
const firstImage = await profiled(encodeImage);
mark('first image embedding');
const firstText = vocab ? await profiled(encodeText) : [];
if (vocab) mark('first text embedding');
const first = [...firstImage, ...firstText];
// A kernel's compile lands in the first forward that uses it: the text forward pays only for the
// kernels the image forward did not use.
const imageLabels = new Set(firstImage.map((k) => k.label));

console.log(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
console.log(`shader cache: ${process.env.MESA_SHADER_CACHE_DISABLE === 'true' ? 'disabled (every kernel compiles)' : 'as the machine has it'}; dtype ${dtype}`);
const marks = Object.entries(phases);
printTable(marks.map(([phase, at], i) => ({ phase, 'ms since process start': at, 'ms in phase': at - (i ? marks[i - 1][1] : 0) })));

let kernels: { label: string; firstUse: string; count: number; firstMs: number; warmMs: number; compileMs: number }[] = [];
if (breakdown) {
  const warm = [...(await profiled(encodeImage)), ...(vocab ? await profiled(encodeText) : [])];
  const warmMs = new Map<string, number>();
  for (const k of warm) warmMs.set(k.label, (warmMs.get(k.label) ?? 0) + k.ms);
  const firstMs = new Map<string, { ms: number; count: number }>();
  for (const k of first) {
    const e = firstMs.get(k.label) ?? { ms: 0, count: 0 };
    firstMs.set(k.label, { ms: e.ms + k.ms, count: e.count + k.count });
  }
  kernels = [...firstMs].map(([label, f]) => {
    const w = warmMs.get(label) ?? 0;
    return { label, firstUse: imageLabels.has(label) ? 'image' : 'text', count: f.count, firstMs: f.ms, warmMs: w, compileMs: Math.max(0, f.ms - w) };
  });
  kernels.sort((a, b) => b.compileMs - a.compileMs);
  console.log(`first forwards, GPU ms per kernel: first use (compile included), warm, and the difference (the compile):`);
  const r0 = (x: number) => Math.round(x);
  printTable(kernels.map((k) => ({ kernel: k.label, 'first used by': k.firstUse, dispatches: k.count, 'first ms': r0(k.firstMs), 'warm ms': Math.round(k.warmMs * 10) / 10, 'compile ms': r0(k.compileMs) })));
  const sum = (f: (k: (typeof kernels)[number]) => number) => r0(kernels.reduce((a, k) => a + f(k), 0));
  console.log(`${kernels.length} kernels: compile ${sum((k) => k.compileMs)} ms, warm GPU time ${sum((k) => k.warmMs)} ms`);
  for (const tower of ['image', 'text']) {
    const own = kernels.filter((k) => k.firstUse === tower);
    if (own.length) console.log(`  first used by the ${tower} forward: ${own.length} kernels, compile ${r0(own.reduce((a, k) => a + k.compileMs, 0))} ms`);
  }
}
const report = { adapter: describeGpu(gpu), policy: describePolicy(gpu.policy), weights, dtype, warmup, precompile: precompile ?? 'image', msSinceProcessStart: phases, ...(breakdown && { kernels }) };
const json = arg('json');
if (json) writeFileSync(json, JSON.stringify(report, null, 1));
else console.log(JSON.stringify(report));
dispose();
gpu.destroy();
