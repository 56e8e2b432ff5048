/**
 * Fetches a file as bytes with progress, cancellation and a cache: the body is streamed into one
 * buffer sized from Content-Length (growing in chunks when the server sends none, up to a bound),
 * a body shorter or longer than announced is an error, a sha256 the server names (a hub ETag) is
 * checked, and only then is the file cached. Cancelling through `signal` rejects with the signal's
 * AbortError and caches nothing.
 */
import { type ByteCache, sha256FromHeaders, sha256Hex } from './byte-cache.js';
import type { OnLoadProgress } from './load-progress.js';

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** A download was needed but downloads are off (--offline, MOBILECLIP_OFFLINE=1, `offline: true`). */
export class OfflineError extends Error {
  override name = 'OfflineError';
}

export interface DownloadOptions {
  /** Names the file in progress events and errors ('weights', 'vocab', 'config'). */
  what: string;
  onProgress?: OnLoadProgress;
  signal?: AbortSignal;
  /** Where finished downloads are kept and looked up first; null: no cache. */
  cache?: ByteCache | null;
  /** Refuse to download: a file not in the cache is an OfflineError. */
  offline?: boolean;
  /** The largest body accepted (default 4 GiB − 1, the largest Uint8Array everywhere). */
  maxBytes?: number;
}

const MAX_BYTES = 2 ** 32 - 1;
/** Progress is reported at most once per this many bytes (and at the end). */
const PROGRESS_STEP = 1 << 20;

export async function download(url: string, o: DownloadOptions): Promise<Uint8Array> {
  o.signal?.throwIfAborted();
  const hit = o.cache ? await o.cache.get(url) : null;
  if (hit) {
    o.onProgress?.({ phase: 'cache', what: o.what, loaded: hit.byteLength, total: hit.byteLength, url });
    return hit;
  }
  if (o.offline) {
    throw new OfflineError(`${o.what}: ${url} is needed but downloads are off (offline)${o.cache ? ` and it is not in the cache (${o.cache.where})` : ''}; download it once online, or pass a local file`);
  }
  let r: Response;
  try {
    r = await fetch(url, { signal: o.signal });
  } catch (e) {
    if (o.signal?.aborted) throw o.signal.reason;
    throw new DownloadError(`${o.what}: ${url} could not be fetched (${(e as Error).message})`);
  }
  if (!r.ok) throw new DownloadError(`${o.what}: ${url} answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`);
  const bytes = await readBody(r, url, o);
  const sha256 = sha256FromHeaders(r.headers);
  if (sha256) {
    const got = await sha256Hex(bytes);
    if (got !== sha256) throw new DownloadError(`${o.what}: ${url} arrived with sha256 ${got}, but the server named ${sha256}; nothing was cached`);
  }
  if (o.cache) {
    const etag = r.headers.get('etag') ?? undefined;
    await o.cache.put({ url, size: bytes.byteLength, etag, sha256: sha256 ?? (await sha256Hex(bytes)) }, bytes);
  }
  return bytes;
}

function announcedLength(r: Response): number | undefined {
  // A compressed transfer's Content-Length counts the encoded bytes, not the body we read.
  if ((r.headers.get('content-encoding') ?? 'identity') !== 'identity') return undefined;
  const v = r.headers.get('content-length');
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

async function readBody(r: Response, url: string, o: DownloadOptions): Promise<Uint8Array> {
  const max = o.maxBytes ?? MAX_BYTES;
  const total = announcedLength(r);
  if (total !== undefined && total > max) throw new DownloadError(`${o.what}: ${url} is ${total} bytes, more than the ${max} accepted`);
  const report = (loaded: number) => o.onProgress?.({ phase: 'download', what: o.what, loaded, total, url });
  let buf = new Uint8Array(total ?? 1 << 20);
  let loaded = 0;
  let reported = 0;
  report(0);
  if (!r.body) throw new DownloadError(`${o.what}: ${url} answered with no body`);
  const reader = r.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        throw new DownloadError(`${o.what}: ${url} broke off after ${loaded}${total !== undefined ? ` of ${total}` : ''} bytes (${(e as Error).message}); nothing was cached`);
      }
      if (chunk.done) break;
      const c = chunk.value;
      if (loaded + c.byteLength > buf.byteLength) {
        if (total !== undefined) throw new DownloadError(`${o.what}: ${url} sent more than the ${total} bytes its Content-Length announced; nothing was cached`);
        if (loaded + c.byteLength > max) throw new DownloadError(`${o.what}: ${url} is more than the ${max} bytes accepted`);
        const grown = new Uint8Array(Math.min(max, Math.max(2 * buf.byteLength, loaded + c.byteLength)));
        grown.set(buf.subarray(0, loaded));
        buf = grown;
      }
      buf.set(c, loaded);
      loaded += c.byteLength;
      if (loaded - reported >= PROGRESS_STEP) {
        reported = loaded;
        report(loaded);
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (total !== undefined && loaded !== total) throw new DownloadError(`${o.what}: ${url} ended after ${loaded} of the ${total} bytes announced (truncated); nothing was cached`);
  if (reported !== loaded) report(loaded);
  return loaded === buf.byteLength ? buf : buf.slice(0, loaded);
}
