/** Node-only file helpers (browser code passes bytes to the readers directly). */
import { readFile } from 'node:fs/promises';
import { SafetensorsFile } from './safetensors.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import { SimpleTokenizer, TokenizerError } from '../tokenizer/simple-tokenizer.js';

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

/** The CLIP tokenizer from the user's `bpe_simple_vocab_16e6.txt.gz`. */
export async function loadTokenizer(path: string): Promise<SimpleTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    throw new TokenizerError(`cannot read the BPE vocabulary ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return SimpleTokenizer.fromGzip(bytes);
}
