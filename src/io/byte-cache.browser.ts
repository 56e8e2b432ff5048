/**
 * The browser download cache: Cache Storage (`caches`, in pages and workers of a secure context),
 * one entry per URL whose headers record the size and sha256; absent (no caching) where the
 * environment has no Cache Storage. Written only after the body was complete and checked.
 */
import { type ByteCache, type CacheEntryInfo, checkedEntry } from './byte-cache.js';

export const BROWSER_CACHE_NAME = 'mobileclip-webgpu-v1';

export class CacheStorageCache implements ByteCache {
  constructor(readonly where: string = BROWSER_CACHE_NAME) {}

  static available(): boolean {
    return typeof caches !== 'undefined';
  }

  async get(url: string): Promise<Uint8Array | null> {
    const cache = await caches.open(this.where);
    const r = await cache.match(url);
    if (!r) return null;
    const size = Number(r.headers.get('x-mobileclip-size'));
    if (!Number.isSafeInteger(size)) {
      await this.delete(url);
      return null;
    }
    const info: CacheEntryInfo = { url, size, sha256: r.headers.get('x-mobileclip-sha256') ?? undefined };
    return checkedEntry(this, info, new Uint8Array(await r.arrayBuffer()));
  }

  async info(url: string): Promise<CacheEntryInfo | null> {
    const r = await (await caches.open(this.where)).match(url);
    const size = Number(r?.headers.get('x-mobileclip-size'));
    if (!r || !Number.isSafeInteger(size)) return null;
    return { url, size, sha256: r.headers.get('x-mobileclip-sha256') ?? undefined, etag: r.headers.get('etag') ?? undefined };
  }

  /** The size recorded for `url`'s entry, without reading its body (a page saying what is saved); null when there is none. */
  async storedSize(url: string): Promise<number | null> {
    return (await this.info(url))?.size ?? null;
  }

  async put(info: CacheEntryInfo, bytes: Uint8Array): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'x-mobileclip-size': String(info.size) };
    if (info.sha256) headers['x-mobileclip-sha256'] = info.sha256;
    if (info.etag) headers.etag = info.etag;
    try {
      const cache = await caches.open(this.where);
      await cache.put(info.url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    } catch (e) {
      // Over quota, or storage off: the next visit downloads again; this one still gets its model.
      console.warn(`mobileclip: could not cache ${info.url} (${(e as Error).message})`);
    }
  }

  async delete(u: string): Promise<void> {
    const cache = await caches.open(this.where);
    await cache.delete(u);
  }
}
