/**
 * download() through both of its transports, against local servers: node:http (Node's default)
 * and fetch (browsers, a caller's fetch, a proxy). The same cases must give the same results:
 * bodies of several 4 MB blocks with and without Content-Length, into the cache and into memory;
 * redirects followed up to 20, a hub token dropped when a redirect leaves its origin; a gzip
 * body decoded; a refused connection, an unknown host and an untrusted certificate named; an abort
 * mid-body leaving no file behind.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderCache } from '../../src/io/byte-cache.node.js';
import { download } from '../../src/io/download.js';
import { fetchGet, type HttpGet } from '../../src/io/http-get.js';
import { nodeHttpGet } from '../../src/io/http-get.node.js';
import type { LoadProgress } from '../../src/io/load-progress.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handle: Handler): Promise<{ server: Server; url: string; auth: Map<string, string | undefined> }> {
  const auth = new Map<string, string | undefined>();
  const server = createServer((req, res) => {
    auth.set(req.url!, req.headers.authorization);
    handle(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, auth };
}

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-http-get-'));
let fresh = 0;
const newCache = () => new FolderCache(join(dir, `cache-${fresh++}`));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// Not a multiple of the 4 MB block, and several blocks long.
const body = new Uint8Array(randomBytes(9 * (1 << 20) + 12345));
const TOKEN = 'Bearer hf_secret';

let hub: Awaited<ReturnType<typeof serve>>;
let cdn: Awaited<ReturnType<typeof serve>>;
/** An https server whose certificate is self-signed (made here with openssl): no client trusts it. */
let untrusted: { server: Server; url: string };

