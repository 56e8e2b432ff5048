/** Node: the libjpeg-turbo wasm is read from the installed @cwasm/jpeg-turbo package. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export const nodeJpegWasm = async (): Promise<Uint8Array> => new Uint8Array(await readFile(createRequire(import.meta.url).resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm')));
