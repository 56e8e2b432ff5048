/**
 * Node: the libjpeg-turbo wasm is read from the file beside this module (src/preprocess in a
 * checkout, built by scripts/build-jpeg-wasm.mjs; dist/node in the package, copied by scripts/build.mjs).
 */
import { readFile } from 'node:fs/promises';

export const nodeJpegWasm = async (): Promise<Uint8Array> => new Uint8Array(await readFile(new URL('./jpeg-turbo.wasm', import.meta.url)));
