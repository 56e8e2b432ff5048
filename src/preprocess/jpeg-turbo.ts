/**
 * JPEG decoding with libjpeg-turbo 3.1 compiled to WebAssembly (scripts/build-jpeg-wasm.mjs builds
 * it from the upstream release). PIL decodes JPEG with libjpeg-turbo too (default islow IDCT,
 * fancy upsampling), so pixels match it exactly, where a pure-JS decoder with nearest-neighbour
 * chroma upsampling was off by up to 14 levels on the fixture photo. We drive the TurboJPEG API
 * (tj3*) ourselves; the wasm bytes come from a platform source (a file in Node, bundled bytes in
 * the browser build: image-wasm.ts), and the decoding code is the same on both.
 */
import { dropInstance, JpegDecodeError, LibjpegUnwind, releaseIfLarge, type TurboExports } from './image-wasm.js';
import { type PilImage, toRgb } from './pil-image.js';
import { overPixelCap } from './pixel-cap.js';

// Enumerations from turbojpeg.h (TJINIT, TJPARAM, TJPF, TJCS).
const TJINIT_DECOMPRESS = 1;
const TJPARAM_STOPONWARNING = 0;
const TJPARAM_JPEGWIDTH = 5;
const TJPARAM_JPEGHEIGHT = 6;
const TJPARAM_COLORSPACE = 8;
const TJPARAM_SCANLIMIT = 13;
const TJPF_RGB = 0;
const TJPF_GRAY = 6;
const TJPF_CMYK = 11;
const TJCS_GRAY = 2;
const TJCS_CMYK = 3;
const TJCS_YCCK = 4;
/**
 * Progressive files of more scans are refused: every scan is a pass over the whole coefficient
 * buffer, so repeated scans are a known way to make a small file take minutes to decode.
 */
export const JPEG_SCAN_LIMIT = 500;
/** The handle's last error message (TurboJPEG keeps it in the instance; reading it needs no stack). */
function errorString(ex: TurboExports, handle: number): string {
  const p = ex.tj3GetErrorStr(handle);
  const bytes = new Uint8Array(ex.memory.buffer, p, Math.min(200, ex.memory.buffer.byteLength - p));
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

/**
 * Decodes to the image PIL opens (mode L, RGB or CMYK) and its `convert('RGB')`; `ex` from
 * initJpegDecoder(). CMYK and YCCK files are decoded to CMYK by libjpeg and inverted as PIL always
 * does ("assume adobe conventions", with or without the Adobe marker); pil-image.ts converts them.
 */
export function decodeJpegTurbo(ex: TurboExports, input: Uint8Array, name: string, maxPixels: number): { width: number; height: number; data: Uint8Array; mode: string; native: PilImage } {
  const src = ex.malloc(input.byteLength);
  if (src !== 0) new Uint8Array(ex.memory.buffer, src, input.byteLength).set(input);
  const handle = ex.tj3Init(TJINIT_DECOMPRESS);
  let out = 0;
  let unwound = false;
  let trap: unknown = null;
  /**
   * Runs a TurboJPEG call. A longjmp (a fatal error, or a warning: STOPONWARNING) arrives as a
   * LibjpegUnwind; a trap (e.g. out of bounds) as a RuntimeError. Either leaves the instance unusable.
   */
  const call = (f: () => number): number => {
    try {
      return f();
    } catch (e) {
      unwound = true;
      if (!(e instanceof LibjpegUnwind)) trap = e;
      return -1;
    }
  };
  /** The error for a failed call: the scan limit and the sample precision by name, anything else as corrupt data. */
  const failure = (what: string): JpegDecodeError => {
    const message = trap ? String(trap) : errorString(ex, handle);
    if (/more than \d+ scans/.test(message)) return new JpegDecodeError(`${name}: progressive JPEG with more than ${JPEG_SCAN_LIMIT} scans (refused: each scan is a pass over the whole image)`);
    const precision = /Unsupported JPEG data precision (\d+)/.exec(message);
    if (precision) return new JpegDecodeError(`${name}: a ${precision[1]}-bit JPEG; only 8-bit JPEGs are decoded (as PIL does)`);
    return new JpegDecodeError(`${name}: ${what} (libjpeg-turbo: ${message})`);
  };
  try {
    if (src === 0) throw new JpegDecodeError(`${name}: a ${input.byteLength}-byte JPEG does not fit in memory`);
    if (handle === 0) throw new JpegDecodeError(`${name}: could not allocate a JPEG decompressor`);
    // Like PIL (without LOAD_TRUNCATED_IMAGES), a warning such as premature end of data is an error.
    if (ex.tj3Set(handle, TJPARAM_STOPONWARNING, 1) !== 0 || ex.tj3Set(handle, TJPARAM_SCANLIMIT, JPEG_SCAN_LIMIT) !== 0) {
      throw new JpegDecodeError(`${name}: could not configure the JPEG decompressor (${errorString(ex, handle)})`);
    }
    if (call(() => ex.tj3DecompressHeader(handle, src, input.byteLength)) !== 0) throw failure('corrupt JPEG (unreadable header)');
    const width = ex.tj3Get(handle, TJPARAM_JPEGWIDTH);
    const height = ex.tj3Get(handle, TJPARAM_JPEGHEIGHT);
    const colourspace = ex.tj3Get(handle, TJPARAM_COLORSPACE);
    if (width <= 0 || height <= 0) throw new JpegDecodeError(`${name}: implausible JPEG size ${width}×${height}`);
    const over = overPixelCap(width, height, name, maxPixels);
    if (over) throw new JpegDecodeError(over);
    const cmyk = colourspace === TJCS_CMYK || colourspace === TJCS_YCCK;
    const grey = colourspace === TJCS_GRAY;
    const samples = cmyk ? 4 : grey ? 1 : 3;
    out = ex.malloc(width * height * samples);
    if (out === 0) throw new JpegDecodeError(`${name}: ${width}×${height} JPEG does not fit in memory`);
    const pf = cmyk ? TJPF_CMYK : grey ? TJPF_GRAY : TJPF_RGB;
    if (call(() => ex.tj3Decompress8(handle, src, input.byteLength, out, width * samples, pf)) !== 0) throw failure('corrupt or truncated JPEG data');
    const decoded = new Uint8Array(ex.memory.buffer, out, width * height * samples).slice();
    if (cmyk) for (let i = 0; i < decoded.length; i++) decoded[i] = 255 - decoded[i];
    const native: PilImage = { mode: cmyk ? 'CMYK' : grey ? 'L' : 'RGB', width, height, data: decoded };
    return { width, height, data: toRgb(native), mode: native.mode, native };
  } finally {
    if (src) ex.free(src);
    if (out) ex.free(out);
    if (handle && !unwound) ex.tj3Destroy(handle);
    if (unwound) dropInstance(ex);
    else releaseIfLarge(ex);
  }
}
