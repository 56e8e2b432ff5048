/**
 * JPEG decoding with libjpeg-turbo compiled to WebAssembly (the `@cwasm/jpeg-turbo` build). PIL
 * decodes JPEG with libjpeg-turbo too (default islow IDCT, fancy upsampling), so pixels match it
 * exactly, where a pure-JS decoder with nearest-neighbour chroma upsampling was off by up to 14
 * levels on the fixture photo. We only take the package's .wasm and drive it ourselves through
 * the TurboJPEG API: its own loader reads the file with Node's fs, which browsers lack. The wasm
 * bytes come from a platform source (a file in Node, bundled bytes in the browser build), and the
 * decoding code is the same on both.
 */
import { type PilImage, toRgb } from './pil-image.js';
import { overPixelCap } from './pixel-cap.js';

export class JpegDecodeError extends Error {
  override name = 'JpegDecodeError';
}

interface TurboExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  tjInitDecompress(): number;
  tjDecompressHeader3(h: number, src: number, size: number, w: number, hgt: number, sub: number, cs: number): number;
  tjDecompress2(h: number, src: number, size: number, dst: number, w: number, pitch: number, hgt: number, pf: number, flags: number): number;
  tjDestroy(h: number): number;
}

const TJPF_RGB = 0;
const TJPF_GRAY = 6;
const TJPF_CMYK = 11;
const TJCS_GRAY = 2;
const TJCS_CMYK = 3;
const TJCS_YCCK = 4;
// Stop at libjpeg's first warning (truncated or corrupt data: an error either way) and refuse
// progressive files of more than 500 scans (a known way to make a small file take minutes).
const TJFLAG_STOPONWARNING = 8192;
const TJFLAG_LIMITSCANS = 32768;
/** A decode that grew the wasm memory past this drops the instance, so the memory can be reclaimed. */
const KEEP_MEMORY_BYTES = 256 << 20;

let source: (() => Promise<Uint8Array>) | null = null;
let compiled: Promise<WebAssembly.Module> | null = null;
let instance: Promise<TurboExports> | null = null;

/** Where the wasm comes from: set once by the platform entry point. */
export function setJpegWasmSource(load: () => Promise<Uint8Array>): void {
  source = load;
  compiled = null;
  instance = null;
}

function longjmpUnsupported(): never {
  // libjpeg reports fatal errors by longjmp; without it we unwind with an exception.
  throw new JpegDecodeError('libjpeg error');
}

/**
 * Loads and instantiates the decoder (asynchronously: browsers refuse large synchronous compiles).
 * The module is compiled once; an instance is replaced after an unwound error (the exception
 * skips the C code's stack-pointer restore) or a huge image (wasm memory never shrinks).
 */
export function initJpegDecoder(): Promise<TurboExports> {
  const load = source;
  if (!load) throw new JpegDecodeError('no JPEG decoder: the platform entry point did not provide the libjpeg-turbo wasm');
  compiled ??= load().then((bytes) => WebAssembly.compile(bytes as BufferSource));
  instance ??= compiled.then(async (module) => {
    const stub = (name: string) => () => {
      throw new JpegDecodeError(`libjpeg-turbo called unsupported ${name}`);
    };
    const imports = {
      env: { setjmp: () => 0, longjmp: longjmpUnsupported },
      wasi_snapshot_preview1: {
        environ_sizes_get: () => 0,
        environ_get: stub('environ_get'),
        proc_exit: stub('proc_exit'),
        fd_close: stub('fd_close'),
        fd_seek: stub('fd_seek'),
        fd_write: stub('fd_write'),
      },
    };
    const inst = await WebAssembly.instantiate(module, imports);
    return inst.exports as unknown as TurboExports;
  });
  return instance;
}

/**
 * Decodes to the image PIL opens (mode L, RGB or CMYK) and its `convert('RGB')`; `ex` from
 * initJpegDecoder(). CMYK and YCCK files are decoded to CMYK by libjpeg and inverted as PIL always
 * does ("assume adobe conventions", with or without the Adobe marker); pil-image.ts converts them.
 */
export function decodeJpegTurbo(ex: TurboExports, input: Uint8Array, name: string, maxPixels: number): { width: number; height: number; data: Uint8Array; mode: string; native: PilImage } {
  const src = ex.malloc(input.byteLength);
  new Uint8Array(ex.memory.buffer, src, input.byteLength).set(input);
  const handle = ex.tjInitDecompress();
  const meta = ex.malloc(16);
  let out = 0;
  let unwound = false;
  try {
    if (handle === 0) throw new JpegDecodeError(`${name}: could not allocate a JPEG decompressor`);
    let status: number;
    try {
      status = ex.tjDecompressHeader3(handle, src, input.byteLength, meta, meta + 4, meta + 8, meta + 12);
    } catch {
      unwound = true;
      status = -1;
    }
    if (status !== 0) throw new JpegDecodeError(`${name}: corrupt JPEG (unreadable header)`);
    const [width, height, , colourspace] = new Int32Array(ex.memory.buffer, meta, 4);
    if (width === 0 || height === 0) throw new JpegDecodeError(`${name}: implausible JPEG size ${width}×${height}`);
    const over = overPixelCap(width, height, name, maxPixels);
    if (over) throw new JpegDecodeError(over);
    const cmyk = colourspace === TJCS_CMYK || colourspace === TJCS_YCCK;
    const grey = colourspace === TJCS_GRAY;
    const samples = cmyk ? 4 : grey ? 1 : 3;
    out = ex.malloc(width * height * samples);
    if (out === 0) throw new JpegDecodeError(`${name}: ${width}×${height} JPEG does not fit in memory`);
    try {
      status = ex.tjDecompress2(handle, src, input.byteLength, out, width, width * samples, height, cmyk ? TJPF_CMYK : grey ? TJPF_GRAY : TJPF_RGB, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS);
    } catch {
      unwound = true;
      status = -1;
    }
    // Like PIL (without LOAD_TRUNCATED_IMAGES), a warning such as premature end of data is an error.
    if (status !== 0) throw new JpegDecodeError(`${name}: corrupt or truncated JPEG data`);
    const decoded = new Uint8Array(ex.memory.buffer, out, width * height * samples).slice();
    if (cmyk) for (let i = 0; i < decoded.length; i++) decoded[i] = 255 - decoded[i];
    const native: PilImage = { mode: cmyk ? 'CMYK' : grey ? 'L' : 'RGB', width, height, data: decoded };
    return { width, height, data: toRgb(native), mode: native.mode, native };
  } finally {
    ex.free(src);
    ex.free(meta);
    if (out) ex.free(out);
    if (handle && !unwound) ex.tjDestroy(handle);
    if (unwound || ex.memory.buffer.byteLength > KEEP_MEMORY_BYTES) instance = null;
  }
}
