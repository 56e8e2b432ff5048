/**
 * The CPU backend against WebGPU on this machine, in one run, interleaved (npm run bench:backends):
 *   --cells=s0:image:1,s0:text:1  --repeats=3  [--one-thread]  [--out=bench/results/backends]
 * Each cell loads the model's towers with random weights of the real shapes on both backends (WebGPU
 * runs the forward as the API does: recorded once as an execution plan and replayed), runs one
 * untimed forward on each (WebGPU compiles its kernels there; the CPU packs its weights),
 * then alternates timed forwards CPU, WebGPU, CPU, … so machine drift hits both alike. Reports the
 * medians, the ratio (WebGPU time / CPU time: > 1 means the CPU backend is faster) and the CPU
 * backend's peak tensor bytes; writes <out>.json. The backend-choice rule (src/api/backend-choice.ts)
 * is read off this table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import type { Backend } from '../src/runtime/backend.js';
import type { Gpu } from '../src/backends/webgpu/gpu.js';
import type { Tensor } from '../src/runtime/tensor.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import { median, printTable } from './harness.js';
import { startCpuThreads } from '../src/backends/cpu/threads.node.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const ALIASES: Record<string, string> = { s0: 'mobileclip_s0', s1: 'mobileclip_s1', s2: 'mobileclip_s2', b: 'mobileclip_b', s4: 'MobileCLIP2-S4' };
const cells = arg('cells', 's0:image:1,s0:text:1').split(',').map((c) => {
  const [m, tower, batch] = c.split(':');
  if (tower !== 'image' && tower !== 'text') throw new Error(`cell ${c}: the tower is image or text`);
  return { model: ALIASES[m] ?? m, tower, batch: Number(batch) } as const;
});
const repeats = Number(arg('repeats', '3'));

/** A forward of `tower` at `batch` on `backend`, random weights, returning a function that runs and reads it. */
function prepare(backend: Backend, name: string, tower: 'image' | 'text', batch: number): { run: () => Promise<void>; dispose: () => void } {
  const spec = modelSpec(name);
  const { store, image, text } = loadModel(backend, { ...spec, image: tower === 'image' ? spec.image : null, text: tower === 'text' ? spec.text : null }, 'synthetic');
  const [h, w] = spec.imageSize;
  const len = spec.text.contextLength;
  const ids = Int32Array.from({ length: batch * len }, (_, i) => (i % len === 0 ? 49406 : i % len === 9 ? 49407 : i % len < 9 ? 320 + (i % 97) : 0));
  const input: Tensor = tower === 'image' ? backend.upload(new Float32Array(batch * 3 * h * w).fill(0.5), [batch, 3, h, w]) : backend.upload(ids, [batch, len], 'i32');
  const forward = () => backend.scope(() => (tower === 'image' ? image!.forward(input) : text!.forwardIds(input)));
  if (backend.kind === 'webgpu') {
    // As the API runs it: recorded once as an execution plan, replayed (no per-run recording on the CPU).
    const { plan, result } = (backend as Gpu).capture(forward);
    return {
      run: async () => {
        plan.run();
        await result.read();
      },
      dispose: () => {
        plan.dispose();
        result.dispose();
        input.dispose();
        store.dispose();
      },
    };
  }
  return {
    run: async () => {
      const y = forward();
      await y.read();
      y.dispose();
    },
    dispose: () => {
      input.dispose();
      store.dispose();
    },
  };
}

if (!process.argv.includes('--one-thread')) await startCpuThreads();
const gpu = await createGpu();
const cpu = new CpuBackend();
const adapter = describeGpu(gpu);
console.log(`WebGPU: ${adapter}\nCPU: ${cpu.description}`);
const rows: Record<string, string | number>[] = [];
const results = [];
try {
  for (const c of cells) {
    const on = { cpu: prepare(cpu, c.model, c.tower, c.batch), webgpu: prepare(gpu, c.model, c.tower, c.batch) };
    const cold = { cpu: 0, webgpu: 0 };
    for (const k of ['cpu', 'webgpu'] as const) {
      const t0 = performance.now();
      await on[k].run();
      cold[k] = performance.now() - t0;
    }
    const times: { cpu: number[]; webgpu: number[] } = { cpu: [], webgpu: [] };
    for (let r = 0; r < repeats; r++) {
      for (const k of ['cpu', 'webgpu'] as const) {
        const t0 = performance.now();
        await on[k].run();
        times[k].push(performance.now() - t0);
      }
    }
    const m = { cpu: median(times.cpu), webgpu: median(times.webgpu) };
    const ratio = m.webgpu / m.cpu;
    const cell = `${c.model} ${c.tower} b${c.batch}`;
    console.error(`  ${cell}: CPU ${m.cpu.toFixed(0)} ms, WebGPU ${m.webgpu.toFixed(0)} ms`);
    rows.push({ cell, 'CPU ms': m.cpu.toFixed(0), 'WebGPU ms': m.webgpu.toFixed(0), 'WebGPU/CPU': ratio.toFixed(2), 'CPU first ms': cold.cpu.toFixed(0), 'WebGPU first ms': cold.webgpu.toFixed(0), 'CPU peak MB': (cpu.memory.peakBytes / 1e6).toFixed(0) });
    results.push({ ...c, cpuMs: times.cpu, webgpuMs: times.webgpu, cpuMedianMs: m.cpu, webgpuMedianMs: m.webgpu, ratio, coldMs: cold, cpuPeakBytes: cpu.memory.peakBytes });
    on.cpu.dispose();
    on.webgpu.dispose();
    cpu.memory.peakBytes = cpu.memory.liveBytes;
  }
  printTable(rows);
  const out = arg('out', 'bench/results/backends');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ webgpu: adapter, cpu: cpu.description, date: new Date().toISOString(), repeats, results }, null, 2));
  console.log(`\nJSON: ${out}.json`);
} finally {
  gpu.destroy();
  cpu.destroy();
}
