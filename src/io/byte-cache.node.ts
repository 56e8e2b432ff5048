/**
 * The Node download cache: a folder (MOBILECLIP_CACHE, else the platform's cache folder:
 * $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows,
 * each + /mobileclip-webgpu). Each URL is two files named by the URL's sha256: `<key>.bin`, the
 * body, and `<key>.json`, what it is (URL, size, ETag, sha256). Both are written atomically and
 * the description last, so an entry exists only once its body is complete.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { type ByteCache, type CacheEntryInfo, checkedEntry } from './byte-cache.js';
import { writeFileAtomic } from './write-output.js';

export function defaultCacheDir(): string {
  const env = process.env.MOBILECLIP_CACHE;
  if (env) return env;
  const home = homedir();
  if (platform() === 'darwin') return join(home, 'Library', 'Caches', 'mobileclip-webgpu');
  if (platform() === 'win32') return join(process.env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'mobileclip-webgpu', 'Cache');
  return join(process.env.XDG_CACHE_HOME || join(home, '.cache'), 'mobileclip-webgpu');
}

export class FolderCache implements ByteCache {
  constructor(readonly where: string = defaultCacheDir()) {}

  private paths(url: string): { bin: string; json: string } {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 40);
    return { bin: join(this.where, `${key}.bin`), json: join(this.where, `${key}.json`) };
  }

  async get(url: string): Promise<Uint8Array | null> {
    const p = this.paths(url);
    let info: CacheEntryInfo;
    try {
      info = JSON.parse(await readFile(p.json, 'utf8')) as CacheEntryInfo;
    } catch {
      return null; // no entry (or a description that is not ours: treated as none, replaced on the next put)
    }
    if (info.url !== url || !Number.isSafeInteger(info.size)) return null;
    try {
      if ((await stat(p.bin)).size !== info.size) {
        await this.delete(url);
        return null;
      }
      const buf = await readFile(p.bin);
      return checkedEntry(this, info, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch {
      await this.delete(url);
      return null;
    }
  }

  async put(info: CacheEntryInfo, bytes: Uint8Array): Promise<void> {
    const p = this.paths(info.url);
    try {
      await mkdir(this.where, { recursive: true });
      await rm(p.json, { force: true });
      await writeFileAtomic(p.bin, bytes);
      await writeFileAtomic(p.json, JSON.stringify(info, null, 1) + '\n');
    } catch (e) {
      // A cache that cannot be written costs the next run a download, never this run its result.
      process.emitWarning(`mobileclip: could not cache ${info.url} in ${this.where} (${(e as Error).message})`);
    }
  }

  async delete(url: string): Promise<void> {
    const p = this.paths(url);
    await rm(p.json, { force: true });
    await rm(p.bin, { force: true });
  }
}
