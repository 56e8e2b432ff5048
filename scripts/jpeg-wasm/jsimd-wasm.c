/*
 * libjpeg-turbo's SIMD dispatch (the jsimd_* functions its WITH_SIMD build calls) for wasm32:
 *  - fancy upsampling (h2v1, h1v2, h2v2: what 4:2:0, 4:2:2 and 4:4:0 files take) runs
 *    libjpeg-turbo's own Arm Neon intrinsics code (simd/arm/jdsample-neon.c) compiled for wasm
 *    simd128 through SIMDe's Neon headers (scripts/build-jpeg-wasm.mjs);
 *  - YCbCr->RGB and the islow IDCT run our wasm SIMD kernels, src/preprocess/native/ycc-rgb.c
 *    and idct-islow.c.
 * Both are exact, the same bits as libjpeg-turbo's C code (test/preprocess/jpeg-simd.test.ts
 * decodes with jpeg_simd_enable(0) and (1)).
 *
 * (libjpeg-turbo's Neon islow IDCT and YCbCr->RGB compile through SIMDe too, and are exact, but run
 * 2-3x slower than the C code: SIMDe 0.7.4, Debian bookworm's, has no wasm code for the widening
 * multiplies, narrowing shifts and 64-bit halves they use (vmull, vmlal, vqrshrn_n, vcombine...),
 * so it falls back to scalar loops: bench:decode, session 17, 876 ms against 353 ms for a 12 MP
 * decode.) Everything else answers "cannot": the encoder, the reduced-size and fast IDCTs, merged
 * and plain upsampling (not what PIL asks for), RGB565. Those entry points must exist for the link
 * but are never called; they trap if they are.
 */
#define JPEG_INTERNALS
#include "src/jinclude.h"
#include "src/jpeglib.h"
#include "src/jsimd.h"
#include "src/jdct.h"
#include "src/jsimddct.h"
#include "simd/jsimd.h"

/* src/preprocess/native/ycc-rgb.c */
void ycc_rgb_row(const JSAMPLE *y, const JSAMPLE *cb, const JSAMPLE *cr, JSAMPLE *out, JDIMENSION n);
void ycc_rgb_pixel(int y, int cb, int cr, JSAMPLE *r, JSAMPLE *g, JSAMPLE *b);
/* src/preprocess/native/idct-islow.c */
void idct_islow_8x8(const JCOEF *coef, const ISLOW_MULT_TYPE *quant, JSAMPLE **out_rows, JDIMENSION col);

/* On by default; jpeg_simd_enable(0) makes every jsimd_can_* answer 0 (the plain C decoder), for tests. */
static int enabled = 1;

__attribute__((export_name("jpeg_simd_enable"))) void jpeg_simd_enable(int on) { enabled = on != 0; }

/* What the Neon code assumes (aarch64/jsimd.c checks the same). */
#define EIGHT_BIT (BITS_IN_JSAMPLE == 8 && sizeof(JDIMENSION) == 4)

GLOBAL(int) jsimd_can_ycc_rgb(void) { return enabled && EIGHT_BIT; }

/* Packed RGB (what TurboJPEG's TJPF_RGB asks for) a row at a time; the other layouts a pixel at a time, the 4th byte 255 as jdcolor.c sets it. */
GLOBAL(void) jsimd_ycc_rgb_convert(j_decompress_ptr cinfo, JSAMPIMAGE input_buf, JDIMENSION input_row, JSAMPARRAY output_buf, int num_rows)
{
  const J_COLOR_SPACE cs = cinfo->out_color_space;
  const int r = rgb_red[cs], g = rgb_green[cs], b = rgb_blue[cs], size = rgb_pixelsize[cs];
  for (; num_rows > 0; num_rows--, input_row++, output_buf++) {
    const JSAMPLE *y = input_buf[0][input_row], *cb = input_buf[1][input_row], *cr = input_buf[2][input_row];
    JSAMPLE *out = *output_buf;
    if (r == 0 && g == 1 && b == 2 && size == 3) {
      ycc_rgb_row(y, cb, cr, out, cinfo->output_width);
      continue;
    }
    for (JDIMENSION i = 0; i < cinfo->output_width; i++, out += size) {
      ycc_rgb_pixel(y[i], cb[i], cr[i], out + r, out + g, out + b);
      if (size == 4) out[6 - r - g - b] = MAXJSAMPLE;
    }
  }
}

