/**
 * A control for the latency bench: fixed arithmetic (an FMA loop, no memory traffic to speak of)
 * in as many equal dispatches as a model's plan has, sized to about the model call's time. Every
 * call does exactly the same work, so its spread from call to call is the host's and the adapter's,
 * not the model's or the readback's: the floor a model call's p90/median can be held against.
 */
import type { Gpu } from '../src/backends/webgpu/gpu.js';
import type { ExecutionPlan } from '../src/backends/webgpu/plan.js';
import type { Tensor } from '../src/runtime/tensor.js';
import { output } from '../src/backends/webgpu/kernel.js';
import { median } from './harness.js';

const ITERS = 256;
const WORKGROUP = 64;
const body = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var a = vec4(f32(gid.x) * 1e-6, 1.0, 2.0, 3.0);
  var b = vec4(0.999, 0.998, 0.997, 0.996);
  var c = vec4(1e-3);
  for (var i = 0u; i < ${ITERS}u; i++) {
    a = fma(a, b, c); c = fma(c, b, a);
  }
  store_out(gid.x, a + c);
}`;

export interface FixedWork {
  plan: ExecutionPlan;
  result: Tensor;
  workgroups: number;
  dispose(): void;
}

function record(gpu: Gpu, dispatches: number, workgroups: number): FixedWork {
  const { plan, result } = gpu.capture(() => {
    const out = gpu.empty([workgroups * WORKGROUP * 4], 'f32', 'fixed work');
    for (let i = 0; i < dispatches; i++) {
      gpu.dispatch({ label: 'fixed_work', signature: { bindings: { out: output('vec4<f32>') } }, body, bindings: { out }, workgroups: [workgroups, 1, 1] });
    }
    return out;
  });
  return { plan, result, workgroups, dispose: () => [plan, result].forEach((t) => t.dispose()) };
}

async function medianCallMs(work: FixedWork, calls: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    work.plan.run();
    await work.result.readFloat();
    times.push(performance.now() - t);
  }
  return median(times);
}

/**
 * `dispatches` equal dispatches, resized until a call takes within 15 % of `targetMs` (at most
 * four tries: a dispatch has a fixed cost, so time is not proportional to its size).
 */
export async function fixedWork(gpu: Gpu, dispatches: number, targetMs: number): Promise<FixedWork> {
  let work = record(gpu, dispatches, 16);
  await medianCallMs(work, 1); // compiles
  for (let attempt = 0; attempt < 4; attempt++) {
    const ms = await medianCallMs(work, 3);
    if (Math.abs(ms - targetMs) <= 0.15 * targetMs) break;
    const workgroups = Math.max(2, Math.min(65535, Math.round((work.workgroups * targetMs) / Math.max(ms, 0.01))));
    if (workgroups === work.workgroups) break;
    work.dispose();
    work = record(gpu, dispatches, workgroups);
  }
  return work;
}
