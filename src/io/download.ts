/**
 * Fetches a file as bytes with progress, cancellation, timeouts and a cache: a body of announced
 * length is gathered in one buffer of that size and written to the cache's temporary file in 4 MB
 * blocks as it arrives (one write in flight while the next block comes); a body of unknown length
 * goes to that file only (read back once complete, so an endless one never fills memory), or
 * without a cache to memory, up to the bound of its kind. A body shorter or longer than announced
 * is an error, a sha256 the server names (a hub ETag) is checked, the bytes must be what their kind
 * claims (check-download.ts), and only then is the file cached. A cached entry is checked the
 * same way when read; a bad one is dropped and fetched again, once. Cancelling through `signal`
 * rejects with the signal's AbortError and caches nothing.
 */
import { type BodySink, type ByteCache, type CacheSink, etagValue, memorySink, sha256FromHeaders, sha256Hex } from './byte-cache.js';
import type { OnLoadProgress } from './load-progress.js';
import { checkDownloaded, DOWNLOAD_LIMITS, type DownloadKind } from './check-download.js';
import { fetchGet, type HttpAnswer, type HttpGet } from './http-get.js';

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
  /** What the file must be (default from `what`: weights → checkpoint, vocab → vocabulary, config → config). */
  kind?: DownloadKind;
  /** The largest body accepted (default: the bound of its kind, check-download.ts). */
  maxBytes?: number;
  /** How long to wait for the server's answer, and for the next bytes of the body (default 30 s and 60 s). */
  timeouts?: DownloadTimeouts;
  /** Request headers (a hub token's Authorization, for the hub's URLs only: model-files.ts decides). */
  headers?: Record<string, string>;
  /** What a 401/403 should tell the user (how to give credentials). */
  authHint?: string;
  /** How to fetch (default the global fetch; Node passes a proxy-aware one when HTTPS_PROXY is set). */
  fetch?: typeof fetch;
  /** How requests are made (default through `fetch`; Node: node:http unless a fetch is given or a proxy set). @internal */
  get?: HttpGet;
  /**
   * The file lives at a movable revision (a hub branch or tag): a cached copy is first checked
   * against the server (one HEAD request) and fetched again when the server's copy changed. When
   * the server cannot be asked, the cached copy is used, as huggingface_hub does.
   */
  revalidate?: boolean;
}