/* The kernel reads the multiplier table as int16, as the Neon code does (MULTIPLIER is short WITH_SIMD). */
GLOBAL(int) jsimd_can_idct_islow(void) { return enabled && DCTSIZE == 8 && sizeof(JCOEF) == 2 && sizeof(ISLOW_MULT_TYPE) == 2 && EIGHT_BIT; }

GLOBAL(void) jsimd_idct_islow(j_decompress_ptr cinfo, jpeg_component_info *compptr, JCOEFPTR coef_block, JSAMPARRAY output_buf, JDIMENSION output_col)
{
  (void)cinfo;
  idct_islow_8x8(coef_block, (const ISLOW_MULT_TYPE *)compptr->dct_table, output_buf, output_col);
}

GLOBAL(int) jsimd_can_h2v2_fancy_upsample(void) { return enabled && EIGHT_BIT; }
GLOBAL(int) jsimd_can_h2v1_fancy_upsample(void) { return enabled && EIGHT_BIT; }
GLOBAL(int) jsimd_can_h1v2_fancy_upsample(void) { return enabled && EIGHT_BIT; }

GLOBAL(void) jsimd_h2v2_fancy_upsample(j_decompress_ptr cinfo, jpeg_component_info *compptr, JSAMPARRAY input_data, JSAMPARRAY *output_data_ptr)
{
  jsimd_h2v2_fancy_upsample_neon(cinfo->max_v_samp_factor, compptr->downsampled_width, input_data, output_data_ptr);
}

GLOBAL(void) jsimd_h2v1_fancy_upsample(j_decompress_ptr cinfo, jpeg_component_info *compptr, JSAMPARRAY input_data, JSAMPARRAY *output_data_ptr)
{
  jsimd_h2v1_fancy_upsample_neon(cinfo->max_v_samp_factor, compptr->downsampled_width, input_data, output_data_ptr);
}

GLOBAL(void) jsimd_h1v2_fancy_upsample(j_decompress_ptr cinfo, jpeg_component_info *compptr, JSAMPARRAY input_data, JSAMPARRAY *output_data_ptr)
{
  jsimd_h1v2_fancy_upsample_neon(cinfo->max_v_samp_factor, compptr->downsampled_width, input_data, output_data_ptr);
}

/* The rest: never chosen, so never called. */
#define CANNOT(name) GLOBAL(int) name(void) { return 0; }
#define UNUSED(ret, name, ...) GLOBAL(ret) name(__VA_ARGS__) { __builtin_trap(); }

CANNOT(jsimd_can_rgb_ycc) CANNOT(jsimd_can_rgb_gray) CANNOT(jsimd_can_ycc_rgb565) CANNOT(jsimd_c_can_null_convert)
CANNOT(jsimd_can_h2v2_downsample) CANNOT(jsimd_can_h2v1_downsample) CANNOT(jsimd_can_h2v2_smooth_downsample)
CANNOT(jsimd_can_h2v2_upsample) CANNOT(jsimd_can_h2v1_upsample) CANNOT(jsimd_can_int_upsample)
CANNOT(jsimd_can_h2v2_merged_upsample) CANNOT(jsimd_can_h2v1_merged_upsample)
CANNOT(jsimd_can_huff_encode_one_block) CANNOT(jsimd_can_encode_mcu_AC_first_prepare) CANNOT(jsimd_can_encode_mcu_AC_refine_prepare)
CANNOT(jsimd_can_convsamp) CANNOT(jsimd_can_convsamp_float) CANNOT(jsimd_can_fdct_islow) CANNOT(jsimd_can_fdct_ifast) CANNOT(jsimd_can_fdct_float)
CANNOT(jsimd_can_quantize) CANNOT(jsimd_can_quantize_float)
CANNOT(jsimd_can_idct_2x2) CANNOT(jsimd_can_idct_4x4) CANNOT(jsimd_can_idct_6x6) CANNOT(jsimd_can_idct_12x12)
CANNOT(jsimd_can_idct_ifast) CANNOT(jsimd_can_idct_float)

