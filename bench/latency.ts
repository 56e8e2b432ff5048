/**
 * Latency as a caller feels it (npm run bench:latency): one model call = write the input, replay
 * the recorded forward, read the result back, as MobileCLIP.encodeImages/encodeTexts do. Per case:
 * the first call (records the plan and compiles), the first warm call, then the median, p10 and
 * p90 of `--calls` warm calls, and the CPU time the process spent per call (the readback wait's
 * cost: busy polling shows here). Random weights of the real shapes.
 *   --model=mobileclip_s0 --cases=image:1,image:8,text:1,text:8 --calls=30 --json=FILE [--off=|--on=<gpu.tuning flags>]
 */
import { writeFileSync } from 'node:fs';
import { createGpu } from '../src/gpu/node.js';
import { describeGpu } from '../src/gpu/device.js';
import { describePolicy } from '../src/gpu/policy.js';
import { modelSpec } from '../src/api/model-specs.js';
import { loadModel } from '../src/models/load.js';
import type { Tensor } from '../src/gpu/tensor.js';
import { printTable, tuningFromArgs } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const calls = Number(arg('calls', '30'));
const cases = arg('cases', 'image:1,image:8,text:1,text:8').split(',');
const spec = modelSpec(arg('model', 'mobileclip_s0'));

const gpu = await createGpu();
tuningFromArgs(gpu, arg);
console.error(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  return s[Math.floor(at)] + (s[Math.ceil(at)] - s[Math.floor(at)]) * (at - Math.floor(at));
};
const r1 = (x: number) => Math.round(x * 10) / 10;

const { store, clip } = loadModel(gpu, spec, 'synthetic');
const rows: Record<string, string | number>[] = [];
try {
  for (const c of cases) {
    const [tower, b] = c.split(':');
    const batch = Number(b);
    let input: Tensor;
    let data: Float32Array | Int32Array;
    let forward: (x: Tensor) => Tensor;
    if (tower === 'image') {
      const s = spec.imageSize;
      data = new Float32Array(batch * 3 * s * s).map((_, i) => ((i * 7919) % 255) / 255);
      input = gpu.upload(data, [batch, 3, s, s]);
      forward = (x) => clip!.encodeImage(x, { normalize: true });
    } else {
      const ctx = spec.text.contextLength;
      data = new Int32Array(batch * ctx);
      for (let r = 0; r < batch; r++) data.set([49406, 320, 1125, 539, 320, 2368, 49407], r * ctx);
      input = clip!.uploadTokens(data as Int32Array, [batch, ctx]);
      forward = (x) => clip!.encodeTextIds(x, { normalize: true });
    }
    let t0 = performance.now();
    const { plan, result } = gpu.capture(() => forward(input));
    plan.run();
    await result.readFloat();
    const first = performance.now() - t0;
    const call = async () => {
      const t = performance.now();
      gpu.writeTensor(input, data);
      plan.run();
      await result.readFloat();
      return performance.now() - t;
    };
    const firstWarm = await call();
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    t0 = performance.now();
    for (let i = 0; i < calls; i++) times.push(await call());
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const med = quantile(times, 0.5);
    rows.push({
      case: `${spec.name} ${tower} b${batch}`,
      'first ms': r1(first),
      'first warm ms': r1(firstWarm),
      'median ms': r1(med),
      'p10 ms': r1(quantile(times, 0.1)),
      'p90 ms': r1(quantile(times, 0.9)),
      'p90/median': (quantile(times, 0.9) / med).toFixed(3),
      'first warm/median': (firstWarm / med).toFixed(3),
      'CPU ms per call': r1((cpu.user + cpu.system) / 1000 / calls),
      'CPU/wall': ((cpu.user + cpu.system) / 1000 / wall).toFixed(2),
    });
    console.error(`  ${c}: first ${first.toFixed(0)} ms, warm ${firstWarm.toFixed(1)} ms, median ${med.toFixed(1)} ms`);
    plan.dispose();
    result.dispose();
    input.dispose();
  }
  printTable(rows);
  const json = arg('json', '');
  if (json) writeFileSync(json, JSON.stringify({ adapter: describeGpu(gpu), policy: describePolicy(gpu.policy), calls, rows }, null, 1));
} finally {
  store.dispose();
  gpu.destroy();
}
