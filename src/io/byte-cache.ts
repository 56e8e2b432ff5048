/**
 * A cache of downloaded files keyed by URL (Node: a folder; browsers: Cache Storage). An entry is
 * written only after the whole body arrived and was checked, and is checked again when read (its
 * size, and its sha256 when one was recorded), so a failed, truncated or corrupted download never
 * loads as a model: a bad entry is dropped and reads as a miss.
 */
export interface CacheEntryInfo {
  url: string;
  size: number;
  /** The server's ETag, as it sent it. */
  etag?: string;
  /** sha256 of the body (hex), when the server named one (a hub's ETag) or we computed it. */
  sha256?: string;
}

export interface ByteCache {
  /** Where the entries live (a folder, or the Cache Storage name), for messages. */
  readonly where: string;
  get(url: string): Promise<Uint8Array | null>;
  /** What was recorded for `url` (its ETag and sha256), without reading the body; null when not cached. */
  info?(url: string): Promise<CacheEntryInfo | null>;
  put(info: CacheEntryInfo, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<void>;
  /**
   * Where a download of `url` is written as it arrives, to become its entry (Node: a temporary
   * file in the cache folder, hashed as it is written, so a large or endless body is never held in
   * memory); absent where bodies are gathered in memory and `put` once complete.
   */
  sink?(url: string): Promise<CacheSink>;
}

/** Where a body goes as it arrives (download.ts): memory, or a cache's temporary file. */
export interface BodySink {
  /** Appends a chunk; its bytes are copied or written before the promise settles. */
  write(chunk: Uint8Array): Promise<void>;
  /** Everything written, once the body is complete. */
  bytes(): Promise<Uint8Array>;
  /** sha256 (hex) of everything written, where the sink hashes as it goes. */
  sha256?(): string;
  /** Drops what was written (an error, or a body refused after all). */
  abort(): Promise<void>;
}

/** A cache's sink: `commit` makes what was written the entry of its URL. */
export interface CacheSink extends BodySink {
  commit(info: CacheEntryInfo): Promise<void>;
}

/** A sink in memory: one buffer, presized from Content-Length when sent, grown otherwise (up to `max`). */
export function memorySink(total: number | undefined, max: number): BodySink {
  let buf = new Uint8Array(total ?? Math.min(1 << 20, max));
  let loaded = 0;
  return {
    async write(c) {
      if (loaded + c.byteLength > buf.byteLength) {
        const grown = new Uint8Array(Math.min(max, Math.max(2 * buf.byteLength, loaded + c.byteLength)));
        grown.set(buf.subarray(0, loaded));
        buf = grown;
      }
      buf.set(c, loaded);
      loaded += c.byteLength;
    },
    async bytes() {
      return loaded === buf.byteLength ? buf : buf.slice(0, loaded);
    },
    async abort() {
      buf = new Uint8Array(0);
      loaded = 0;
    },
  };
}

/** Hex sha256 of `bytes` through Web Crypto (Node ≥ 20 and every browser with a secure context). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256: Web Crypto (crypto.subtle) is not available here (a browser needs a secure context: https or localhost)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** An ETag's value without its weak prefix and quotes, lower-case (how two are compared). */
export const etagValue = (v: string): string => v.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();

/**
 * The sha256 a server's headers name for the body: the Hugging Face hub sends it as the ETag
 * (or X-Linked-Etag, before a CDN redirect) of large (LFS) files. Undefined when none is named.
 */
export function sha256FromHeaders(headers: { get(name: string): string | null }): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const got = headers.get(name);
    const v = got === null ? undefined : etagValue(got);
    if (v && /^[0-9a-f]{64}$/.test(v)) return v;
  }
  return undefined;
}

/** Reads an entry back and checks it against what was recorded; null (and the entry dropped) when it does not match. */
export async function checkedEntry(cache: ByteCache, info: CacheEntryInfo, bytes: Uint8Array): Promise<Uint8Array | null> {
  const ok = bytes.byteLength === info.size && (!info.sha256 || (await sha256Hex(bytes)) === info.sha256);
  if (ok) return bytes;
  await cache.delete(info.url);
  return null;
}
