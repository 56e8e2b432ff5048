/**
 * The Node download cache: a folder (MOBILECLIP_CACHE, else the platform's cache folder:
 * $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows,
 * each + /mobileclip-webgpu). Each URL is two files named by the URL's sha256: `<key>.bin`, the
 * body, and `<key>.json`, what it is (URL, size, ETag, sha256). Both are written atomically and
 * the description last, so an entry exists only once its body is complete.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { type BodySink, type ByteCache, type CacheEntryInfo, type CacheSink, memorySink, sha256Hex } from './byte-cache.js';
import { isTemporaryName, removeStaleTemporaries, temporaryPath, trackTemporary, untrackTemporary, writeFileAtomic } from './write-output.js';
import { readFully, readRegularFile } from './regular-file.js';
import { parseJsonBounded } from './json.js';

export function defaultCacheDir(): string {
  const env = process.env.MOBILECLIP_CACHE;
  if (env) return env;
  const home = homedir();
  if (platform() === 'darwin') return join(home, 'Library', 'Caches', 'mobileclip-webgpu');
  if (platform() === 'win32') return join(process.env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'mobileclip-webgpu', 'Cache');
  return join(process.env.XDG_CACHE_HOME || join(home, '.cache'), 'mobileclip-webgpu');
}

/** A download being written to the cache is flushed to disk in the background every this many bytes. */
const FLUSH_BYTES = 16 << 20;

export class FolderCache implements ByteCache {
  private swept = false;

  constructor(readonly where: string = defaultCacheDir()) {}

  /** Once per cache object, before its first write: temporary files older than a day are leftovers of killed runs. */
  private async sweep(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    await removeStaleTemporaries(this.where, (name) => isTemporaryName(name));
  }

  /** An entry's description, read as any file from outside is: a regular file, bounded, nesting-limited. */
  private static async readInfo(json: string): Promise<CacheEntryInfo> {
    return parseJsonBounded(new TextDecoder().decode(await readRegularFile(json, 'config', 64 * 1024)), json, 4) as CacheEntryInfo;
  }

