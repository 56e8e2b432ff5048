/**
 * Pillow's antialiased resize (Resample.c), bilinear and bicubic, reproduced to the byte:
 * separable, horizontal pass first (when the width changes), then vertical. Per axis: scale =
 * in/out, filterscale = max(scale, 1), support = filter support · filterscale; for output xx,
 * center = (xx + 0.5)·scale, taps [trunc(center − support + 0.5), trunc(center + support + 0.5)),
 * weights filter((x − center + 0.5)/filterscale) normalised in double. The 8-bit path turns them
 * into fixed point with 22 fractional bits, rounding half away from zero, and each output is
 * (2²¹ + Σ in·k) >> 22, clamped; the 32-bit path (mode I) sums in double and rounds half up.
 */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;

export type ResampleFilter = 'bilinear' | 'bicubic';

/** PIL's filters and their supports (bicubic: a = −0.5). */
const FILTERS: Record<ResampleFilter, { support: number; f: (x: number) => number }> = {
  bilinear: { support: 1, f: (x) => (x < 0 ? -x : x) < 1 ? 1 - (x < 0 ? -x : x) : 0 },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      const t = x < 0 ? -x : x;
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

export interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output
  k: Float64Array; // 8-bit: integer weights (exact in double); 32-bit: the normalised doubles
}

/** Pillow's per-axis coefficients (precompute_coeffs; `fixed`: normalize_coeffs_8bpc's integers). */
export function precompute(inSize: number, outSize: number, filter: ResampleFilter, fixed: boolean): Coeffs {
  const { support: fs, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = fs * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = f((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = !fixed ? v : v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

const clip8 = (ss: number): number => (ss >= ONE * 256 ? 255 : ss <= 0 ? 0 : Math.floor(ss / ONE));

/**
 * 8-bit bands (HWC, `channels` interleaved), PIL's 8-bit resample path. The sums are of integers
 * (pixel · fixed-point weight), exact in double whatever their order, so the loops run in the order
 * memory is laid out: each tap's weight once for every channel, and the vertical pass a row of taps
 * at a time into a row of accumulators. Cost: (outW · height + outH · outW) · taps · channels
 * multiply-adds; a 12 MP photo to 256 px is ~80 M.
 */
export function pilResize8(src: Uint8Array, width: number, height: number, outW: number, outH: number, channels: number, filter: ResampleFilter): Uint8Array {
  let cur = src;
  let w = width;
  if (outW !== width) {
    const c = precompute(width, outW, filter, true);
    const out = new Uint8Array(outW * height * channels);
    const acc = new Float64Array(channels);
    for (let y = 0; y < height; y++) {
      const row = y * w * channels;
      for (let xx = 0; xx < outW; xx++) {
        const n = c.bounds[xx * 2 + 1];
        const kAt = xx * c.ksize;
        let at = row + c.bounds[xx * 2] * channels;
        const o = (y * outW + xx) * channels;
        if (channels === 3) {
          let s0 = ONE / 2;
          let s1 = ONE / 2;
          let s2 = ONE / 2;
          for (let x = 0; x < n; x++, at += 3) {
            const k = c.k[kAt + x];
            s0 += cur[at] * k;
            s1 += cur[at + 1] * k;
            s2 += cur[at + 2] * k;
          }
          out[o] = clip8(s0);
          out[o + 1] = clip8(s1);
          out[o + 2] = clip8(s2);
          continue;
        }
        acc.fill(ONE / 2);
        for (let x = 0; x < n; x++, at += channels) {
          const k = c.k[kAt + x];
          for (let ch = 0; ch < channels; ch++) acc[ch] += cur[at + ch] * k;
        }
        for (let ch = 0; ch < channels; ch++) out[o + ch] = clip8(acc[ch]);
      }
    }
    cur = out;
    w = outW;
  }
  if (outH !== height) {
    const c = precompute(height, outH, filter, true);
    const rowLen = w * channels;
    const out = new Uint8Array(rowLen * outH);
    const acc = new Float64Array(rowLen);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = c.bounds[yy * 2];
      const n = c.bounds[yy * 2 + 1];
      acc.fill(ONE / 2);
      for (let y = 0; y < n; y++) {
        const k = c.k[yy * c.ksize + y];
        const at = (ymin + y) * rowLen;
        for (let i = 0; i < rowLen; i++) acc[i] += cur[at + i] * k;
      }
      const o = yy * rowLen;
      for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]);
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** PIL's ROUND_UP for the 32-bit path: half away from zero, through a float32 0.5 as C adds it. */
const roundUp = (v: number): number => Math.trunc(v >= 0 ? v + 0.5 : v - 0.5);

/** One band of 32-bit integers (mode I), PIL's 32bpc resample path. */
export function pilResize32(src: Int32Array, width: number, height: number, outW: number, outH: number, filter: ResampleFilter): Int32Array {
  let cur = src;
  let w = width;
  if (outW !== width) {
    const c = precompute(width, outW, filter, false);
    const out = new Int32Array(outW * height);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const xmin = c.bounds[xx * 2];
        let ss = 0;
        for (let x = 0; x < c.bounds[xx * 2 + 1]; x++) ss += cur[y * w + xmin + x] * c.k[xx * c.ksize + x];
        out[y * outW + xx] = roundUp(ss);
      }
    }
    cur = out;
    w = outW;
  }
  if (outH !== height) {
    const c = precompute(height, outH, filter, false);
    const out = new Int32Array(w * outH);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = c.bounds[yy * 2];
      for (let x = 0; x < w; x++) {
        let ss = 0;
        for (let y = 0; y < c.bounds[yy * 2 + 1]; y++) ss += cur[(ymin + y) * w + x] * c.k[yy * c.ksize + y];
        out[yy * w + x] = roundUp(ss);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** PIL's NEAREST resize (ImagingScaleAffine): source index trunc(a·0.5 + a·x), accumulated in double as PIL does. */
export function pilResizeNearest<T extends Uint8Array | Int32Array>(src: T, width: number, height: number, outW: number, outH: number, channels: number): T {
  const ax = width / outW;
  const ay = height / outH;
  const xin = new Int32Array(outW);
  let xo = ax * 0.5;
  for (let x = 0; x < outW; x++, xo += ax) xin[x] = Math.trunc(xo);
  const out = new (src.constructor as new (n: number) => T)(outW * outH * channels);
  let yo = ay * 0.5;
  for (let y = 0; y < outH; y++, yo += ay) {
    const yi = Math.trunc(yo);
    for (let x = 0; x < outW; x++) for (let c = 0; c < channels; c++) out[(y * outW + x) * channels + c] = src[(yi * width + xin[x]) * channels + c];
  }
  return out;
}
