/*
 * Our decoder reads 8-bit JPEGs only, as PIL does (it asks libjpeg for 8-bit samples), so
 * scripts/build-jpeg-wasm.mjs leaves out libjpeg-turbo's 12- and 16-bit modules (the -12 and -16
 * sources under src/wrapper, a third of the binary). jdmaster.c and jdapistd.c still name their
 * decompression initialisers; these take their place and refuse the file the way libjpeg refuses
 * a precision it does not support. jpegint.h declares every one, so a signature that drifts from
 * upstream's is a compile error, and one upstream adds is a link error (never a silent stub).
 */
#define JPEG_INTERNALS
#include "jinclude.h"
#include "jpeglib.h"
#include "jerror.h"

static void refuse(j_decompress_ptr cinfo)
{
  ERREXIT1(cinfo, JERR_BAD_PRECISION, cinfo->data_precision);
}

#define ONE(name) void name(j_decompress_ptr cinfo) { refuse(cinfo); }
#define TWO(name) void name(j_decompress_ptr cinfo, boolean b) { (void)b; refuse(cinfo); }

TWO(j12init_d_main_controller)
TWO(j12init_d_coef_controller)
TWO(j12init_d_post_controller)
TWO(j12init_d_diff_controller)
ONE(j12init_inverse_dct)
ONE(j12init_upsampler)
ONE(j12init_color_deconverter)
ONE(j12init_1pass_quantizer)
ONE(j12init_2pass_quantizer)
ONE(j12init_merged_upsampler)
ONE(j12init_lossless_decompressor)

TWO(j16init_d_main_controller)
TWO(j16init_d_post_controller)
TWO(j16init_d_diff_controller)
ONE(j16init_upsampler)
ONE(j16init_color_deconverter)
ONE(j16init_lossless_decompressor)

/*
 * The encoder's, for the test-only module with the encoder (jpeg-turbo-codec.wasm, never shipped):
 * it makes 8-bit JPEGs only.
 */
static void refuse_c(j_compress_ptr cinfo)
{
  ERREXIT1(cinfo, JERR_BAD_PRECISION, cinfo->data_precision);
}

#define ONE_C(name) void name(j_compress_ptr cinfo) { refuse_c(cinfo); }
#define TWO_C(name) void name(j_compress_ptr cinfo, boolean b) { (void)b; refuse_c(cinfo); }

TWO_C(j12init_c_main_controller)
TWO_C(j12init_c_prep_controller)
TWO_C(j12init_c_coef_controller)
TWO_C(j12init_c_diff_controller)
ONE_C(j12init_color_converter)
ONE_C(j12init_downsampler)
ONE_C(j12init_forward_dct)
ONE_C(j12init_lossless_compressor)

TWO_C(j16init_c_main_controller)
TWO_C(j16init_c_prep_controller)
TWO_C(j16init_c_diff_controller)
ONE_C(j16init_color_converter)
ONE_C(j16init_downsampler)
ONE_C(j16init_lossless_compressor)
