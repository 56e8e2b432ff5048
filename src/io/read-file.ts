/** Node-only file helpers (browser code passes bytes to the readers directly). */
import { readFile } from 'node:fs/promises';
import { SafetensorsFile } from './safetensors.js';
import { readCheckpoint, type Checkpoint, type CheckpointReadOptions } from './checkpoint.js';
import { SimpleTokenizer, TokenizerError } from '../tokenizer/simple-tokenizer.js';

/** The file's bytes; a missing file or a directory gets an error naming the path. */
export async function readBytes(path: string): Promise<Uint8Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (e as Error).message}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.parse(await readBytes(path), path);
}

/** Reads a .pt or .safetensors checkpoint from disk (format detected from the bytes). */
export async function readCheckpointFile(path: string, opts: CheckpointReadOptions = {}): Promise<Checkpoint> {
  return readCheckpoint(await readBytes(path), path, opts);
}

/** The CLIP tokenizer from the user's `bpe_simple_vocab_16e6.txt.gz`. */
export async function loadTokenizer(path: string): Promise<SimpleTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    throw new TokenizerError(`cannot read the BPE vocabulary ${(e as Error).message}`);
  }
  return SimpleTokenizer.fromGzip(bytes);
}
