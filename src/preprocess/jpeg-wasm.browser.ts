/** Browser: the libjpeg-turbo wasm is bundled as bytes (esbuild's binary loader, see scripts/build.mjs). */
import wasm from './jpeg-turbo.wasm';

export const browserJpegWasm = async (): Promise<Uint8Array> => wasm;
