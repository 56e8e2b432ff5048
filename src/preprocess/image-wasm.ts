/**
 * The image codec module: libjpeg-turbo 3.1 compiled to WebAssembly with our own kernels linked in
 * (scripts/build-jpeg-wasm.mjs; the resize of src/preprocess/native), one instance per thread,
 * loaded from a platform source (a file in Node, bundled bytes in the browser build). JPEG
 * decoding (jpeg-turbo.ts) and the resize (pil-resize-wasm.ts) both run in it.
 */

export class JpegDecodeError extends Error {
  override name = 'JpegDecodeError';
}

export interface TurboExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(n: number): number;
  free(p: number): void;
  tj3Init(initType: number): number;
  tj3Set(h: number, param: number, value: number): number;
  tj3Get(h: number, param: number): number;
  tj3GetErrorStr(h: number): number;
  tj3DecompressHeader(h: number, src: number, size: number): number;
  tj3Decompress8(h: number, src: number, size: number, dst: number, pitch: number, pf: number): number;
  tj3Destroy(h: number): void;
  /** Our kernels linked into the module (src/preprocess/native, driven by pil-resize-wasm.ts). */
  pil_resize_horizontal(src: number, inW: number, height: number, ch: number, dst: number, outW: number, bounds: number, kx: number, stride: number): void;
  pil_resize_vertical(src: number, rowLen: number, dst: number, outH: number, bounds: number, k: number, ksize: number): void;
  /** 0: libjpeg-turbo's plain C code for everything (scripts/jpeg-wasm/jsimd-wasm.c); 1 (the default): its SIMD where the build has it. For tests. */
  jpeg_simd_enable(on: number): void;
}

/** A decode that grew the wasm memory past this drops the instance, so the memory can be reclaimed. */
const KEEP_MEMORY_BYTES = 256 << 20;

let source: (() => Promise<Uint8Array>) | null = null;
let compiled: Promise<WebAssembly.Module> | null = null;
let instance: Promise<TurboExports> | null = null;
/** The current instance once it is ready (what synchronous callers, the resize, use). */
let ready: TurboExports | null = null;

/** Where the wasm comes from: set once by the platform entry point. */
export function setJpegWasmSource(load: () => Promise<Uint8Array>): void {
  source = load;
  compiled = null;
  instance = null;
  ready = null;
}

/** The module's exports if an instance is ready (initJpegDecoder resolved), else null: no loading. */
export const loadedJpegModule = (): TurboExports | null => ready;

/** Thrown through the wasm by libjpeg's longjmp (the build has no setjmp): see decodeJpegTurbo. */
export class LibjpegUnwind extends Error {}

function longjmpUnsupported(): never {
  // libjpeg reports fatal errors by longjmp; without it we unwind with an exception. The message
  // was written to the handle's error string first (tj3GetErrorStr).
  throw new LibjpegUnwind('libjpeg error');
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
    // The imports scripts/build-jpeg-wasm.mjs allows; libjpeg calls none of the WASI ones (its
    // messages go through TurboJPEG's error manager), they are linked in by unused libc paths.
    const imports = {
      env: { longjmp: longjmpUnsupported },
      wasi_snapshot_preview1: {
        proc_exit: stub('proc_exit'),
        fd_close: stub('fd_close'),
        fd_seek: stub('fd_seek'),
        fd_write: stub('fd_write'),
      },
    };
    const inst = await WebAssembly.instantiate(module, imports);
    const ex = inst.exports as unknown as TurboExports;
    ex._initialize();
    ready = ex;
    return ex;
  });
  return instance;
}

/** Forgets an instance that must not be used again (the next initJpegDecoder makes a new one). */
export function dropInstance(ex: TurboExports): void {
  if (ready !== ex) return;
  instance = null;
  ready = null;
}

/** After a call that may have grown the memory (a decode, a resize): a huge one is dropped, so its memory can be reclaimed. */
export function releaseIfLarge(ex: TurboExports): void {
  if (ex.memory.buffer.byteLength > KEEP_MEMORY_BYTES) dropInstance(ex);
}

/**
 * Loads the module where a platform source is set, for the resize after a PNG decode (which needs
 * no JPEG decoder). A failure leaves the TypeScript resize; decoding a JPEG reports it.
 */
export async function preloadJpegModule(): Promise<void> {
  if (source) await initJpegDecoder().catch(() => null);
}