  private paths(url: string): { bin: string; json: string } {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 40);
    return { bin: join(this.where, `${key}.bin`), json: join(this.where, `${key}.json`) };
  }

  async info(url: string): Promise<CacheEntryInfo | null> {
    try {
      const info = await FolderCache.readInfo(this.paths(url).json);
      return info.url === url ? info : null;
    } catch {
      return null;
    }
  }

  async get(url: string): Promise<Uint8Array | null> {
    const p = this.paths(url);
    let info: CacheEntryInfo;
    try {
      // Only regular files are read: a FIFO or device planted as an entry is a miss, never a hang.
      info = await FolderCache.readInfo(p.json);
    } catch {
      return null; // no entry (or a description that is not ours: treated as none, replaced on the next put)
    }
    if (info.url !== url || !Number.isSafeInteger(info.size)) return null;
    try {
      const bytes = await readRegularFile(p.bin, 'checkpoint', info.size);
      // Its size and a recorded hash are checked; the hash itself was taken as the file was written
      // (a 1.7 GB L-14 re-hashed took ~3 s every load): `verify()` / `mobileclip cache verify` redo it.
      if (bytes.byteLength !== info.size || !info.sha256) {
        await this.delete(url);
        return null;
      }
      return bytes;
    } catch {
      await this.delete(url);
      return null;
    }
  }

  async put(info: CacheEntryInfo, bytes: Uint8Array): Promise<void> {
    const p = this.paths(info.url);
    try {
      await mkdir(this.where, { recursive: true });
      await this.sweep();
      await rm(p.json, { force: true });
      await writeFileAtomic(p.bin, bytes);
      await writeFileAtomic(p.json, JSON.stringify(info, null, 1) + '\n');
    } catch (e) {
      // A cache that cannot be written costs the next run a download, never this run its result.
      process.emitWarning(`mobileclip: could not cache ${info.url} in ${this.where} (${(e as Error).message})`);
    }
  }

  /** A temporary file in the cache folder, hashed as it is written; `commit` renames it into place. */
  async sink(url: string): Promise<CacheSink> {
    const p = this.paths(url);
    await mkdir(this.where, { recursive: true });
    await this.sweep();
    const tmp = temporaryPath(p.bin);
    trackTemporary(tmp);
    let fh: FileHandle | null = null;
    try {
      fh = await open(tmp, 'wx+');
    } catch (e) {
      untrackTemporary(tmp);
      throw e;
    }
    const file = fh;
    const hash = createHash('sha256');
    let size = 0;
    let closed = false;
    // The commit's sync must not wait for the whole file to reach the disk (~0.2 s for 108 MB
    // here): what is written is flushed in the background as the download goes on.
    let flushed = 0;
    let flushing: Promise<void> = Promise.resolve();
    // A cache that cannot be written (a full disk) costs the next run a download, never this one
    // its result: what was written moves to memory and the download goes on there.
    let memory: BodySink | null = null;
    const close = async () => {
      if (!closed) {
        closed = true;
        await file.close();
      }
    };
    const readBack = () => readFully(file, size);
    return {
      write: async (chunk) => {
        hash.update(chunk);
        let c = chunk;
        if (!memory) {
          let at = 0;
          try {
            // A write can be short (a disk filling up): the rest is written again, or fails.
            while (at < c.byteLength) {
              const { bytesWritten } = await file.write(c, at, c.byteLength - at, size);
              if (bytesWritten === 0) throw new Error('no byte written');
              at += bytesWritten;
              size += bytesWritten;
            }
            if (size - flushed >= FLUSH_BYTES) {
              flushed = size;
              flushing = flushing.then(() => file.datasync()).catch(() => {}); // the commit's sync reports what matters
            }
            return;
          } catch (e) {
            process.emitWarning(`mobileclip: could not cache ${url} in ${this.where} (${(e as Error).message}); downloading into memory`);
            memory = memorySink(undefined, 2 ** 32 - 1);
            await memory.write(await readBack());
            c = c.subarray(at); // the part that reached the file is in what was read back
            await flushing;
            await close();
            await rm(tmp, { force: true });
            untrackTemporary(tmp);
          }
        }
        await memory.write(c);
      },
      bytes: async () => (memory ? memory.bytes() : readBack()),
      sha256: () => hash.copy().digest('hex'),
      commit: async (info) => {
        if (memory) return; // the cache could not be written: nothing to commit
        try {
          await flushing;
          await file.sync();
          await close();
          await rm(p.json, { force: true });
          await rename(tmp, p.bin);
          await writeFileAtomic(p.json, JSON.stringify(info, null, 1) + '\n');
        } catch (e) {
          await rm(tmp, { force: true });
          process.emitWarning(`mobileclip: could not cache ${info.url} in ${this.where} (${(e as Error).message})`);
        } finally {
          untrackTemporary(tmp);
        }
      },
      abort: async () => {
        await flushing;
        await close().catch(() => {});
        await rm(tmp, { force: true });
        untrackTemporary(tmp);
      },
    };
  }

  /** Every entry: what its description says, and the size of its body on disk (null when it is missing). */
  async entries(): Promise<(CacheEntryInfo & { file: string; stored: number | null; written: Date | null })[]> {
    let names: string[];
    try {
      names = await readdir(this.where);
    } catch {
      return [];
    }
    const out: (CacheEntryInfo & { file: string; stored: number | null; written: Date | null })[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{40}\.json$/.test(n)).sort()) {
      const json = join(this.where, name);
      try {
        const info = await FolderCache.readInfo(json);
        const bin = json.replace(/\.json$/, '.bin');
        const s = await lstat(bin).catch(() => null);
        out.push({ ...info, file: bin, stored: s?.isFile() ? s.size : null, written: s ? s.mtime : null });
      } catch {
        /* not one of ours */
      }
    }
    return out;
  }

  /** Re-hashes every entry; a body that is missing, of another size or another sha256 is dropped. Returns what was found. */
  async verify(): Promise<{ url: string; ok: boolean; why?: string }[]> {
    const out: { url: string; ok: boolean; why?: string }[] = [];
    for (const e of await this.entries()) {
      let why: string | undefined;
      try {
        const bytes = await readRegularFile(e.file, 'checkpoint', e.size);
        if (bytes.byteLength !== e.size) why = `${bytes.byteLength} bytes on disk, ${e.size} recorded`;
        else if (!e.sha256) why = 'no sha256 recorded';
        else {
          const got = await sha256Hex(bytes);
          if (got !== e.sha256) why = `sha256 ${got}, ${e.sha256} recorded`;
        }
      } catch (err) {
        why = (err as Error).message;
      }
      if (why) await this.delete(e.url);
      out.push({ url: e.url, ok: !why, ...(why && { why }) });
    }
    return out;
  }

  /** Removes every entry and temporary file of this cache (only the files it names: <40 hex>.bin/.json and its .tmp). Returns the bytes freed. */
  async clear(): Promise<{ entries: number; bytes: number }> {
    let names: string[];
    try {
      names = await readdir(this.where);
    } catch {
      return { entries: 0, bytes: 0 };
    }
    let bytes = 0;
    let entries = 0;
    for (const name of names) {
      if (!/^[0-9a-f]{40}\.(bin|json)$/.test(name) && !(isTemporaryName(name) && /^\.[0-9a-f]{40}\.(bin|json)\./.test(name))) continue;
      const p = join(this.where, name);
      const s = await lstat(p).catch(() => null);
      if (!s?.isFile()) continue;
      bytes += s.size;
      if (name.endsWith('.json')) entries++;
      await rm(p, { force: true });
    }
    return { entries, bytes };
  }

  async delete(url: string): Promise<void> {
    const p = this.paths(url);
    await rm(p.json, { force: true });
    await rm(p.bin, { force: true });
  }
}
