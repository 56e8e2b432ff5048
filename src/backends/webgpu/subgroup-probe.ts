/**
 * Kernels that share values across a subgroup need to know its size and that a workgroup of
 * exactly that many invocations is one subgroup with lanes in invocation order. WebGPU promises
 * neither, so we ask the adapter (min = max size) and then check with a probe kernel.
 */
import type { Gpu } from './gpu.js';
import { output } from './kernel.js';

/** The adapter's fixed subgroup size if the probe confirms it, else undefined. */
export async function probeSubgroupSize(gpu: Gpu): Promise<number | undefined> {
  const { subgroupMinSize: min, subgroupMaxSize: max } = gpu.info;
  if (!gpu.features.subgroups || !min || min !== max) return undefined;
  const S = min;
  const ok = gpu.empty([S], 'i32', 'subgroup probe');
  try {
    gpu.dispatch({
      label: 'subgroup probe',
      signature: { bindings: { ok: output('i32') }, enable: ['subgroups'] },
      body: /* wgsl */ `
@compute @workgroup_size(${S})
fn main(@builtin(local_invocation_index) i: u32, @builtin(subgroup_size) size: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  // The last lane sends its index to everybody: one subgroup spans the whole workgroup.
  let last = subgroupBroadcast(lane, ${S - 1}u);
  store_ok(i, select(0, 1, size == ${S}u && lane == i && last == ${S - 1}u));
}`,
      bindings: { ok },
      workgroups: [1],
    });
    const got = await ok.read();
    return got.every((v) => v === 1) ? S : undefined;
  } catch {
    return undefined;
  } finally {
    ok.dispose();
  }
}
