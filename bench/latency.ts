/**
 * Latency as a caller feels it (npm run bench:latency): one model call = write the input, replay
 * the recorded forward, read the result back, as MobileCLIP.encodeImages/encodeTexts do. Per case:
 * the first call (records the plan and compiles), the first warm call, then the median, p10 and
 * p90 of `--calls` warm calls, and the CPU time the process spent per call (the readback wait's
 * cost: busy polling shows here). Random weights of the real shapes.
 * Where the adapter has timestamp queries, each warm call's GPU span (span-timer.ts) is taken too:
 * its median and p90/median, and the p90 of wall − span, the time the call spends outside the GPU
 * (submitting, waiting, reading back). `--floor` follows every model call with a call of fixed
 * work as long as it (fixed-work.ts), in the same loop, so both see the same host moments: its
 * row is the spread this host and adapter give any call of that length.
 *   --model=mobileclip_s0 --cases=image:1,image:8,text:1,text:8 --calls=30 --floor --json=FILE [--off=|--on=<gpu.tuning flags>]
 */
import { writeFileSync } from 'node:fs';
import { createGpu } from '../src/backends/webgpu/node.js';
import { describeGpu } from '../src/backends/webgpu/device.js';
import { describePolicy } from '../src/backends/webgpu/policy.js';
import { modelSpec } from '../src/models/model-specs.js';
import { loadModel } from '../src/models/load.js';
import type { Tensor } from '../src/runtime/tensor.js';
import type { ExecutionPlan } from '../src/backends/webgpu/plan.js';
import { type FixedWork, fixedWork } from './fixed-work.js';
import { printTable, tuningFromArgs } from './harness.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const calls = Number(arg('calls', '30'));
const cases = arg('cases', 'image:1,image:8,text:1,text:8').split(',');
const spec = modelSpec(arg('model', 'mobileclip_s0'));
const withFloor = process.argv.includes('--floor');

const gpu = await createGpu();
tuningFromArgs(gpu, arg);
console.error(`adapter: ${describeGpu(gpu)}\npolicy: ${describePolicy(gpu.policy)}`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  return s[Math.floor(at)] + (s[Math.ceil(at)] - s[Math.floor(at)]) * (at - Math.floor(at));
};
const r1 = (x: number) => Math.round(x * 10) / 10;
interface Sample {
  wall: number;
  /** GPU milliseconds between the span marks; NaN without timestamp queries. */
  span: number;
}
/** Wall median, p10, p90 and p90/median; the span's median and p90/median; p90 of wall − span. */
function spread(samples: Sample[]): Record<string, string | number> {
  const wall = samples.map((x) => x.wall);
  const med = quantile(wall, 0.5);
  const cells: Record<string, string | number> = {
    'median ms': r1(med),
    'p10 ms': r1(quantile(wall, 0.1)),
    'p90 ms': r1(quantile(wall, 0.9)),
    'p90/median': (quantile(wall, 0.9) / med).toFixed(3),
  };
  if (samples.every((x) => Number.isFinite(x.span))) {
    const span = samples.map((x) => x.span);
    const spanMed = quantile(span, 0.5);
    cells['GPU median ms'] = r1(spanMed);
    cells['GPU p90/median'] = (quantile(span, 0.9) / spanMed).toFixed(3);
    cells['outside GPU p90 ms'] = r1(quantile(samples.map((x) => x.wall - x.span), 0.9));
  }
  return cells;
}

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
      const [h, w] = spec.imageSize;
      data = new Float32Array(batch * 3 * h * w).map((_, i) => ((i * 7919) % 255) / 255);
      input = gpu.upload(data, [batch, 3, h, w]);
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
    const timer = gpu.features.timestampQuery ? gpu.spanTimer() : null;
    /** One call as a user makes it; the span is read after the wall time is taken. */
    const timedCall = async (p: ExecutionPlan, out: Tensor, write: () => void): Promise<Sample> => {
      const t = performance.now();
      write();
      timer?.begin();
      p.run();
      timer?.end();
      await out.readFloat();
      const wall = performance.now() - t;
      return { wall, span: timer ? await timer.read() : NaN };
    };
    const call = () => timedCall(plan, result, () => gpu.writeTensor(input, data));
    const firstWarm = (await call()).wall;
    let floor: FixedWork | null = null;
    if (withFloor) {
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) warm.push((await call()).wall);
      floor = await fixedWork(gpu, plan.dispatches, quantile(warm, 0.5));
    }
    if (floor) await timedCall(floor.plan, floor.result, () => {}); // the final size's first replay, untimed
    const samples: Sample[] = [];
    const floorSamples: Sample[] = [];
    let cpuMs = 0;
    let wallMs = 0;
    for (let i = 0; i < calls; i++) {
      const cpu0 = process.cpuUsage();
      t0 = performance.now();
      samples.push(await call());
      wallMs += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuMs += (cpu.user + cpu.system) / 1000;
      if (floor) floorSamples.push(await timedCall(floor.plan, floor.result, () => {}));
    }
    const med = quantile(samples.map((x) => x.wall), 0.5);
    rows.push({
      case: `${spec.name} ${tower} b${batch}`,
      'first ms': r1(first),
      'first warm ms': r1(firstWarm),
      ...spread(samples),
      'first warm/median': (firstWarm / med).toFixed(3),
      'CPU ms per call': r1(cpuMs / calls),
      'CPU/wall': (cpuMs / wallMs).toFixed(2),
    });
    if (floor) {
      rows.push({ case: `  fixed work, ${plan.dispatches} × ${floor.workgroups} workgroups`, 'first ms': '', 'first warm ms': '', ...spread(floorSamples), 'first warm/median': '', 'CPU ms per call': '', 'CPU/wall': '' });
      floor.dispose();
    }
    timer?.destroy();
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
