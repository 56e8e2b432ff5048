/**
 * Timestamp queries, read through one path (timestamp-readback.ts) by the span timer (two
 * timestamps around replayed or eager work) and the profiler (a pair per dispatch). What they
 * must get right is not a speed but what they enclose: positive, finite times no longer than the
 * host's interval around the same work, the work's results unchanged, every dispatch counted,
 * reuse, and clear errors when misused.
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { linear } from '../../src/ops/index.js';
import { GpuError } from '../../src/runtime/errors.js';

const g = useGpu();

// Every adapter this suite runs on (lavapipe, SwiftShader, GPUs) has timestamp-query; one without
// it must refuse both by name rather than return made-up times.
const timestamps = () => {
  if (g.gpu.features.timestampQuery) return true;
  expect(() => g.gpu.spanTimer()).toThrow(/timestamp-query/);
  expect(() => g.gpu.startProfile()).toThrow(/timestamp-query/);
  return false;
};

const chain = () => {
  const x = g.gpu.upload(randn(64 * 96, 1), [64, 96]);
  const w = g.gpu.upload(randn(96 * 96, 2).map((v) => v / 10), [96, 96]);
  return { x, w, run: () => g.gpu.scope(() => linear(linear(linear(x, w), w), w)) };
};

describe('span timer', () => {

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

describe('profiler', () => {
  it('counts every dispatch under its label, with positive times inside the host interval and results unchanged', async () => {
    if (!timestamps()) return;
    const { x, w, run } = chain();
    const plain = run();
    const untimed = await plain.readFloat();
    plain.dispose();
    const t0 = performance.now();
    g.gpu.startProfile();
    const y = run();
    const times = await g.gpu.endProfile();
    const wall = performance.now() - t0;
    console.log(times.map((k) => `${k.label} ×${k.count} ${k.ms.toFixed(3)} ms`).join(', '), `of a ${wall.toFixed(3)} ms call`);
    expect(times.reduce((n, k) => n + k.count, 0)).toBe(3); // three products, a dispatch each
    expect(times.every((k) => Number.isFinite(k.ms) && k.ms > 0)).toBe(true);
    expect(times.map((k) => k.ms)).toEqual([...times.map((k) => k.ms)].sort((a, b) => b - a));
    expect(times.reduce((t, k) => t + k.ms, 0)).toBeLessThanOrEqual(wall);
    expect(Array.from(await y.readFloat())).toEqual(Array.from(untimed));
    [y, x, w].forEach((t) => t.dispose());
  });

  it('reads an empty profile as no kernels', async () => {
    if (!timestamps()) return;
    g.gpu.startProfile();
    expect(await g.gpu.endProfile()).toEqual([]);
  });
});
