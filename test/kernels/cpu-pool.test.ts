/**
 * The CPU backend reuses released tensors' arrays (cpu-backend.ts's pool): what comes back is
 * zeroed, never a weight's or an adopted array, bounded by the largest live bytes, and a view of a
 * released tensor can no longer be read.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';

describe('CPU backend array pool', () => {
  it('a released array serves the next tensor of its size and dtype, zeroed', () => {
    const cpu = new CpuBackend();
    const a = cpu.upload(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const arrayOfA = a.storage;
    a.dispose();
    expect(cpu.memory.pooledBytes).toBe(24);
    const i = cpu.empty([6], 'i32');
    expect(i.storage).not.toBe(arrayOfA); // an i32 tensor of six does not take the f32 array
    const b = cpu.empty([3, 2]);
    expect(b.storage).toBe(arrayOfA);
    expect(Array.from(b.storage as Float32Array)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(cpu.memory.pooledBytes).toBe(0);
  });

  it('a kept tensor (a weight) or an adopted array is never handed out again', () => {
    const cpu = new CpuBackend();
    const w = cpu.keep(cpu.upload(new Float32Array(8).fill(7), [8]));
    const mine = new Float32Array(8).fill(9);
    const adopted = cpu.adopt(mine, [8]);
    w.dispose();
    adopted.dispose();
    expect(cpu.memory.pooledBytes).toBe(0);
    const next = cpu.empty([8]);
    expect(next.storage).not.toBe(w.storage);
    expect(next.storage).not.toBe(mine);
    expect(Array.from(mine)).toEqual(new Array(8).fill(9));
  });

  it('holds at most the largest live bytes seen', () => {
    const cpu = new CpuBackend();
    const ts = [cpu.empty([100]), cpu.empty([100])];
    for (const t of ts) t.dispose();
    expect(cpu.memory.pooledBytes).toBe(800); // both were live at once: the bound is 800
    const big = cpu.empty([1000]); // the bound becomes 4000
    big.dispose();
    expect(cpu.memory.pooledBytes).toBe(800); // 800 + 4000 would pass it: dropped
    const small = cpu.empty([100]);
    expect(small.storage).toBe(ts[1].storage); // last in, first out
    cpu.destroy();
    expect(cpu.memory.pooledBytes).toBe(0);
  });

  it('a view of a released tensor throws instead of reading a reused array', () => {
    const cpu = new CpuBackend();
    const t = cpu.upload(new Float32Array(4), [4]);
    const view = t.reshape([2, 2]);
    t.dispose();
    expect(() => view.assertAlive()).toThrow(/used after dispose/);
    expect(() => view.read()).toThrow(/used after dispose/);
  });
});
