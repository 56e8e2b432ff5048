/**
 * Pillow's antialiased bilinear resize, 8-bit path (Resample.c), reproduced to the byte:
 * separable, horizontal pass first (when the width changes) into a uint8 image, then vertical.
 * Per axis: scale = in/out, filterscale = max(scale, 1), support = filterscale; for output xx,
 * center = (xx + 0.5)·scale, taps [trunc(center − support + 0.5), trunc(center + support + 0.5)),
 * weights max(0, 1 − |(x − center + 0.5)/filterscale|) normalised in double, then fixed point with
 * 22 fractional bits, rounding half away from zero; each output is (2²¹ + Σ in·k) >> 22, clamped.
 */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output
  k: Float64Array; // integer weights (exact in double)
}

function precompute(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filterscale;
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
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

const clip8 = (ss: number): number => (ss >= ONE * 256 ? 255 : ss <= 0 ? 0 : Math.floor(ss / ONE));

/** RGB (HWC uint8) resize; `channels` interleaved values per pixel. */
export function pilResizeBilinear(src: Uint8Array, width: number, height: number, outW: number, outH: number, channels = 3): Uint8Array {
  let cur = src;
  let w = width;
  if (outW !== width) {
    const c = precompute(width, outW);
    const out = new Uint8Array(outW * height * channels);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const xmin = c.bounds[xx * 2];
        const n = c.bounds[xx * 2 + 1];
        for (let ch = 0; ch < channels; ch++) {
          let ss = ONE / 2;
          for (let x = 0; x < n; x++) ss += cur[(y * w + xmin + x) * channels + ch] * c.k[xx * c.ksize + x];
          out[(y * outW + xx) * channels + ch] = clip8(ss);
        }
      }
    }
    cur = out;
    w = outW;
  }
  if (outH !== height) {
    const c = precompute(height, outH);
    const out = new Uint8Array(w * outH * channels);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = c.bounds[yy * 2];
      const n = c.bounds[yy * 2 + 1];
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < channels; ch++) {
          let ss = ONE / 2;
          for (let y = 0; y < n; y++) ss += cur[((ymin + y) * w + x) * channels + ch] * c.k[yy * c.ksize + y];
          out[(yy * w + x) * channels + ch] = clip8(ss);
        }
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}
