/**
 * The readback wait: in 'paced' mode (the default on software adapters) Dawn's binding polls
 * through setTimeout while our wait is pending, instead of spinning on setImmediate; the global is
 * restored after every wait (nested, concurrent, failed); results are the same in both modes.
 * Counts, not timings: how often the binding reached the real setImmediate during a read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { linear } from '../../src/ops/index.js';
import { pacedWait } from '../../src/backends/webgpu/paced-wait.js';

const g = useGpu();
const real = globalThis.setImmediate;
afterEach(() => {
  globalThis.setImmediate = real;
  g.gpu.tuning.readbackWait = g.gpu.info.isSoftware ? 'paced' : 'spin';
});

describe('readback wait', () => {
  it('is paced by default on a software adapter, spinning on a GPU', () => {
    expect(g.gpu.tuning.readbackWait).toBe(g.gpu.info.isSoftware ? 'paced' : 'spin');
  });

  it('paced: the binding does not reach setImmediate while a read is pending; spin: it does; same results', async () => {
    // Six chained 256×512×512 products (~0.8 GFLOP): long enough on any adapter that a spinning
    // wait polls many times (a single small product finished within 8 polls once kernels compiled fast).
    const x = g.gpu.upload(randn(256 * 512, 1), [256, 512]);
    const w = g.gpu.upload(randn(512 * 512, 2).map((v) => v / 16), [512, 512]);
    let immediates = 0;
    globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...a: unknown[]) => {
      immediates++;
      return real(fn, ...a);
    }) as typeof setImmediate;
    const results: Record<string, { immediates: number; out: Float32Array }> = {};
    for (const mode of ['spin', 'paced', 'spin', 'paced'] as const) {
      g.gpu.tuning.readbackWait = mode;
      immediates = 0;
      const y = g.gpu.scope(() => {
        let h = x;
        for (let i = 0; i < 6; i++) h = linear(h, w);
        return h;
      });
      const out = await y.readFloat();
      y.dispose();
      results[mode] = { immediates, out };
      if (mode === 'paced') expect(globalThis.setImmediate).not.toBe(real); // our counting wrapper is back
    }
    console.log(`setImmediate calls during one read: spin ${results.spin.immediates}, paced ${results.paced.immediates}`);
    expect(results.spin.immediates).toBeGreaterThan(10);
    expect(results.paced.immediates).toBeLessThanOrEqual(2);
    expect(Array.from(results.paced.out)).toEqual(Array.from(results.spin.out));
    x.dispose();
    w.dispose();
  });

  it('restores setImmediate after nested, concurrent and failed waits', async () => {
    const before = globalThis.setImmediate;
    const inner = pacedWait(async () => {
      expect(globalThis.setImmediate).not.toBe(before);
      await pacedWait(() => new Promise((r) => setImmediate(r))); // the paced one still runs callbacks
      return 1;
    });
    const failing = pacedWait(() => Promise.reject(new Error('boom')));
    await expect(failing).rejects.toThrow('boom');
    expect(await inner).toBe(1);
    expect(globalThis.setImmediate).toBe(before);
  });
});
