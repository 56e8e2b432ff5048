/**
 * timm's `resample_abs_pos_embed` (layers/pos_embed.py), which open_clip's `force_image_size` runs
 * once through `VisionTransformer.set_input_size`: a learned positional table [prefix + gh·gw, C]
 * for a gh×gw patch grid becomes one for a new grid. The prefix (class-token) rows are kept as
 * they are; the grid rows, read row-major as an image [C, gh, gw], are resized with
 * F.interpolate(mode='bicubic', antialias=True, align_corners=False) in float32 and flattened
 * row-major again. Runs on the host, once, at load.
 */

/** Keys' bicubic with a = −0.5, the filter of PyTorch's (and PIL's) antialiased bicubic. */
function cubic(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  if (t < 1) return Math.fround(((a + 2) * t - (a + 3)) * t * t + 1);
  if (t < 2) return Math.fround((((t - 5) * t + 8) * t - 4) * a);
  return 0;
}

/**
 * One axis of PyTorch's antialiased resampling (ATen's `_compute_weights_aa`), with its float32
 * roundings: scale = in/out, support = 2·max(scale, 1), for output i the taps
 * [trunc(center − support + ½), trunc(center + support + ½)) around center = scale·(i + ½), each
 * weighted cubic((j − center + ½)/max(scale, 1)) and normalised by their float32 sum.
 */
function axisWeights(inSize: number, outSize: number): { start: Int32Array; count: Int32Array; taps: number; w: Float32Array } {
  const scale = Math.fround(inSize / outSize);
  const support = Math.fround(scale >= 1 ? 2 * scale : 2);
  const invScale = Math.fround(scale >= 1 ? 1 / scale : 1);
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = Math.fround(scale * (i + 0.5));
    const lo = Math.max(Math.trunc(Math.fround(center - support) + 0.5), 0);
    const n = Math.min(Math.trunc(Math.fround(center + support) + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const v = cubic(Math.fround((Math.fround(j + lo - center) + 0.5) * invScale));
      w[i * taps + j] = v;
      total = Math.fround(total + v);
    }
    if (total !== 0) for (let j = 0; j < n; j++) w[i * taps + j] = Math.fround(w[i * taps + j] / total);
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, taps, w };
}

/** Resamples the last axis of rows×inW values to rows×outW (float32 sums, taps in order). */
function resampleRows(src: Float32Array, rows: number, inW: number, outW: number): Float32Array {
  const { start, count, taps, w } = axisWeights(inW, outW);
  const out = new Float32Array(rows * outW);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outW; o++) {
      const base = r * inW + start[o];
      let acc = Math.fround(src[base] * w[o * taps]);
      for (let j = 1; j < count[o]; j++) acc = Math.fround(acc + Math.fround(src[base + j] * w[o * taps + j]));
      out[r * outW + o] = acc;
    }
  }
  return out;
}

/** Resamples the middle axis of planes×inH×width values to planes×outH×width. */
function resampleColumns(src: Float32Array, planes: number, inH: number, width: number, outH: number): Float32Array {
  const { start, count, taps, w } = axisWeights(inH, outH);
  const out = new Float32Array(planes * outH * width);
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < outH; o++) {
      for (let x = 0; x < width; x++) {
        const at = (y: number) => src[(p * inH + y) * width + x];
        let acc = Math.fround(at(start[o]) * w[o * taps]);
        for (let j = 1; j < count[o]; j++) acc = Math.fround(acc + Math.fround(at(start[o] + j) * w[o * taps + j]));
        out[(p * outH + o) * width + x] = acc;
      }
    }
  }
  return out;
}

/**
 * F.interpolate(x, (outH, outW), mode='bicubic', antialias=True, align_corners=False) of float32
 * planes [channels, inH, inW]: separable, the width first, each axis skipped where its size is
 * unchanged (as ATen does). Cost: channels·(inH·outW·tapsW + outH·outW·tapsH) multiply-adds.
 */
export function bicubicAntialias(planes: Float32Array, channels: number, inH: number, inW: number, outH: number, outW: number): Float32Array {
  if (planes.length !== channels * inH * inW) throw new RangeError(`bicubicAntialias: ${planes.length} values are not ${channels}×${inH}×${inW}`);
  for (const [what, v] of [['input height', inH], ['input width', inW], ['output height', outH], ['output width', outW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`bicubicAntialias: ${what} must be a positive integer, got ${v}`);
  }
  let x = planes;
  if (outW !== inW) x = resampleRows(x, channels * inH, inW, outW);
  if (outH !== inH) x = resampleColumns(x, channels, inH, outW, outH);
  return x === planes ? planes.slice() : x;
}

export type Grid = readonly [height: number, width: number];

/**
 * A positional table [prefix + old[0]·old[1], C] (row-major over the grid) → [prefix + new[0]·new[1], C],
 * as timm's `resample_abs_pos_embed(table, new, old, num_prefix_tokens=prefix)` computes it.
 */
export function resampleAbsPosEmbed(table: Float32Array, channels: number, oldGrid: Grid, newGrid: Grid, prefix: number): Float32Array {
  const [gh, gw] = oldGrid;
  const [nh, nw] = newGrid;
  if (table.length !== (prefix + gh * gw) * channels) {
    throw new RangeError(`resampleAbsPosEmbed: the table has ${table.length / channels} rows of ${channels}; a ${gh}×${gw} grid with ${prefix} prefix row(s) needs ${prefix + gh * gw}`);
  }
  // [gh·gw, C] → [C, gh, gw]: the grid as channel planes, as timm's reshape + permute does.
  const cells = gh * gw;
  const planes = new Float32Array(channels * cells);
  for (let p = 0; p < cells; p++) for (let c = 0; c < channels; c++) planes[c * cells + p] = table[(prefix + p) * channels + c];
  const resized = bicubicAntialias(planes, channels, gh, gw, nh, nw);
  const newCells = nh * nw;
  const out = new Float32Array((prefix + newCells) * channels);
  out.set(table.subarray(0, prefix * channels));
  for (let p = 0; p < newCells; p++) for (let c = 0; c < channels; c++) out[(prefix + p) * channels + c] = resized[c * newCells + p];
  return out;
}
