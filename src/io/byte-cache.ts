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
  put(info: CacheEntryInfo, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<void>;
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

/**
 * The sha256 a server's headers name for the body: the Hugging Face hub sends it as the ETag
 * (or X-Linked-Etag, before a CDN redirect) of large (LFS) files. Undefined when none is named.
 */
export function sha256FromHeaders(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const v = headers.get(name)?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
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
