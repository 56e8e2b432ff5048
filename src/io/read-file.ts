/** Node-only file helpers (browser code passes bytes to the readers directly). */
import { SafetensorsFile } from './safetensors.js';
import { readCheckpoint, type Checkpoint, type CheckpointReadOptions } from './checkpoint.js';
import { SimpleTokenizer, TokenizerError } from '../tokenizer/simple-tokenizer.js';
import { readRegularFile } from './regular-file.js';

export { FILE_LIMITS, FileReadError, type FileKind, readBytes, readJsonFile, readRegularFile, readTextFile } from './regular-file.js';

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.parse(await readRegularFile(path, 'checkpoint'), path);
}

/** Reads a .pt or .safetensors checkpoint from disk (format detected from the bytes). */
export async function readCheckpointFile(path: string, opts: CheckpointReadOptions = {}): Promise<Checkpoint> {
  return readCheckpoint(await readRegularFile(path, 'checkpoint'), path, opts);
}

/** The CLIP tokenizer from the user's `bpe_simple_vocab_16e6.txt.gz`. */
export async function loadTokenizer(path: string): Promise<SimpleTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, 'vocabulary');
  } catch (e) {
    throw new TokenizerError(`cannot read the BPE vocabulary ${(e as Error).message}`);
  }
  return SimpleTokenizer.fromGzip(bytes);
}
