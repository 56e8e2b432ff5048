/** Node-only file helpers (browser code passes bytes to the readers directly). */
import { readFile } from 'node:fs/promises';
import { SafetensorsFile } from './safetensors.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';

async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.parse(await readBytes(path), path);
}

/** Reads a .pt or .safetensors checkpoint from disk (format detected from the bytes). */
export async function readCheckpointFile(path: string): Promise<Checkpoint> {
  return readCheckpoint(await readBytes(path), path);
}
