/*
 * JPEG's inverse DCT for the decoder (called by scripts/jpeg-wasm/jsimd-wasm.c in place of
 * libjpeg-turbo's jpeg_idct_islow): the Loeffler–Ligtenberg–Moschytz "islow" algorithm in 32-bit
 * fixed point (13 fractional bits for the constants, 2 extra bits kept between the passes), the
 * same integer operations as libjpeg's jidctint.c, so the same bytes, wrap-around included:
 *  - pass 1, columns: coefficient · quantiser (16-bit · 16-bit), the 1-D IDCT, rounded >> 11; a
 *    column whose AC terms are all 0 gives DC·q << 2 (libjpeg's shortcut, kept because it differs
 *    from the full formula when the sums overflow on corrupt data);
 *  - pass 2, rows: the 1-D IDCT, rounded >> 18 (a row of zero AC terms: (w0 + 16) >> 5), then
 *    libjpeg's range-limit table, which is: the low 10 bits as a signed number, + 128, clamped.
 * Pass 1 runs 4 columns per int32x4 (a row of the block is a vector); the workspace is transposed
 * so that pass 2 runs 4 rows per vector. Cost per 8×8 block: ~200 vector ops (C: ~700 scalar).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define CONST_BITS 13
#define PASS1_BITS 2
/* FIX(c) = round(c · 2^13), the constants of jidctint.c. */
#define FIX_0_298631336 2446
#define FIX_0_390180644 3196
#define FIX_0_541196100 4433
#define FIX_0_765366865 6270
#define FIX_0_899976223 7373
#define FIX_1_175875602 9633
#define FIX_1_501321110 12299
#define FIX_1_847759065 15137
#define FIX_1_961570560 16069
#define FIX_2_053119869 16819
#define FIX_2_562915447 20995
#define FIX_3_072711026 25172

#define ADD wasm_i32x4_add
#define SUB wasm_i32x4_sub
#define MUL(v, c) wasm_i32x4_mul(v, wasm_i32x4_splat(c))

/* The 1-D IDCT of x[0..7] (4 independent lanes), each output (v + 2^(shift-1)) >> shift. */
static inline void idct_1d(const v128_t x[8], v128_t out[8], int shift)
{
  /* Even part. */
  v128_t z1 = MUL(ADD(x[2], x[6]), FIX_0_541196100);
  const v128_t tmp2 = ADD(z1, MUL(x[6], -FIX_1_847759065));
  const v128_t tmp3 = ADD(z1, MUL(x[2], FIX_0_765366865));
  const v128_t tmp0 = wasm_i32x4_shl(ADD(x[0], x[4]), CONST_BITS);
  const v128_t tmp1 = wasm_i32x4_shl(SUB(x[0], x[4]), CONST_BITS);
  const v128_t tmp10 = ADD(tmp0, tmp3), tmp13 = SUB(tmp0, tmp3), tmp11 = ADD(tmp1, tmp2), tmp12 = SUB(tmp1, tmp2);
  /* Odd part. */
  v128_t t0 = x[7], t1 = x[5], t2 = x[3], t3 = x[1];
  z1 = ADD(t0, t3);
  v128_t z2 = ADD(t1, t2), z3 = ADD(t0, t2), z4 = ADD(t1, t3);
  const v128_t z5 = MUL(ADD(z3, z4), FIX_1_175875602);
  t0 = MUL(t0, FIX_0_298631336);
  t1 = MUL(t1, FIX_2_053119869);
  t2 = MUL(t2, FIX_3_072711026);
  t3 = MUL(t3, FIX_1_501321110);
  z1 = MUL(z1, -FIX_0_899976223);
  z2 = MUL(z2, -FIX_2_562915447);
  z3 = ADD(MUL(z3, -FIX_1_961570560), z5);
  z4 = ADD(MUL(z4, -FIX_0_390180644), z5);
  t0 = ADD(t0, ADD(z1, z3));
  t1 = ADD(t1, ADD(z2, z4));
  t2 = ADD(t2, ADD(z2, z3));
  t3 = ADD(t3, ADD(z1, z4));
  const v128_t round = wasm_i32x4_splat(1 << (shift - 1));
#define DESCALE(v) wasm_i32x4_shr(ADD(v, round), shift)
  out[0] = DESCALE(ADD(tmp10, t3));
  out[7] = DESCALE(SUB(tmp10, t3));
  out[1] = DESCALE(ADD(tmp11, t2));
  out[6] = DESCALE(SUB(tmp11, t2));
  out[2] = DESCALE(ADD(tmp12, t1));
  out[5] = DESCALE(SUB(tmp12, t1));
  out[3] = DESCALE(ADD(tmp13, t0));
  out[4] = DESCALE(SUB(tmp13, t0));
#undef DESCALE
}

