/**
 * Where a forward's time goes on the CPU backend, op by op (npm run bench:cpu-profile):
 *   --model=mobileclip_s0  --tower=image|text  --batch=1  --runs=10  [--one-thread]  [--out=bench/results/cpu-profile]
 * Random weights of the real shapes; three untimed forwards (packing, JIT), then `runs` timed ones.
 * Each backend op is timed where it is called (ops are synchronous on the CPU), grouped by op and
 * shape: ms per forward, calls per forward, GFLOP/s from the FLOPs the op counts, and its share of
 * the mean forward; what the ops leave out is the layers' own JavaScript. Writes <out>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.js';
import { cpuOps } from '../src/backends/cpu/ops.js';
import { startCpuThreads } from '../src/backends/cpu/threads.node.js';
import type { BackendOps } from '../src/runtime/backend-ops.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import { median, printTable } from './harness.js';
import { relaunchWithCliFlags } from './cli-v8-flags.js';

relaunchWithCliFlags();

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const model = arg('model', 'mobileclip_s0');
const tower = arg('tower', 'image');
if (tower !== 'image' && tower !== 'text') throw new Error('--tower is image or text');
const batch = Number(arg('batch', '1'));
const runs = Number(arg('runs', '10'));

/** Op name and the shapes that set its cost, as one row's key. */
function key(op: string, args: unknown[]): string {
  const shape = (t: unknown) => ((t as { shape?: number[] })?.shape ?? []).join('×');
  if (op === 'gemm') {
    const s = args[0] as { M: number; N: number; K: number; batch: number; label?: string };
    return `gemm ${s.label ?? ''} M${s.M} N${s.N} K${s.K}${s.batch > 1 ? ` ×${s.batch}` : ''}`;
  }
  if (op === 'conv2d') {
    const g = args[2] as { groups: number; cinPerGroup: number; kh: number; kw: number; stride: number[]; cin: number; cout: number; h: number; w: number };
    const kind = g.groups === 1 ? 'dense' : g.cinPerGroup === 1 ? 'depthwise' : 'grouped';
    return `conv2d ${kind} ${g.kh}×${g.kw} s${g.stride[0]} ${g.cin}→${g.cout} on ${g.h}×${g.w}`;
  }
  return `${op} ${shape(args[0])}`;
}

interface Row {
  ms: number;
  calls: number;
  flops: number;
}
const rows = new Map<string, Row>();
let timing = false;

/** The CPU backend with every op timed into `rows` while `timing`. */
class TimedCpuBackend extends CpuBackend {
  override readonly ops: BackendOps = Object.fromEntries(
    Object.entries(cpuOps).map(([name, f]) => [
      name,
      (...args: unknown[]) => {
        if (!timing) return (f as (...a: unknown[]) => unknown)(...args);
        const [t0, f0] = [performance.now(), this.flops];
        const out = (f as (...a: unknown[]) => unknown)(...args);
        const row = rows.get(key(name, args)) ?? { ms: 0, calls: 0, flops: 0 };
        row.ms += performance.now() - t0;
        row.calls++;
        row.flops += this.flops - f0;
        rows.set(key(name, args), row);
        return out;
      },
    ]),
  ) as unknown as BackendOps;
}

const threads = process.argv.includes('--one-thread') ? 1 : await startCpuThreads();
const cpu = new TimedCpuBackend();
const spec = modelSpec(model);
const { image, text } = loadModel(cpu, { ...spec, image: tower === 'image' ? spec.image : null, text: tower === 'text' ? spec.text : null }, 'synthetic');
const [h, w] = spec.imageSize;
const len = spec.text.contextLength;
const input =
  tower === 'image'
    ? cpu.upload(new Float32Array(batch * 3 * h * w).fill(0.5), [batch, 3, h, w])
    : cpu.upload(Int32Array.from({ length: batch * len }, (_, i) => (i % len === 0 ? 49406 : i % len === 9 ? 49407 : i % len < 9 ? 320 + (i % 97) : 0)), [batch, len], 'i32');
const forward = () => cpu.scope(() => (tower === 'image' ? image!.forward(input) : text!.forwardIds(input))).dispose();

for (let i = 0; i < 3; i++) forward();
const times: number[] = [];
timing = true;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  forward();
  times.push(performance.now() - t0);
}
timing = false;
const forwardMs = median(times);
const sorted = [...rows.entries()].sort((a, b) => b[1].ms - a[1].ms);
const meanMs = times.reduce((s, t) => s + t, 0) / runs;
const opsMs = sorted.reduce((s, [, r]) => s + r.ms, 0) / runs;
console.log(
  `${model} ${tower} b${batch} on ${cpu.description}: forward median ${forwardMs.toFixed(1)} ms over ${runs} runs (min ${Math.min(...times).toFixed(1)}, ` +
    `mean ${meanMs.toFixed(1)}); the ops ${opsMs.toFixed(1)} ms of the mean, the rest the layers' JavaScript`,
);
printTable(
  sorted.map(([op, r]) => ({
    op,
    'ms / forward': (r.ms / runs).toFixed(2),
    calls: String(r.calls / runs),
    'GFLOP/s': r.flops ? (r.flops / r.ms / 1e6).toFixed(1) : '',
    'share of the mean': `${((100 * r.ms) / runs / meanMs).toFixed(1)} %`,
  })),
);
const out = arg('out', 'bench/results/cpu-profile');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  `${out}.json`,
  JSON.stringify({ model, tower, batch, runs, threads, cpu: cpu.description, date: new Date().toISOString(), forwardMs: times, ops: sorted.map(([op, r]) => ({ op, msPerForward: r.ms / runs, callsPerForward: r.calls / runs, flopsPerForward: r.flops / runs })) }, null, 2),
);
console.log(`\nJSON: ${out}.json`);
process.exit(0);
