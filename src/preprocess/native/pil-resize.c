/*
 * Pillow's 8-bit antialiased resample passes (Resample.c, ImagingResampleHorizontal_8bpc and
 * ImagingResampleVertical_8bpc) in wasm SIMD, linked into the libjpeg-turbo module
 * (scripts/build-jpeg-wasm.mjs). The weights come from src/preprocess/resize.ts (the reference,
 * which computes them exactly as Pillow does: fixed point with 22 fractional bits); each output is
 * clip8((2^21 + sum in*k) >> 22) in int32 arithmetic, as Pillow's, so the bytes are Pillow's.
 * Integer sums do not depend on their order, which is what lets the loops run in vector lanes.
 *
 * Buffers: every source buffer has 32 readable bytes past its end and every output 16 writable
 * ones (pil-resize-wasm.ts allocates them so); past-the-end lanes are multiplied by zero weights
 * (horizontal) or never stored (vertical), and past-the-end bytes written are overwritten later.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define PRECISION_BITS 22


/*
 * Rows of inW pixels of ch (1..4) interleaved bytes to rows of outW. bounds: [xmin, taps] per
 * output pixel; kx: per output pixel, `stride` int32 weights over the flat bytes of its taps (each
 * tap's weight repeated ch times, zero past taps*ch; stride a multiple of 12). Twelve bytes a step
 * (12 = lcm(1, 2, 3, 4), so byte m of a step always belongs to channel m % ch) into three int32x4
 * accumulators, folded per channel at the end with shuffles, clipped by the saturating narrows as
 * in the vertical pass. Cost: height * outW * taps * ch multiply-adds.
 */
__attribute__((export_name("pil_resize_horizontal"))) void pil_resize_horizontal(const uint8_t *in, int inW, int height, int ch, uint8_t *out, int outW, const int32_t *bounds, const int32_t *kx, int stride)
{
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  for (int y = 0; y < height; y++) {
    const uint8_t *row = in + (size_t)y * inW * ch;
    uint8_t *o = out + (size_t)y * outW * ch;
    for (int xx = 0; xx < outW; xx++) {
      const uint8_t *p = row + bounds[2 * xx] * ch;
      const int32_t *k = kx + (size_t)xx * stride;
      const int bytes = bounds[2 * xx + 1] * ch;
      v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0;
      for (int j = 0; j < bytes; j += 12) {
        const v128_t b = wasm_v128_load(p + j);
        const v128_t lo = wasm_u16x8_extend_low_u8x16(b);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), wasm_v128_load(k + j)));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), wasm_v128_load(k + j + 4)));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_high_u8x16(b)), wasm_v128_load(k + j + 8)));
      }
      v128_t sum; /* lane c: channel c's sum (lanes past ch: ignored) */
      if (ch == 3) {
        /* Step lanes [R G B R | G B R G | B R G B]: four shuffles line the channels up. */
        sum = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 1, 2, 3), wasm_i32x4_shuffle(a0, a1, 3, 4, 5, 0)),
                             wasm_i32x4_add(wasm_i32x4_shuffle(a1, a2, 2, 3, 4, 0), wasm_i32x4_shuffle(a2, a2, 1, 2, 3, 0)));
      } else {
        sum = wasm_i32x4_add(wasm_i32x4_add(a0, a1), a2); /* lane m: bytes m, m + 4, m + 8, all channel m % ch */
        if (ch <= 2) sum = wasm_i32x4_add(sum, wasm_i32x4_shuffle(sum, sum, 2, 3, 0, 1));
        if (ch == 1) sum = wasm_i32x4_add(sum, wasm_i32x4_shuffle(sum, sum, 1, 0, 3, 2));
      }
      sum = wasm_i32x4_shr(wasm_i32x4_add(sum, half), PRECISION_BITS);
      const v128_t packed = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(sum, sum), wasm_i16x8_narrow_i32x4(sum, sum));
      /* 3 bands store 4 bytes: the 4th is the next pixel's (written after) or the row's padding. */
      if (ch >= 3) wasm_v128_store32_lane(o + xx * ch, packed, 0);
      else if (ch == 2) wasm_v128_store16_lane(o + xx * ch, packed, 0);
      else wasm_v128_store8_lane(o + xx * ch, packed, 0);
    }
  }
}

/*
 * Rows of rowLen bytes to outH rows. bounds: [ymin, taps] per output row; k: ksize int32 weights
 * per output row. Sixteen bytes of a row a step, four int32x4 accumulators kept across the taps;
 * (ss >> 22) then the saturating narrows to u8 are clip8 (ss >= 2^30 gives >= 256, ss <= 0 gives
 * <= 0). Cost: outH * rowLen * taps multiply-adds.
 */
__attribute__((export_name("pil_resize_vertical"))) void pil_resize_vertical(const uint8_t *in, int rowLen, uint8_t *out, int outH, const int32_t *bounds, const int32_t *k, int ksize)
{
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  for (int yy = 0; yy < outH; yy++) {
    const uint8_t *first = in + (size_t)bounds[2 * yy] * rowLen;
    const int taps = bounds[2 * yy + 1];
    const int32_t *kk = k + (size_t)yy * ksize;
    uint8_t *o = out + (size_t)yy * rowLen;
    for (int i = 0; i < rowLen; i += 16) {
      v128_t a0 = half, a1 = half, a2 = half, a3 = half;
      const uint8_t *p = first + i;
      for (int y = 0; y < taps; y++, p += rowLen) {
        const v128_t b = wasm_v128_load(p);
        const v128_t w = wasm_i32x4_splat(kk[y]);
        const v128_t lo = wasm_u16x8_extend_low_u8x16(b);
        const v128_t hi = wasm_u16x8_extend_high_u8x16(b);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), w));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), w));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), w));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), w));
      }
      const v128_t s01 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a0, PRECISION_BITS), wasm_i32x4_shr(a1, PRECISION_BITS));
      const v128_t s23 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a2, PRECISION_BITS), wasm_i32x4_shr(a3, PRECISION_BITS));
      wasm_v128_store(o + i, wasm_u8x16_narrow_i16x8(s01, s23));
    }
  }
}
