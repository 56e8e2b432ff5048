/**
 * Node-only file helpers (browser code passes bytes to the readers directly). Every file a command
 * or the API reads from disk goes through `readRegularFile`: it opens without blocking, checks the
 * opened descriptor is a regular file (a FIFO, device, socket or directory is refused by name,
 * never read or waited on) and no larger than what that kind of file can be, then reads exactly
 * its size.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { parseJsonBounded } from './json.js';
import { SIZE_LIMITS, type SizedKind } from './size-limits.js';

export class FileReadError extends Error {
  override name = 'FileReadError';
}

/** The largest file of each kind read from disk (size-limits.ts). */
export const FILE_LIMITS = SIZE_LIMITS;

export type FileKind = SizedKind;

const KIND_OF = (s: import('node:fs').Stats): string | null =>
  s.isFile() ? null : s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a FIFO (named pipe)' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isSocket() ? 'a socket' : 'not a regular file';

/** The bytes of the regular file at `path`; an error naming the path and what is wrong otherwise. */
export async function readRegularFile(path: string, kind: FileKind = 'any', maxBytes: number = FILE_LIMITS[kind]): Promise<Uint8Array> {
  const what = kind === 'any' ? 'file' : kind === 'tokens' ? 'token-id file' : kind === 'labels' ? 'label file' : kind;
  let fh: import('node:fs/promises').FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A socket cannot be opened at all (ENXIO): say what it is.
    const kind = code === 'ENXIO' || code === 'EOPNOTSUPP' ? await stat(path).then(KIND_OF, () => null) : null;
    if (kind) throw new FileReadError(`${path}: is ${kind}, not a file`);
    throw new FileReadError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'ENOTDIR' ? 'a part of the path is not a folder' : (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    const not = KIND_OF(st);
    const a = /^[aeiou]/.test(what) ? 'an' : 'a';
    if (not) throw new FileReadError(`${path}: is ${not}, not a file${not === 'a directory' ? '' : `; ${a} ${what} must be a regular file`}`);
    if (st.size > maxBytes) throw new FileReadError(`${path}: ${st.size} bytes, more than ${a} ${what} can be (${maxBytes} bytes)`);
    // Exactly the size fstat gave: a file that grows meanwhile cannot make the read unbounded.
    return await readFully(fh, st.size);
  } finally {
    await fh.close();
  }
}

/** The first `size` bytes of an open file (fewer if it is shorter), read from its start. */
export async function readFully(fh: import('node:fs/promises').FileHandle, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const { bytesRead } = await fh.read(out, at, size - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at === size ? out : out.subarray(0, at);
}

/** The file's bytes (any kind); a missing file, a directory or anything not a regular file gets an error naming the path. */
export async function readBytes(path: string, kind: FileKind = 'any'): Promise<Uint8Array> {
  return readRegularFile(path, kind);
}

/** A UTF-8 text file of `kind` (labels, configs, token ids). */
export async function readTextFile(path: string, kind: FileKind): Promise<string> {
  const bytes = await readRegularFile(path, kind);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FileReadError(`${path}: not UTF-8 text`);
  }
}

/** A JSON file of `kind`, size-capped and nesting-limited before it is parsed. */
export async function readJsonFile(path: string, kind: FileKind, maxDepth = 32): Promise<unknown> {
  return parseJsonBounded(await readTextFile(path, kind), path, maxDepth);
}

