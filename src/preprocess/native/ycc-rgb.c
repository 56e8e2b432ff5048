/*
 * JPEG's YCbCr -> RGB for the decoder (called by scripts/jpeg-wasm/jsimd-wasm.c in place of
 * libjpeg-turbo's ycc_rgb_convert), the same integers as libjpeg's jdcolor.c, so the same bytes:
 *   R = clamp(Y + ((FIX(1.402)·cr + 2^15) >> 16))
 *   G = clamp(Y + ((−FIX(0.34414)·cb − FIX(0.71414)·cr + 2^15) >> 16))
 *   B = clamp(Y + ((FIX(1.772)·cb + 2^15) >> 16))
 * with cb = Cb − 128, cr = Cr − 128, FIX(x) = (int)(x·2^16 + 0.5), arithmetic shifts, clamp to
 * 0..255 (libjpeg's range-limit table does the same for these sums, which stay within −179..433).
 * libjpeg looks the Cb/Cr terms up in tables built from these formulas; here they are computed,
 * 16 pixels a step in int32x4 lanes (~4 wasm ops a pixel against ~15 for the tables).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define SCALEBITS 16
#define ONE_HALF (1 << (SCALEBITS - 1))
#define FIX(x) ((int32_t)((x) * (1L << SCALEBITS) + 0.5))

static inline uint8_t clamp255(int32_t v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }

/* One pixel, the formulas above: the tail of a row, and other pixel layouts (jsimd-wasm.c). */
void ycc_rgb_pixel(int y, int cb, int cr, uint8_t *r, uint8_t *g, uint8_t *b)
{
  cb -= 128;
  cr -= 128;
  *r = clamp255(y + ((FIX(1.40200) * cr + ONE_HALF) >> SCALEBITS));
  *g = clamp255(y + ((-FIX(0.34414) * cb - FIX(0.71414) * cr + ONE_HALF) >> SCALEBITS));
  *b = clamp255(y + ((FIX(1.77200) * cb + ONE_HALF) >> SCALEBITS));
}

/* Byte j of the 48 that interleave 16 R, G, B: pixel (16c + j) / 3, band (16c + j) % 3. */
#define PIX(c, j) ((16 * (c) + (j)) / 3)
#define BAND(c, j) ((16 * (c) + (j)) % 3)
/* First R and G (B's bytes left as R's byte 0), then B into its places. */
#define RG(c, j) (BAND(c, j) == 0 ? PIX(c, j) : BAND(c, j) == 1 ? 16 + PIX(c, j) : 0)
#define PLUS_B(c, j) (BAND(c, j) == 2 ? 16 + PIX(c, j) : (j))
#define SHUFFLE16(M, a, b, c) wasm_i8x16_shuffle(a, b, M(c, 0), M(c, 1), M(c, 2), M(c, 3), M(c, 4), M(c, 5), M(c, 6), M(c, 7), M(c, 8), M(c, 9), M(c, 10), M(c, 11), M(c, 12), M(c, 13), M(c, 14), M(c, 15))

/* The four int32x4 quarters of 16 bytes. */
static inline void widen(v128_t b, v128_t q[4])
{
  const v128_t lo = wasm_u16x8_extend_low_u8x16(b), hi = wasm_u16x8_extend_high_u8x16(b);
  q[0] = wasm_u32x4_extend_low_u16x8(lo);
  q[1] = wasm_u32x4_extend_high_u16x8(lo);
  q[2] = wasm_u32x4_extend_low_u16x8(hi);
  q[3] = wasm_u32x4_extend_high_u16x8(hi);
}

/* 16 int32 lanes (four vectors) to 16 bytes, clamped to 0..255 by the saturating narrows. */
static inline v128_t narrow(const v128_t v[4])
{
  return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(v[0], v[1]), wasm_i16x8_narrow_i32x4(v[2], v[3]));
}

/* A row of n pixels to packed RGB (3 bytes a pixel). Cost: n · ~4 ops. */
void ycc_rgb_row(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, uint8_t *out, uint32_t n)
{
  const v128_t c128 = wasm_i32x4_splat(128), half = wasm_i32x4_splat(ONE_HALF);
  const v128_t kr = wasm_i32x4_splat(FIX(1.40200)), kb = wasm_i32x4_splat(FIX(1.77200));
  const v128_t kgb = wasm_i32x4_splat(-FIX(0.34414)), kgr = wasm_i32x4_splat(-FIX(0.71414));
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16, out += 48) {
    v128_t yq[4], cbq[4], crq[4], r[4], g[4], b[4];
    widen(wasm_v128_load(y + i), yq);
    widen(wasm_v128_load(cb + i), cbq);
    widen(wasm_v128_load(cr + i), crq);
#define QUARTER(q)                                                                                                              \
  do {                                                                                                                          \
    const v128_t cbc = wasm_i32x4_sub(cbq[q], c128), crc = wasm_i32x4_sub(crq[q], c128);                                        \
    r[q] = wasm_i32x4_add(yq[q], wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_mul(crc, kr), half), SCALEBITS));                     \
    g[q] = wasm_i32x4_add(yq[q], wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_mul(cbc, kgb), wasm_i32x4_mul(crc, kgr)), half), SCALEBITS)); \
    b[q] = wasm_i32x4_add(yq[q], wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_mul(cbc, kb), half), SCALEBITS));                     \
  } while (0)
    QUARTER(0);
    QUARTER(1);
    QUARTER(2);
    QUARTER(3);
#undef QUARTER
    const v128_t R = narrow(r), G = narrow(g), B = narrow(b);
    wasm_v128_store(out, SHUFFLE16(PLUS_B, SHUFFLE16(RG, R, G, 0), B, 0));
    wasm_v128_store(out + 16, SHUFFLE16(PLUS_B, SHUFFLE16(RG, R, G, 1), B, 1));
    wasm_v128_store(out + 32, SHUFFLE16(PLUS_B, SHUFFLE16(RG, R, G, 2), B, 2));
  }
  for (; i < n; i++, out += 3) ycc_rgb_pixel(y[i], cb[i], cr[i], out, out + 1, out + 2);
}