static inline void transpose4(v128_t *a, v128_t *b, v128_t *c, v128_t *d)
{
  const v128_t t0 = wasm_i32x4_shuffle(*a, *b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(*a, *b, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(*c, *d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(*c, *d, 2, 6, 3, 7);
  *a = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
  *b = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
  *c = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
  *d = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}

/* libjpeg's post-IDCT range limit: the low 10 bits as a signed number, + 128, clamped (by the narrows). */
static inline v128_t range_limit(v128_t v)
{
  return ADD(wasm_i32x4_shr(wasm_i32x4_shl(v, 22), 22), wasm_i32x4_splat(128));
}

/*
 * A DC-only block (common in smooth areas and chroma): every column takes pass 1's shortcut and
 * every row pass 2's, so all 64 pixels are range_limit(((dc·q << 2) + 16) >> 5), the 32-bit sums
 * wrapping as libjpeg's do. Returns 0 (the general path runs) when row 0 has AC terms.
 */
static int dc_only_block(const int16_t *coef, const int16_t *quant, uint8_t **out_rows, uint32_t col)
{
  for (int c = 1; c < 8; c++)
    if (coef[c] != 0) return 0;
  const uint32_t ws = (uint32_t)(coef[0] * quant[0]) << PASS1_BITS;
  int32_t v = (int32_t)(ws + (1u << (PASS1_BITS + 2))) >> (PASS1_BITS + 3);
  v = ((int32_t)((uint32_t)v << 22) >> 22) + 128; /* the low 10 bits, signed, + 128 */
  const v128_t row = wasm_i8x16_splat((int8_t)(v < 0 ? 0 : v > 255 ? 255 : v));
  for (int r = 0; r < 8; r++) wasm_v128_store64_lane(out_rows[r] + col, row, 0);
  return 1;
}

/*
 * One 8×8 block: coef and quant row-major (64 int16 each, libjpeg's coefficient block and the
 * component's ISLOW multiplier table), out_rows[r] + col the 8 output bytes of row r.
 */
void idct_islow_8x8(const int16_t *coef, const int16_t *quant, uint8_t **out_rows, uint32_t col)
{
  /* Pass 1, per half h (columns 4h..4h+3): in[r] = coef[r][..] · quant[r][..]. */
  v128_t ws[2][8];
  const v128_t zero16 = wasm_i16x8_splat(0);
  v128_t ac = zero16;
  for (int r = 1; r < 8; r++) ac = wasm_v128_or(ac, wasm_v128_load(coef + 8 * r));
  const v128_t ac_zero = wasm_i16x8_eq(ac, zero16);
  if (!wasm_v128_any_true(ac) && dc_only_block(coef, quant, out_rows, col)) return;
  for (int h = 0; h < 2; h++) {
    v128_t in[8];
    for (int r = 0; r < 8; r++) {
      const v128_t c = wasm_v128_load(coef + 8 * r), q = wasm_v128_load(quant + 8 * r);
      in[r] = h == 0 ? wasm_i32x4_extmul_low_i16x8(c, q) : wasm_i32x4_extmul_high_i16x8(c, q);
    }
    idct_1d(in, ws[h], CONST_BITS - PASS1_BITS);
    const v128_t shortcut = h == 0 ? wasm_i32x4_extend_low_i16x8(ac_zero) : wasm_i32x4_extend_high_i16x8(ac_zero);
    const v128_t dc = wasm_i32x4_shl(in[0], PASS1_BITS);
    for (int r = 0; r < 8; r++) ws[h][r] = wasm_v128_bitselect(dc, ws[h][r], shortcut);
  }
  /* Transpose: x[h][k] = column k of the workspace for rows 4h..4h+3. */
  v128_t x[2][8];
  for (int h = 0; h < 2; h++) {
    for (int kh = 0; kh < 2; kh++) {
      v128_t a = ws[kh][4 * h], b = ws[kh][4 * h + 1], c = ws[kh][4 * h + 2], d = ws[kh][4 * h + 3];
      transpose4(&a, &b, &c, &d);
      x[h][4 * kh] = a;
      x[h][4 * kh + 1] = b;
      x[h][4 * kh + 2] = c;
      x[h][4 * kh + 3] = d;
    }
  }
  /* Pass 2, 4 rows per vector; then the bytes, y[k] = output column k for rows 0..7. */
  v128_t y[8];
  for (int h = 0; h < 2; h++) {
    v128_t o[8];
    idct_1d(x[h], o, CONST_BITS + PASS1_BITS + 3);
    v128_t acr = x[h][1];
    for (int k = 2; k < 8; k++) acr = wasm_v128_or(acr, x[h][k]);
    const v128_t row_zero = wasm_i32x4_eq(acr, wasm_i32x4_splat(0));
    const v128_t dc = wasm_i32x4_shr(ADD(x[h][0], wasm_i32x4_splat(1 << (PASS1_BITS + 2))), PASS1_BITS + 3);
    for (int k = 0; k < 8; k++) {
      const v128_t v = range_limit(wasm_v128_bitselect(dc, o[k], row_zero));
      y[k] = h == 0 ? v : wasm_i16x8_narrow_i32x4(y[k], v);
    }
  }
  /* v[j] = [column 2j, rows 0..7 | column 2j+1, rows 0..7] as bytes; then an 8×8 byte transpose. */
  v128_t v[4];
  for (int j = 0; j < 4; j++) v[j] = wasm_u8x16_narrow_i16x8(y[2 * j], y[2 * j + 1]);
  const v128_t wa = wasm_i8x16_shuffle(v[0], v[1], 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
  const v128_t wb = wasm_i8x16_shuffle(v[0], v[1], 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
  const v128_t xa = wasm_i8x16_shuffle(v[2], v[3], 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
  const v128_t xb = wasm_i8x16_shuffle(v[2], v[3], 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
  const v128_t r01 = wasm_i8x16_shuffle(wa, xa, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const v128_t r23 = wasm_i8x16_shuffle(wa, xa, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const v128_t r45 = wasm_i8x16_shuffle(wb, xb, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const v128_t r67 = wasm_i8x16_shuffle(wb, xb, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  wasm_v128_store64_lane(out_rows[0] + col, r01, 0);
  wasm_v128_store64_lane(out_rows[1] + col, r01, 1);
  wasm_v128_store64_lane(out_rows[2] + col, r23, 0);
  wasm_v128_store64_lane(out_rows[3] + col, r23, 1);
  wasm_v128_store64_lane(out_rows[4] + col, r45, 0);
  wasm_v128_store64_lane(out_rows[5] + col, r45, 1);
  wasm_v128_store64_lane(out_rows[6] + col, r67, 0);
  wasm_v128_store64_lane(out_rows[7] + col, r67, 1);
}