beforeAll(async () => {
  cdn = await serve((req, res) => {
    if (req.url === '/file') res.writeHead(200, { 'content-length': String(body.byteLength) }).end(body);
    else res.writeHead(404).end();
  });
  hub = await serve((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const hops = Number(u.searchParams.get('hops') ?? 0);
    if (u.pathname === '/sized') res.writeHead(200, { 'content-length': String(body.byteLength), etag: `"${sha(body)}"` }).end(body);
    else if (u.pathname === '/chunked') res.writeHead(200).end(body); // no Content-Length: chunked
    else if (u.pathname === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(body, { level: 1 }));
    else if (u.pathname === '/hops') res.writeHead(302, { location: hops > 1 ? `/hops?hops=${hops - 1}` : '/sized' }).end();
    else if (u.pathname === '/to-cdn') res.writeHead(302, { location: `${cdn.url}/file` }).end();
    else if (u.pathname === '/stall') {
      res.writeHead(200, { 'content-length': String(body.byteLength) });
      res.write(body.subarray(0, 1 << 20));
    } else res.writeHead(404).end();
  });
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.writeHead(200, { 'content-length': '2' }).end('ok'));
  await new Promise<void>((done) => tls.listen(0, '127.0.0.1', done));
  untrusted = { server: tls, url: `https://127.0.0.1:${(tls.address() as { port: number }).port}` };
});
afterAll(async () => {
  for (const s of [hub, cdn, untrusted]) {
    s.server.closeAllConnections();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
  rmSync(dir, { recursive: true, force: true });
});

const TRANSPORTS: [string, HttpGet][] = [
  ['node:http', nodeHttpGet],
  ['fetch', fetchGet(fetch)],
];

describe.each(TRANSPORTS)('download() through %s', (_name, get) => {
  it.each([
    ['with Content-Length, into the cache', '/sized', true],
    ['without Content-Length, into the cache', '/chunked', true],
    ['with Content-Length, no cache', '/sized', false],
    ['without Content-Length, no cache', '/chunked', false],
  ])('a body of several blocks %s arrives whole, with progress from 0 to its size', async (_what, path, cached) => {
    const cache = cached ? newCache() : null;
    const events: LoadProgress[] = [];
    const url = `${hub.url}${path}`;
    const got = await download(url, { what: 'file', get, cache, onProgress: (p) => events.push(p) });
    expect(got.byteLength).toBe(body.byteLength);
    expect(sha(got)).toBe(sha(body));
    const loaded = events.map((e) => e.loaded);
    expect(loaded[0]).toBe(0);
    expect(loaded.at(-1)).toBe(body.byteLength);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(events.at(-1)!.total).toBe(path === '/sized' ? body.byteLength : undefined);
    if (cache) {
      const entry = (await cache.entries())[0];
      expect(entry).toMatchObject({ url, size: body.byteLength, sha256: sha(body), stored: body.byteLength });
      expect(sha(readFileSync(entry.file))).toBe(sha(body));
      expect(readdirSync(cache.where).sort()).toEqual([entry.file.split('/').at(-1), entry.file.split('/').at(-1)!.replace('.bin', '.json')].sort());
    }
  });

  it('follows 20 redirects and refuses the 21st, naming the loop', async () => {
    expect(sha(await download(`${hub.url}/hops?hops=20`, { what: 'file', get, cache: null }))).toBe(sha(body));
    await expect(download(`${hub.url}/hops?hops=21`, { what: 'file', get, cache: null })).rejects.toThrow(/file: .*\/hops\?hops=21 could not be fetched \(.*redirect/);
  });

  it("sends the hub's token across a same-origin redirect, never to another origin", async () => {
    const headers = { authorization: TOKEN };
    await download(`${hub.url}/hops?hops=2`, { what: 'file', get, cache: null, headers });
    expect([hub.auth.get('/hops?hops=2'), hub.auth.get('/hops?hops=1'), hub.auth.get('/sized')]).toEqual([TOKEN, TOKEN, TOKEN]);
    cdn.auth.clear();
    expect(sha(await download(`${hub.url}/to-cdn`, { what: 'file', get, cache: null, headers }))).toBe(sha(body));
    expect(hub.auth.get('/to-cdn')).toBe(TOKEN);
    expect(cdn.auth.has('/file')).toBe(true);
    expect(cdn.auth.get('/file')).toBeUndefined();
  });

  it('decodes a gzip body, bounding the decoded size', async () => {
    expect(sha(await download(`${hub.url}/gzip`, { what: 'file', get, cache: newCache() }))).toBe(sha(body));
    await expect(download(`${hub.url}/gzip`, { what: 'file', get, cache: null, maxBytes: 5 << 20 })).rejects.toThrow(/is more than the 5242880 bytes accepted/);
  });

  it('names a refused connection by its code', async () => {
    const closed = await serve(() => {});
    const url = closed.url;
    await new Promise<void>((r) => closed.server.close(() => r()));
    await expect(download(`${url}/x`, { what: 'file', get, cache: null })).rejects.toThrow(/could not be fetched \(.*ECONNREFUSED/);
  });

  it('names an unknown host and an untrusted certificate', async () => {
    await expect(download('http://no-such-host.invalid/x', { what: 'file', get, cache: null })).rejects.toThrow(/no-such-host\.invalid\/x could not be fetched \(.*(ENOTFOUND|EAI_AGAIN)/);
    await expect(download(`${untrusted.url}/x`, { what: 'file', get, cache: null })).rejects.toThrow(/could not be fetched \(.*self[- ]signed certificate/);
  });

  it('an abort mid-body rejects with the AbortError and leaves no file in the cache folder', async () => {
    const cache = newCache();
    const ac = new AbortController();
    const p = download(`${hub.url}/stall`, { what: 'file', get, cache, signal: ac.signal });
    setTimeout(() => ac.abort(), 300); // the first MB has come, the rest never will
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(cache.where)).toEqual([]);
  });

  it('a stalled body ends at the idle timeout, naming it; no file is left', async () => {
    const cache = newCache();
    await expect(download(`${hub.url}/stall`, { what: 'file', get, cache, timeouts: { idleMs: 300 } })).rejects.toThrow(/broke off after 1048576 of \d+ bytes \(the body stalled: no data for 0\.3 s/);
    expect(readdirSync(cache.where)).toEqual([]);
  });
});
