/**
 * Pillow's 8-bit antialiased resize run by the wasm SIMD passes (native/pil-resize.c, linked into
 * the libjpeg-turbo module), with the coefficients of resize.ts, whose TypeScript passes are the
 * reference these equal byte for byte (test/preprocess/resize-wasm.test.ts). ~5× faster on a
 * 12 MP photo (npm run bench:decode).
 */
import { releaseIfLarge, type TurboExports } from './image-wasm.js';
import { precompute, type ResampleFilter } from './resize.js';

/** Readable bytes past every source buffer: the passes load 16 bytes at a time (pil-resize.c). */
const PAD = 32;
/** The horizontal pass's source buffer: a few rows, small enough to stay in cache. */
const CHUNK_BYTES = 256 << 10;

/**
 * `pilResize8` on `ex`'s module; null when its memory cannot hold the buffers (the caller then
 * runs the TypeScript passes).
 */
export function pilResize8Wasm(ex: TurboExports, src: Uint8Array, width: number, height: number, outW: number, outH: number, channels: number, filter: ResampleFilter): Uint8Array | null {
  const blocks: number[] = [];
  const alloc = (bytes: number): number => {
    const p = ex.malloc(bytes);
    if (p !== 0) blocks.push(p);
    return p;
  };
  const int32s = (values: ArrayLike<number>): number => {
    const p = alloc(4 * values.length);
    if (p !== 0) new Int32Array(ex.memory.buffer, p, values.length).set(values);
    return p;
  };
  try {
    if (outW === width && outH === height) return src.slice();
    const rowBytes = width * channels;
    let cur: number;
    let w = width;
    if (outW !== width) {
      const c = precompute(width, outW, filter, true);
      // Each tap's weight once per channel over the tap's bytes, zero-padded to whole 12-byte steps.
      const stride = Math.ceil((c.ksize * channels) / 12) * 12;
      const kx = new Int32Array(outW * stride);
      for (let xx = 0; xx < outW; xx++) {
        for (let x = 0; x < c.bounds[xx * 2 + 1]; x++) kx.fill(c.k[xx * c.ksize + x], xx * stride + x * channels, xx * stride + (x + 1) * channels);
      }
      const out = alloc(outW * height * channels + PAD);
      const bounds = int32s(c.bounds);
      const k = int32s(kx);
      // The source goes through a small buffer a few rows at a time (each row is resized on its own),
      // so the module's memory does not grow by a whole copy of it (as fast: bench:decode).
      const rows = Math.max(1, Math.min(height, Math.floor(CHUNK_BYTES / rowBytes)));
      const chunk = alloc(rows * rowBytes + PAD);
      if (out === 0 || bounds === 0 || k === 0 || chunk === 0) return null;
      for (let y = 0; y < height; y += rows) {
        const n = Math.min(rows, height - y);
        new Uint8Array(ex.memory.buffer, chunk, n * rowBytes).set(src.subarray(y * rowBytes, (y + n) * rowBytes));
        ex.pil_resize_horizontal(chunk, width, n, channels, out + y * outW * channels, outW, bounds, k, stride);
      }
      cur = out;
      w = outW;
    } else {
      cur = alloc(src.length + PAD);
      if (cur === 0) return null;
      new Uint8Array(ex.memory.buffer, cur, src.length).set(src);
    }
    if (outH !== height) {
      const c = precompute(height, outH, filter, true);
      const out = alloc(w * channels * outH + PAD);
      const bounds = int32s(c.bounds);
      const k = int32s(c.k);
      if (out === 0 || bounds === 0 || k === 0) return null;
      ex.pil_resize_vertical(cur, w * channels, out, outH, bounds, k, c.ksize);
      cur = out;
    }
    return new Uint8Array(ex.memory.buffer, cur, w * channels * outH).slice();
  } finally {
    for (const p of blocks) ex.free(p);
    releaseIfLarge(ex);
  }
}
