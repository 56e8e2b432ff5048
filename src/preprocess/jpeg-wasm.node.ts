/**
 * Node: the libjpeg-turbo wasm is read from the file beside this module (src/preprocess in a
 * checkout, built by scripts/build-jpeg-wasm.mjs; dist/node in the package, copied by scripts/build.mjs).
 */
import { readFile } from 'node:fs/promises';
import { setJpegWasmSource } from './jpeg-turbo.js';

setJpegWasmSource(async () => new Uint8Array(await readFile(new URL('./jpeg-turbo.wasm', import.meta.url))));
