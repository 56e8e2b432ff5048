/** The one comparison helper's rules (src/parity/compare.ts), shared by `mobileclip parity` and the tests. */
import { describe, expect, it } from 'vitest';
import { compareTensor, diff } from '../../src/parity/compare.js';

describe('diff', () => {
  it('measures max |Δ| against the largest finite |ref| and says where', () => {
    expect(diff([1, 2.5, -3], [1, 2, -4])).toEqual({ maxAbs: 1, maxRef: 4, rel: 0.25, at: 2 });
    expect(diff([0, 0], [0, 0])).toEqual({ maxAbs: 0, maxRef: 0, rel: 0, at: -1 });
  });

  it('matches equal infinities, fails NaN on either side and an infinity against a number', () => {
    expect(diff([Infinity, -Infinity, 1], [Infinity, -Infinity, 2]).maxAbs).toBe(1);
    expect(diff([NaN, 1], [NaN, 1])).toMatchObject({ maxAbs: Infinity, at: 0 });
    expect(diff([1, NaN], [1, 1])).toMatchObject({ maxAbs: Infinity, at: 1 });
    expect(diff([1, 5], [1, Infinity])).toMatchObject({ maxAbs: Infinity, maxRef: 1, at: 1 });
  });

  it('an infinite reference value does not make other errors relatively small', () => {
    const r = compareTensor('t', [3], Float32Array.from([Infinity, 0, 1]), Float32Array.from([Infinity, 0, 0]), 1e-4);
    expect(r.maxRef).toBe(0); // only finite values count: max|ref| is 0 here, so the error is taken as absolute
    expect(r.rel).toBe(1);
    expect(r.ok).toBe(false);
  });

  it('different lengths are an infinite error', () => {
    expect(diff([1, 2], [1]).maxAbs).toBe(Infinity);
    expect(compareTensor('t', [2], new Float32Array(2), new Float32Array(3), 1).ok).toBe(false);
  });
});
