/** gpu.scope and gpu.keep: what a scope frees, what it hands on, and failures. */
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { GpuError } from '../../src/runtime/errors.js';

const g = useGpu();
const live = () => g.gpu.stats().memory.liveBytes;

describe('gpu.scope', () => {
  it('frees what fn made and did not return; returned tensors (in arrays, objects, as views) stay', async () => {
    const gpu = g.gpu;
    const before = live();
    const r = gpu.scope(() => {
      gpu.empty([100], 'f32', 'dropped');
      const a = gpu.upload(Float32Array.of(1, 2, 3, 4), [4]);
      const b = gpu.upload(Float32Array.of(5, 6), [2]);
      const c = gpu.upload(Float32Array.of(7, 8, 9, 10), [2, 2]);
      return { pair: [a, b], view: c.reshape([4]) };
    });
    expect(live() - before).toBe(3 * 256); // the three kept tensors (256-byte buckets), not the dropped one
    expect(Array.from(await r.pair[0].read())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await r.view.read())).toEqual([7, 8, 9, 10]);
    [...r.pair, r.view.base!].forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('nests: an inner result belongs to the outer scope, which frees it unless returned again', () => {
    const gpu = g.gpu;
    const before = live();
    const kept = gpu.scope(() => {
      const inner = gpu.scope(() => gpu.empty([10], 'f32', 'inner'));
      gpu.scope(() => gpu.empty([10], 'f32', 'inner, dropped by the outer scope'));
      return inner;
    });
    expect(live() - before).toBe(256);
    kept.dispose();
    expect(live()).toBe(before);
  });

  it('keep() lets a tensor outlive every scope; a throw frees everything else and rethrows', () => {
    const gpu = g.gpu;
    const before = live();
    let escaped = null as unknown as ReturnType<typeof gpu.empty>;
    expect(() =>
      gpu.scope(() => {
        gpu.scope(() => {
          escaped = gpu.keep(gpu.empty([10], 'f32', 'kept'));
          gpu.empty([10], 'f32', 'lost');
        });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(live() - before).toBe(256);
    escaped.dispose();
    expect(live()).toBe(before);
  });

  it('refuses an async fn (its tensors would be freed before it ran)', () => {
    const before = live();
    expect(() => g.gpu.scope(async () => g.gpu.empty([4]))).toThrow(GpuError);
    expect(live()).toBe(before);
  });
});
