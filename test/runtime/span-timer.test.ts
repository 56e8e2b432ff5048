/**
 * The span timer: two timestamps around replayed or eager work. What it must get right is not a
 * speed but what it encloses: a positive, finite span no longer than the host's interval around
 * the same work, the work's results unchanged, reuse, and clear errors when misused.
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { linear } from '../../src/kernels/matmul.js';
import { GpuError } from '../../src/gpu/errors.js';

const g = useGpu();

// Every adapter this suite runs on (lavapipe, SwiftShader, GPUs) has timestamp-query; one without
// it must refuse the timer by name rather than return a made-up span.
const timestamps = () => {
  if (g.gpu.features.timestampQuery) return true;
  expect(() => g.gpu.spanTimer()).toThrow(/timestamp-query/);
  return false;
};

describe('span timer', () => {
  const chain = () => {
    const x = g.gpu.upload(randn(64 * 96, 1), [64, 96]);
    const w = g.gpu.upload(randn(96 * 96, 2).map((v) => v / 10), [96, 96]);
    return { x, w, run: () => g.gpu.scope(() => linear(linear(linear(x, w), w), w)) };
  };

  it('times replayed work: a positive span inside the host interval, results unchanged, reusable', async () => {
    if (!timestamps()) return;
    const { x, w, run } = chain();
    const { plan, result } = g.gpu.capture(run);
    plan.run();
    const untimed = await result.readFloat();
    const timer = g.gpu.spanTimer();
    for (let round = 0; round < 2; round++) {
      const t0 = performance.now();
      timer.begin();
      plan.run();
      timer.end();
      const timed = await result.readFloat();
      const wall = performance.now() - t0;
      const span = await timer.read();
      console.log(`round ${round}: span ${span.toFixed(3)} ms of a ${wall.toFixed(3)} ms call`);
      expect(Number.isFinite(span)).toBe(true);
      expect(span).toBeGreaterThan(0);
      expect(span).toBeLessThanOrEqual(wall);
      expect(Array.from(timed)).toEqual(Array.from(untimed));
    }
    timer.destroy();
    [plan, result, x, w].forEach((t) => t.dispose());
  });

  it('reads a span whose end is not yet submitted, and an empty span as ≥ 0', async () => {
    if (!timestamps()) return;
    const timer = g.gpu.spanTimer();
    timer.begin();
    timer.end();
    const span = await timer.read(); // submits itself
    expect(span).toBeGreaterThanOrEqual(0);
    timer.destroy();
  });

  it('refuses marks inside capture(), and begin/end/read out of order', async () => {
    if (!timestamps()) return;
    const timer = g.gpu.spanTimer();
    expect(() => g.gpu.capture(() => timer.begin())).toThrow(/not work inside capture\(\)/);
    expect(() => timer.end()).toThrow(/end\(\) without begin\(\)/);
    await expect(timer.read()).rejects.toThrow(/read\(\) before end\(\)/);
    timer.begin();
    expect(() => timer.begin()).toThrow(GpuError);
    timer.end();
    expect(() => timer.begin()).toThrow(/before the last span was read/);
    expect(await timer.read()).toBeGreaterThanOrEqual(0);
    timer.destroy();
  });
});
