/**
 * The hub's conventions as huggingface_hub users know them, through the real CLI against local
 * servers: HF_TOKEN sent as a bearer token to the hub only (a 401 without one says what to do),
 * HF_ENDPOINT as the hub (a mirror), `mobileclip download` filling the cache, `cache list`,
 * `cache verify` dropping a damaged entry, `cache clear`; a cached load that trusts the hash
 * recorded when the file was written instead of re-hashing it; `tokenize` fetching the vocabulary
 * like every command; downloads through the proxy HTTPS_PROXY / HTTP_PROXY name, NO_PROXY excepted.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWith } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { FolderCache } from '../../src/io/byte-cache.node.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-hub-'));
const TOKEN = 'hf_test_secret_0123456789';

interface Seen {
  path: string;
  auth: string | undefined;
  method: string;
}

async function serve(handle: (req: IncomingMessage) => { status: number; body?: Uint8Array; headers?: Record<string, string> }): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url!, auth: req.headers.authorization, method: req.method! });
    const r = handle(req);
    res.writeHead(r.status, { 'content-length': String(r.body?.byteLength ?? 0), ...r.headers });
    res.end(r.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

describe.runIf(haveFixtures())('hub conventions', () => {
  let hub: Awaited<ReturnType<typeof serve>>;
  let other: Awaited<ReturnType<typeof serve>>;
  let config: Uint8Array;
  let weights: Uint8Array;
  let vocab: Uint8Array;
  /** What the hub serves as the weights at every revision (a test changes it to move `main`). */
  let served: Uint8Array;
  const configEtag = 'a'.repeat(40); // a git blob id, as the hub sends for small files
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    config = readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'));
    weights = readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'));
    served = weights;
    vocab = readFileSync(join(fixturePath(), '..', 'vocab', 'bpe_simple_vocab_16e6.txt.gz'));
    // A hub whose repos under /private/ need the token; the mirror serves the same under /mirror/.
    hub = await serve((req) => {
      const path = new URL(req.url!, 'http://x').pathname.replace(/^\/mirror/, '');
      if (path.startsWith('/private/') && req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401 };
      if (/\/resolve\/(main|[0-9a-f]{40})\/open_clip_config\.json$/.test(path)) return { status: 200, body: config, headers: { etag: `"${configEtag}"` } };
      if (/\/resolve\/(main|[0-9a-f]{40})\/open_clip_model\.safetensors$/.test(path)) return { status: 200, body: served, headers: { etag: `"${sha(served)}"` } };
      return { status: 404 };
    });
    // The vocabulary comes from another origin: the token must never reach it.
    other = await serve(() => ({ status: 200, body: vocab }));
  });
  afterAll(async () => {
    for (const s of [hub, other]) await new Promise<void>((r) => s.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (cache: string, extra: Record<string, string> = {}) => ({ MOBILECLIP_CACHE: cache, MOBILECLIP_VOCAB_URL: `${other.url}/bpe.txt.gz`, MOBILECLIP_HUB_URL: '', HF_ENDPOINT: '', HF_TOKEN: '', HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '', NO_PROXY: '', no_proxy: '', ...extra });

  it('a private repo: 401 without HF_TOKEN says to set it; with it, the token goes to the hub only and never into the cache', async () => {
    const cache = join(dir, 'private');
    const no = await runCliWith({ env: env(cache, { MOBILECLIP_HUB_URL: hub.url }) }, 'download', 'hf-hub:private/oc');
    expect(no.code).toBe(1);
    expect(no.err).toMatch(/open_clip_config\.json answered HTTP 401 Unauthorized: a gated or private repo needs an access token: set HF_TOKEN \(or pass `token`\)/);
    const yes = await runCliWith({ env: env(cache, { MOBILECLIP_HUB_URL: hub.url, HF_TOKEN: TOKEN }) }, 'download', 'hf-hub:private/oc');
    expect(yes.code, yes.err).toBe(0);
    expect(yes.err).toMatch(/weights: .*\/private\/oc\/resolve\/main\/open_clip_model\.safetensors \(\d+\.\d MB\) is in /);
    const authed = hub.seen.filter((s) => s.auth === `Bearer ${TOKEN}`).map((s) => s.path);
    expect(authed).toEqual(['/private/oc/resolve/main/open_clip_config.json', '/private/oc/resolve/main/open_clip_model.safetensors']);
    expect(other.seen.length).toBeGreaterThan(0);
    expect(other.seen.every((s) => s.auth === undefined)).toBe(true);
    for (const f of readdirSync(cache)) expect(readFileSync(join(cache, f), 'latin1')).not.toContain(TOKEN);
    const wrong = await runCliWith({ env: env(join(dir, 'wrong'), { MOBILECLIP_HUB_URL: hub.url, HF_TOKEN: 'nope' }) }, 'download', 'hf-hub:private/oc');
    expect(wrong.err).toMatch(/answered HTTP 401 Unauthorized: the access token \(HF_TOKEN \/ `token`\) was refused for this repo/);
    expect(wrong.err).not.toContain('nope');
  });

  it('HF_ENDPOINT is the hub (a mirror); cache list shows what download fetched; verify drops a damaged entry; clear empties it', async () => {
    const cache = join(dir, 'mirror');
    const before = hub.seen.length;
    const d = await runCliWith({ env: env(cache, { HF_ENDPOINT: `${hub.url}/mirror` }) }, 'download', 'hf-hub:public/oc', '--json');
    expect(d.code, d.err).toBe(0);
    const got = JSON.parse(d.out) as { what: string; source: string; bytes: number }[];
    expect(got.map((f) => [f.what, f.bytes])).toEqual([['weights', weights.byteLength], ['vocab', vocab.byteLength]]);
    expect(got[0].source).toBe(`${hub.url}/mirror/public/oc/resolve/main/open_clip_model.safetensors`);
    expect(hub.seen.slice(before).map((s) => s.path)).toEqual(['/mirror/public/oc/resolve/main/open_clip_config.json', '/mirror/public/oc/resolve/main/open_clip_model.safetensors']);
    const list = await runCliWith({ env: env(cache) }, 'cache', 'list', '--json');
    const entries = (JSON.parse(list.out) as { entries: { url: string; size: number; sha256: string; stored: number }[] }).entries;
    expect(entries.map((e) => e.url).sort()).toEqual([`${hub.url}/mirror/public/oc/resolve/main/open_clip_config.json`, `${hub.url}/mirror/public/oc/resolve/main/open_clip_model.safetensors`, `${other.url}/bpe.txt.gz`].sort());
    const w = entries.find((e) => e.url.endsWith('.safetensors'))!;
    expect([w.size, w.stored, w.sha256]).toEqual([weights.byteLength, weights.byteLength, sha(weights)]);
    // Damage the weights' body on disk (same size): a cached load trusts the recorded hash; verify re-hashes and drops it.
    const c = new FolderCache(cache);
    const e = (await c.entries()).find((x) => x.url === w.url)!;
    const damaged = new Uint8Array(readFileSync(e.file));
    damaged[damaged.length - 3] ^= 0x5a;
    writeFileSync(e.file, damaged);
    expect((await c.get(w.url))?.byteLength).toBe(weights.byteLength);
    const v = await runCliWith({ env: env(cache) }, 'cache', 'verify');
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(new RegExp(`dropped {2}${w.url.replace(/[.?]/g, '\\$&')}: sha256 [0-9a-f]{64}, ${sha(weights)} recorded`));
    expect(v.out).toMatch(/2 of 3 entries intact/);
    expect(await c.get(w.url)).toBeNull();
    const clear = await runCliWith({ env: env(cache) }, 'cache', 'clear');
    expect(clear.out).toMatch(/removed 2 entries \(\d+\.\d MB\) from /);
    expect(readdirSync(cache)).toEqual([]);
  });
  it('tokenize without --vocab fetches the published vocabulary once; then --offline reads it from the cache', async () => {
    const cache = join(dir, 'tokenize');
    const before = other.seen.length;
    const first = await runCliWith({ env: env(cache), cwd: dir }, 'tokenize', 'a photo of a cat', '--json');
    expect(first.code, first.err).toBe(0);
    const ids = (JSON.parse(first.out) as { ids: number[] }[])[0].ids;
    expect(ids.slice(0, 7)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(other.seen.length - before).toBe(1);
    const offline = await runCliWith({ env: env(cache), cwd: dir }, 'tokenize', 'a photo of a cat', '--json', '--offline');
    expect(offline.code, offline.err).toBe(0);
    expect(offline.out).toBe(first.out);
    expect(other.seen.length - before).toBe(1);
    const none = await runCliWith({ env: env(join(dir, 'empty-cache')), cwd: dir }, 'tokenize', 'a cat', '--offline');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/vocab: .*bpe\.txt\.gz is needed but downloads are off/);
  });

  it('HTTPS_PROXY / HTTP_PROXY: downloads go through the proxy (CONNECT), NO_PROXY hosts do not; a dead proxy is named with its cause', async () => {
    const tunnels: string[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
      tunnels.push(req.url!);
      const [host, port] = req.url!.split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const hubHost = new URL(hub.url).host;
      const through = await runCliWith({ env: env(join(dir, 'proxied'), { HF_ENDPOINT: hub.url, HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: '' }) }, 'download', 'hf-hub:public/oc', '--json');
      expect(through.code, through.err).toBe(0);
      expect(through.err).not.toMatch(/warning/i);
      expect(JSON.parse(through.out).map((f: { bytes: number }) => f.bytes)).toEqual([weights.byteLength, vocab.byteLength]);
      expect(tunnels).toContain(hubHost);
      expect(tunnels).toContain(new URL(other.url).host);
      const n = tunnels.length;
      const bypass = await runCliWith({ env: env(join(dir, 'bypass'), { HF_ENDPOINT: hub.url, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' }) }, 'download', 'hf-hub:public/oc');
      expect(bypass.code, bypass.err).toBe(0);
      expect(tunnels.length).toBe(n);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
    const dead = await runCliWith({ env: env(join(dir, 'dead'), { HF_ENDPOINT: hub.url, HTTP_PROXY: proxyUrl, NO_PROXY: '' }) }, 'download', 'hf-hub:public/oc');
    expect(dead.code).toBe(1);
    expect(dead.err).toMatch(/open_clip_config\.json could not be fetched \(fetch failed: ECONNREFUSED/);
  });
  it('a cached file at a branch (main) is checked with one HEAD and fetched again when the hub changed; at a commit it is pinned; with the hub gone the cache serves', async () => {
    const cache = join(dir, 'revisions');
    const e = (extra: Record<string, string> = {}) => env(cache, { HF_ENDPOINT: hub.url, ...extra });
    const since = (n: number) => hub.seen.slice(n).map((x) => `${x.method} ${x.path.replace(/^\/public\/oc\/resolve\//, '')}`);
    expect((await runCliWith({ env: e() }, 'download', 'hf-hub:public/oc', '--no-vocab')).code).toBe(0);
    // Unchanged: one HEAD per file, nothing downloaded.
    let n = hub.seen.length;
    const same = await runCliWith({ env: e() }, 'download', 'hf-hub:public/oc', '--no-vocab');
    expect(same.code, same.err).toBe(0);
    expect(since(n)).toEqual(['HEAD main/open_clip_config.json', 'HEAD main/open_clip_model.safetensors']);
    // main moves: the weights (same size, one byte changed) are fetched again and the cache holds the new ones.
    served = new Uint8Array(weights);
    served[served.length - 5] ^= 0x01;
    n = hub.seen.length;
    const moved = await runCliWith({ env: e() }, 'download', 'hf-hub:public/oc', '--no-vocab');
    expect(moved.code, moved.err).toBe(0);
    expect(since(n)).toEqual(['HEAD main/open_clip_config.json', 'HEAD main/open_clip_model.safetensors', 'GET main/open_clip_model.safetensors']);
    const list = JSON.parse((await runCliWith({ env: e() }, 'cache', 'list', '--json')).out) as { entries: { url: string; sha256: string }[] };
    expect(list.entries.find((x) => x.url.endsWith('/main/open_clip_model.safetensors'))!.sha256).toBe(sha(served));
    // A commit pins: after the first download no request at all, whatever main does.
    const commit = 'c'.repeat(40);
    expect((await runCliWith({ env: e() }, 'download', `hf-hub:public/oc@${commit}`, '--no-vocab')).code).toBe(0);
    served = weights;
    n = hub.seen.length;
    const pinned = await runCliWith({ env: e() }, 'download', `hf-hub:public/oc@${commit}`, '--no-vocab', '--json');
    expect(pinned.code, pinned.err).toBe(0);
    expect(since(n)).toEqual([]);
    expect(JSON.parse(pinned.out)[0].source).toBe(`${hub.url}/public/oc/resolve/${commit}/open_clip_model.safetensors`);
    // The hub unreachable: the cached main is used as it is.
    const gone = await runCliWith({ env: e({ HF_ENDPOINT: 'http://127.0.0.1:9' }) }, 'download', 'hf-hub:public/oc', '--no-vocab');
    expect(gone.code).toBe(1); // a different endpoint is a different cache key: nothing cached there
    // (Through a proxy that is not there: every request fails, as on a machine gone offline.)
    const embed = await runCliWith({ env: e({ HTTP_PROXY: 'http://127.0.0.1:9' }), timeoutMs: 120_000 }, 'embed', '--model', 'hf-hub:public/oc', fixturePath('preprocess', 'coffee.png'), '--json');
    expect(embed.code, embed.err + embed.out).toBe(0);
  });
});
