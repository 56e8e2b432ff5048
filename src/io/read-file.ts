/** Node-only: read a whole file into a Uint8Array (browser code passes bytes directly). */
import { readFile } from 'node:fs/promises';
import { SafetensorsFile } from './safetensors.js';

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const buf = await readFile(path);
  return SafetensorsFile.parse(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