export interface DownloadTimeouts {
  /** From the request to the response headers (connecting included). */
  connectMs?: number;
  /** Between two pieces of the body. */
  idleMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<DownloadTimeouts> = { connectMs: 30_000, idleMs: 60_000 };

/** Where a size bound comes from, for the error that names it. */
const ACCEPTED = ' (a checkpoint: the model\'s size; a config or vocabulary: a few MB; the maxBytes option changes it)';

const kindOf = (o: DownloadOptions): DownloadKind => o.kind ?? ({ weights: 'checkpoint', vocab: 'vocabulary', config: 'config' } as Record<string, DownloadKind>)[o.what] ?? 'other';

/** Why a request failed, in words: fetch hides the cause (ECONNREFUSED, ENOTFOUND, a certificate) under "fetch failed"; node:http gives it with its code. */
function causeOf(e: unknown): string {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  const c = err.cause;
  if (c) return `${err.message}: ${c.code ?? ''}${c.code && c.message ? ' ' : ''}${c.message && !c.message.includes(c.code ?? '\u0000') ? c.message : ''}`.trim();
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}
/** Progress is reported at most once per this many bytes and milliseconds (and at the start and end). */
const PROGRESS_STEP = { bytes: 1 << 20, ms: 100 };
/** The cache file is written in blocks of about this size: a few large writes, not one per network chunk. */
const BLOCK_BYTES = 4 << 20;

export async function download(url: string, o: DownloadOptions): Promise<Uint8Array> {
  o.signal?.throwIfAborted();
  const kind = kindOf(o);
  const get = o.get ?? fetchGet(o.fetch);
  let dropped = '';
  if (o.cache && o.revalidate && !o.offline && (await upstreamChanged(url, get, o))) {
    await o.cache.delete(url);
    dropped = ` (its cached copy was dropped: the server's copy changed since)`;
  }
  const hit = o.cache ? await o.cache.get(url) : null;
  if (hit) {
    try {
      checkDownloaded(kind, hit, url);
      o.onProgress?.({ phase: 'cache', what: o.what, loaded: hit.byteLength, total: hit.byteLength, url });
      return hit;
    } catch (e) {
      // A bad entry (written by an older version, or damaged on disk) is dropped and fetched again, once.
      await o.cache!.delete(url);
      dropped = ` (its cached copy in ${o.cache!.where} was ${(e as Error).message} and was dropped)`;
    }
  }
  if (o.offline) {
    throw new OfflineError(`${o.what}: ${url} is needed but downloads are off (offline)${o.cache ? ` and it is not in the cache (${o.cache.where})${dropped}` : ''}; download it once online, or pass a local file`);
  }
  const t = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const ac = new AbortController();
  const stop = () => ac.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', stop, { once: true });
  let timedOut = '';
  const arm = (ms: number, why: string) => setTimeout(() => {
    timedOut = why;
    ac.abort(new Error(why));
  }, ms);
  let timer = arm(t.connectMs, `no answer within ${t.connectMs / 1000} s (the connect timeout)`);
  let r: HttpAnswer | undefined;
  try {
    try {
      r = await get(url, { signal: ac.signal, headers: o.headers });
    } catch (e) {
      if (o.signal?.aborted) throw o.signal.reason;
      throw new DownloadError(`${o.what}: ${url} could not be fetched (${timedOut || causeOf(e)})${dropped}`);
    }
    clearTimeout(timer);
    if (r.status < 200 || r.status > 299) {
      const auth = (r.status === 401 || r.status === 403) && o.authHint ? `: ${o.authHint}` : '';
      throw new DownloadError(`${o.what}: ${url} answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}${auth}${dropped}`);
    }
    const maxBytes = o.maxBytes ?? DOWNLOAD_LIMITS[kind];
    // Into the cache's temporary file where it has one, else memory. A cache that cannot be
    // written costs this download its memory bound, never its result.
    const file: CacheSink | null = o.cache?.sink ? await o.cache.sink(url).catch(() => null) : null;
    try {
      const bytes = await readBody(r, url, { ...o, maxBytes }, file, (loaded) => {
        clearTimeout(timer);
        timer = arm(t.idleMs, `the body stalled: no data for ${t.idleMs / 1000} s after ${loaded} bytes (the idle timeout)`);
      }, () => timedOut);
      clearTimeout(timer);
      const named = sha256FromHeaders(r.headers);
      const sha256 = file?.sha256?.() ?? (named || o.cache ? await sha256Hex(bytes) : undefined);
      if (named && sha256 !== named) throw new DownloadError(`${o.what}: ${url} arrived with sha256 ${sha256}, but the server named ${named}; nothing was cached${dropped}`);
      try {
        checkDownloaded(kind, bytes, url);
      } catch (e) {
        throw new DownloadError(`${o.what}: ${url} answered ${r.status} with ${bytes.byteLength} bytes that are ${(e as Error).message}; nothing was cached${dropped}`);
      }
      if (o.cache) {
        const info = { url, size: bytes.byteLength, etag: r.headers.get('etag') ?? undefined, sha256 };
        if (file) await file.commit(info);
        else await o.cache.put(info, bytes);
      }
      return bytes;
    } catch (e) {
      await file?.abort();
      throw e;
    }
  } finally {
    clearTimeout(timer);
    r?.cancel();
    o.signal?.removeEventListener('abort', stop);
  }
}

/** How long the revalidating HEAD request may take before the cached copy is used as it is. */
const REVALIDATE_MS = 10_000;

/**
 * Whether the server now serves something else at `url` than the cache recorded: one HEAD request,
 * not following redirects (the hub names a large file's sha256 in X-Linked-Etag before redirecting
 * to its CDN), compared by sha256 where both sides have one, else by ETag. False whenever it
 * cannot tell: no entry, no answer (offline, a timeout), an error status, nothing to compare.
 */
async function upstreamChanged(url: string, get: HttpGet, o: DownloadOptions): Promise<boolean> {
  const info = o.cache?.info ? await o.cache.info(url) : null;
  if (!info) return false;
  const ac = new AbortController();
  const stop = () => ac.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(() => ac.abort(), Math.min(REVALIDATE_MS, o.timeouts?.connectMs ?? REVALIDATE_MS));
  let r: HttpAnswer | undefined;
  try {
    r = await get(url, { method: 'HEAD', redirect: 'manual', headers: o.headers, signal: ac.signal });
    if (r.status === 0 || r.status >= 400) return false;
    const sha256 = sha256FromHeaders(r.headers);
    if (sha256 && info.sha256) return sha256 !== info.sha256;
    const etag = r.headers.get('x-linked-etag') ?? r.headers.get('etag');
    return Boolean(etag && info.etag) && etagValue(etag!) !== etagValue(info.etag!);
  } catch {
    o.signal?.throwIfAborted();
    return false;
  } finally {
    r?.cancel();
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', stop);
  }
}

function announcedLength(r: HttpAnswer): number | undefined {
  // A compressed transfer's Content-Length counts the encoded bytes, not the body we read.
  if ((r.headers.get('content-encoding') ?? 'identity').trim().toLowerCase() !== 'identity') return undefined;
  const v = r.headers.get('content-length');
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

/**
 * Reads the body, bounded by `maxBytes` and the Content-Length, reporting progress; `file` gets it
 * in blocks, one write in flight while the next block arrives. Returns the whole body.
 */
async function readBody(r: HttpAnswer, url: string, o: DownloadOptions & { maxBytes: number }, file: BodySink | null, onChunk: (loaded: number) => void, timedOut: () => string): Promise<Uint8Array> {
  const max = o.maxBytes;
  const total = announcedLength(r);
  if (total !== undefined && total > max) throw new DownloadError(`${o.what}: ${url} is ${total} bytes, more than the ${max} accepted${ACCEPTED}`);
  // An announced body is returned whole anyway: it is gathered in one buffer of its size and the
  // file written from views of it. An unannounced one goes to the file, else to a growing buffer.
  const whole = total !== undefined ? new Uint8Array(total) : null;
  const out = file ?? (whole ? null : memorySink(undefined, max));
  let block: Uint8Array[] = [];
  let blockBytes = 0;
  let writing: Promise<void> = Promise.resolve();
  let loaded = 0;
  const flush = async () => {
    if (!out || blockBytes === 0) return;
    const b = whole ? whole.subarray(loaded - blockBytes, loaded) : concat(block, blockBytes);
    block = [];
    blockBytes = 0;
    await writing;
    writing = out.write(b);
    writing.catch(() => {}); // awaited at the next flush or the end; not an unhandled rejection meanwhile
  };
  const report = (n: number) => o.onProgress?.({ phase: 'download', what: o.what, loaded: n, total, url });
  let reported = { bytes: 0, at: performance.now() };
  report(0);
  onChunk(0);
  try {
    for await (const c of r.body) {
      if (total !== undefined && loaded + c.byteLength > total) throw new DownloadError(`${o.what}: ${url} sent more than the ${total} bytes its Content-Length announced; nothing was cached`);
      if (loaded + c.byteLength > max) throw new DownloadError(`${o.what}: ${url} is more than the ${max} bytes accepted${ACCEPTED}; nothing was cached`);
      if (whole) whole.set(c, loaded);
      else block.push(c);
      loaded += c.byteLength;
      blockBytes += c.byteLength;
      if (blockBytes >= BLOCK_BYTES) await flush();
      onChunk(loaded);
      if (loaded - reported.bytes >= PROGRESS_STEP.bytes && performance.now() - reported.at >= PROGRESS_STEP.ms) {
        reported = { bytes: loaded, at: performance.now() };
        report(loaded);
      }
    }
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    if (o.signal?.aborted) throw o.signal.reason;
    throw new DownloadError(`${o.what}: ${url} broke off after ${loaded}${total !== undefined ? ` of ${total}` : ''} bytes (${timedOut() || causeOf(e)}); nothing was cached`);
  } finally {
    await writing.catch(() => {});
  }
  if (total !== undefined && loaded !== total) throw new DownloadError(`${o.what}: ${url} ended after ${loaded} of the ${total} bytes announced (truncated); nothing was cached`);
  await flush();
  await writing;
  if (reported.bytes !== loaded) report(loaded);
  return whole ?? out!.bytes();
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}