UNUSED(void, jsimd_rgb_ycc_convert, j_compress_ptr c, JSAMPARRAY i, JSAMPIMAGE o, JDIMENSION r, int n)
UNUSED(void, jsimd_rgb_gray_convert, j_compress_ptr c, JSAMPARRAY i, JSAMPIMAGE o, JDIMENSION r, int n)
UNUSED(void, jsimd_ycc_rgb565_convert, j_decompress_ptr c, JSAMPIMAGE i, JDIMENSION r, JSAMPARRAY o, int n)
UNUSED(void, jsimd_c_null_convert, j_compress_ptr c, JSAMPARRAY i, JSAMPIMAGE o, JDIMENSION r, int n)
UNUSED(void, jsimd_h2v2_downsample, j_compress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY o)
UNUSED(void, jsimd_h2v2_smooth_downsample, j_compress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY o)
UNUSED(void, jsimd_h2v1_downsample, j_compress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY o)
UNUSED(void, jsimd_h2v2_upsample, j_decompress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY *o)
UNUSED(void, jsimd_h2v1_upsample, j_decompress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY *o)
UNUSED(void, jsimd_int_upsample, j_decompress_ptr c, jpeg_component_info *p, JSAMPARRAY i, JSAMPARRAY *o)
UNUSED(void, jsimd_h2v2_merged_upsample, j_decompress_ptr c, JSAMPIMAGE i, JDIMENSION r, JSAMPARRAY o)
UNUSED(void, jsimd_h2v1_merged_upsample, j_decompress_ptr c, JSAMPIMAGE i, JDIMENSION r, JSAMPARRAY o)
UNUSED(JOCTET *, jsimd_huff_encode_one_block, void *s, JOCTET *b, JCOEFPTR blk, int dc, c_derived_tbl *d, c_derived_tbl *a)
UNUSED(void, jsimd_encode_mcu_AC_first_prepare, const JCOEF *b, const int *o, int sl, int al, UJCOEF *v, size_t *z)
UNUSED(int, jsimd_encode_mcu_AC_refine_prepare, const JCOEF *b, const int *o, int sl, int al, UJCOEF *v, size_t *z)
UNUSED(void, jsimd_convsamp, JSAMPARRAY s, JDIMENSION c, DCTELEM *w)
UNUSED(void, jsimd_convsamp_float, JSAMPARRAY s, JDIMENSION c, FAST_FLOAT *w)
UNUSED(void, jsimd_fdct_islow, DCTELEM *d)
UNUSED(void, jsimd_fdct_ifast, DCTELEM *d)
UNUSED(void, jsimd_fdct_float, FAST_FLOAT *d)
UNUSED(void, jsimd_quantize, JCOEFPTR c, DCTELEM *d, DCTELEM *w)
UNUSED(void, jsimd_quantize_float, JCOEFPTR c, FAST_FLOAT *d, FAST_FLOAT *w)
UNUSED(void, jsimd_idct_2x2, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
UNUSED(void, jsimd_idct_4x4, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
UNUSED(void, jsimd_idct_6x6, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
UNUSED(void, jsimd_idct_12x12, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
UNUSED(void, jsimd_idct_ifast, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
UNUSED(void, jsimd_idct_float, j_decompress_ptr c, jpeg_component_info *p, JCOEFPTR b, JSAMPARRAY o, JDIMENSION col)
