/**
 * How every command writes its output (Node): never over one of its inputs, and atomically — into
 * a temporary file in the target's folder, flushed to disk, then renamed over the target — so a
 * full disk, a file-size limit or a crash leaves the old file (or none) in place, never a
 * truncated one. An existing output that is not an input is replaced, as `cp` does.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

/** Throws when `out` is the same file as one of `inputs` (also through links), before any work. */
export function checkOutputPath(out: string, inputs: readonly (string | undefined)[]): void {
  let target;
  try {
    target = statSync(out);
  } catch {
    return; // no such file yet: it cannot be an input
  }
  if (target.isDirectory()) throw new OutputPathError(`${out}: is a directory, not an output file`);
  for (const input of inputs) {
    if (!input) continue;
    try {
      const s = statSync(input);
      if (s.dev === target.dev && s.ino === target.ino) {
        throw new OutputPathError(`${out}: is the input ${input}; refusing to overwrite an input (choose another output path)`);
      }
    } catch (e) {
      if (e instanceof OutputPathError) throw e;
    }
  }
}

/** Temporary files being written now: the CLI removes them on Ctrl-C or SIGTERM (removePendingTemporaries). */
const pending = new Set<string>();

/** Registers a temporary file being written elsewhere (a download streamed into the cache), until `untrackTemporary`. */
export function trackTemporary(path: string): void {
  pending.add(path);
}

export function untrackTemporary(path: string): void {
  pending.delete(path);
}

/** Removes every temporary file this process is writing (synchronously: from a signal handler, before exiting). */
export function removePendingTemporaries(): void {
  for (const t of pending) rmSync(t, { force: true });
  pending.clear();
}

/** A day: a temporary file this old is a leftover of a killed run (SIGKILL, power loss), not one being written. */
export const STALE_TEMPORARY_MS = 24 * 3600 * 1000;

/** The temporary file `path` is written through: `.<name>.<pid>.<8 hex>.tmp` in its folder. */
export const temporaryPath = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/** True for the name of a temporary file of `temporaryPath`'s form (of any file when `of` is not given). */
export function isTemporaryName(name: string, of?: string): boolean {
  const m = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m !== null && (of === undefined || m[1] === basename(of));
}

/** Removes the temporary files in `dir` older than a day that `match` picks (leftovers of killed runs). */
export async function removeStaleTemporaries(dir: string, match: (name: string) => boolean, now = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!match(name)) continue;
    const p = join(dir, name);
    try {
      const s = await lstat(p);
      if (s.isFile() && now - s.mtimeMs > STALE_TEMPORARY_MS) await rm(p, { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** Writes `data` to `path` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await removeStaleTemporaries(dirname(path), (name) => isTemporaryName(name, path));
  const tmp = temporaryPath(path);
  pending.add(tmp);
  try {
    const f = await open(tmp, 'wx');
    try {
      await f.writeFile(data);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`${path}: could not be written (${(e as Error).message}); any previous file is unchanged`);
  } finally {
    pending.delete(tmp);
  }
}
