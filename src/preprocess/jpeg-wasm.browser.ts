/** Browser: the libjpeg-turbo wasm is bundled as bytes (esbuild's binary loader, see scripts/build.mjs). */
import wasm from './jpeg-turbo.wasm';
import { setJpegWasmSource } from './jpeg-turbo.js';

setJpegWasmSource(async () => wasm);
