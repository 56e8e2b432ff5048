/**
 * A hostile server: every way a response can be wrong (bodies, encodings, stalls, redirects, HTML
 * served as 200, short and long bodies, bad ETags), each against a real load in its own process
 * (test/io/hostile-client.ts). Each case must end in a clear error naming the URL (or, where the
 * response is fine after all, the right answer), within its time, under 1.5 GB of memory, with no
 * request outside the server's prefixes; then the server turns honest and a second run must give
 * the right embedding: nothing bad was cached. The table is printed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = join(ROOT, 'test', 'io', 'hostile-client.ts');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const MAX_RSS_MB = 1536;
const HANG_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-hostile-server-'));

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
let server: Server;
let base = '';
const requests: string[] = [];
const routes = new Map<string, Handler>();
/** Every path the loads may ask for lies under these. */
const PREFIXES = ['/models/', '/vocab/'];

let weights: Uint8Array;
let vocab: Uint8Array;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const send = (body: Uint8Array, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength), ...headers });
  res.end(body);
};

interface Result {
  ok?: boolean;
  head?: number[];
  error?: { name: string; message: string };
  maxRssKb?: number;
}

function runClient(args: object, timeoutMs = HANG_MS): Promise<{ result: Result | null; hung: boolean; ms: number; stderr: string }> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [TSX, CLIENT, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      let result: Result | null = null;
      try {
        result = line ? (JSON.parse(line) as Result) : null;
      } catch {
        result = null;
      }
      done({ result, hung, ms: Date.now() - t0, stderr: err });
    });
  });
}

beforeAll(async () => {
  if (!haveFixtures()) return;
  weights = readFileSync(fixturePath('clip-tiny', 'model.safetensors'));
  vocab = readFileSync(join(fixturePath(), '..', 'vocab', 'bpe_simple_vocab_16e6.txt.gz'));
  server = createServer(async (req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    requests.push(path);
    const h = routes.get(path);
    try {
      if (h) await h(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  /** Which file the hostile answer replaces. */
  file: 'weights' | 'vocab';
  handler: () => Handler;
  /** The error the load must end in (a clear one, naming the URL). */
  error: RegExp;
}

const html = new TextEncoder().encode('<!DOCTYPE html><html><body>Sign in to continue</body></html>\n');
const zeros64 = () => gzipSync(new Uint8Array(64 << 20), { level: 9 });

const CASES: Case[] = [
  { name: 'HTML page as 200 (weights)', file: 'weights', handler: () => send(html, { 'content-type': 'text/html' }), error: /not a checkpoint \(safetensors or a torch\.save zip\): it begins "<!DOCTYPE html>/ },
  { name: 'HTML page as 200 (vocabulary)', file: 'vocab', handler: () => send(html, { 'content-type': 'text/html' }), error: /not a gzipped vocabulary: it begins "<!DOCTYPE html>/ },
  {
    name: 'body 1,000 bytes longer than its Content-Length',
    file: 'weights',
    handler: () => (_req, res) => {
      const longer = new Uint8Array(weights.byteLength + 1000);
      longer.set(weights);
      res.writeHead(200, { 'content-length': String(weights.byteLength - 1000) });
      res.end(longer);
    },
    error: /not a checkpoint: damaged safetensors/,
  },
  {
    name: 'a flipped byte in the header, no ETag',
    file: 'weights',
    handler: () => {
      const bad = new Uint8Array(weights);
      bad[20] ^= 0x40;
      return send(bad);
    },
    error: /not a checkpoint: damaged safetensors/,
  },
  { name: 'a flipped byte, sha256 ETag', file: 'weights', handler: () => { const bad = new Uint8Array(weights); bad[bad.length - 5] ^= 1; return send(bad, { etag: `"${sha(weights)}"` }); }, error: /arrived with sha256 [0-9a-f]{64}, but the server named/ },
  { name: 'short body (connection cut)', file: 'weights', handler: () => (_req, res) => { res.writeHead(200, { 'content-length': String(weights.byteLength) }); res.write(weights.subarray(0, 1000)); setTimeout(() => res.destroy(), 50); }, error: /broke off after \d+ of \d+ bytes|ended after \d+ of the \d+ bytes/ },
  { name: 'truncated gzip vocabulary', file: 'vocab', handler: () => send(vocab.subarray(0, vocab.byteLength >> 1)), error: /not a (gzipped )?vocabulary/ },
  {
    name: 'endless body, no Content-Length',
    file: 'weights',
    handler: () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = new Uint8Array(1 << 20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    },
    error: /is more than the \d+ bytes accepted/,
  },
  {
    name: 'gzip bomb (Content-Encoding: gzip, 6.4 GB of zeros in 6 MB)',
    file: 'weights',
    handler: () => {
      const member = zeros64();
      return (_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        let n = 0;
        const pump = () => {
          while (!res.destroyed && n < 100 && res.write(member)) n++;
          if (n >= 100) res.end();
          else if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      };
    },
    error: /is more than the \d+ bytes accepted/,
  },
  { name: 'announces 10 GB', file: 'weights', handler: () => (_req, res) => { res.writeHead(200, { 'content-length': String(10 * 2 ** 30) }); res.write(weights.subarray(0, 100)); }, error: /is 10737418240 bytes, more than the \d+ accepted/ },
  { name: 'stalls mid-body (idle timeout)', file: 'weights', handler: () => (_req, res) => { res.writeHead(200, { 'content-length': String(weights.byteLength) }); res.write(weights.subarray(0, 4096)); }, error: /the body stalled: no data for 2 s after 4096 bytes \(the idle timeout\)/ },
  { name: 'never answers (connect timeout)', file: 'weights', handler: () => () => {}, error: /no answer within 2 s \(the connect timeout\)/ },
  { name: 'redirect loop', file: 'weights', handler: () => (req, res) => { res.writeHead(302, { location: req.url! }); res.end(); }, error: /could not be fetched \((fetch failed: )?.*redirect/i },
  { name: 'redirect to a 404', file: 'weights', handler: () => (_req, res) => { res.writeHead(302, { location: '/models/gone.safetensors' }); res.end(); }, error: /answered HTTP 404/ },
  { name: 'HTTP 500', file: 'weights', handler: () => (_req, res) => { res.writeHead(500).end('oops'); }, error: /answered HTTP 500/ },
];

describe.runIf(haveFixtures())('a hostile server', () => {
  const table: string[] = [];
  let reference: number[] = [];
  const image = () => fixturePath('preprocess', 'coffee.png');
  const load = (cache: string) => ({ model: fixturePath('clip-tiny', 'config.json'), weights: `${base}/models/clip-tiny.safetensors`, vocab: `${base}/vocab/bpe.txt.gz`, cache, connectMs: 2000, idleMs: 2000, image: image() });
  const honest = () => {
    routes.set('/models/clip-tiny.safetensors', send(weights));
    routes.set('/vocab/bpe.txt.gz', send(vocab, { 'content-type': 'application/gzip' }));
  };

  it('the honest server gives the reference embedding, and a second run comes from the cache', async () => {
    honest();
    const cache = join(dir, 'honest');
    const first = await runClient(load(cache));
    expect(first.result?.ok, JSON.stringify(first)).toBe(true);
    reference = first.result!.head!;
    const n = requests.length;
    const second = await runClient(load(cache));
    expect(second.result?.head).toEqual(reference);
    expect(requests.length).toBe(n);
  });

  it('a cache entry that no longer parses (an HTML page with a consistent size and sha256) is dropped and fetched again, once; the error says so when the refetch fails', async () => {
    honest();
    const cache = join(dir, 'poisoned-entry');
    expect((await runClient(load(cache))).result?.ok).toBe(true);
    const url = `${base}/models/clip-tiny.safetensors`;
    const key = createHash('sha256').update(url).digest('hex').slice(0, 40);
    const poison = () => {
      writeFileSync(join(cache, `${key}.bin`), html);
      writeFileSync(join(cache, `${key}.json`), JSON.stringify({ url, size: html.byteLength, sha256: sha(html) }));
    };
    poison();
    const n = requests.filter((p) => p === '/models/clip-tiny.safetensors').length;
    const again = await runClient(load(cache));
    expect(again.result?.head).toEqual(reference);
    expect(requests.filter((p) => p === '/models/clip-tiny.safetensors').length).toBe(n + 1);
    // A FIFO planted as the entry's body is a miss, never a hang.
    rmSync(join(cache, `${key}.bin`));
    execFileSync('mkfifo', [join(cache, `${key}.bin`)]);
    writeFileSync(join(cache, `${key}.json`), JSON.stringify({ url, size: weights.byteLength }));
    const fifo = await runClient(load(cache), 20_000);
    expect(fifo.hung).toBe(false);
    expect(fifo.result?.head).toEqual(reference);
    poison();
    routes.set('/models/clip-tiny.safetensors', (_req, res) => void res.writeHead(503).end());
    const failed = await runClient(load(cache));
    expect(failed.result?.error?.message).toMatch(/answered HTTP 503 Service Unavailable \(its cached copy in .* was not a checkpoint \(safetensors or a torch\.save zip\): it begins "<!DOCTYPE html>.*" and was dropped\)/);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: a clear error, then a correct run', async (_name, c) => {
    expect(reference.length).toBe(8);
    honest();
    const path = c.file === 'weights' ? '/models/clip-tiny.safetensors' : '/vocab/bpe.txt.gz';
    routes.set(path, c.handler());
    const cache = join(dir, c.name.replace(/\W+/g, '-'));
    const before = requests.length;
    const bad = await runClient(load(cache));
    honest();
    const good = await runClient(load(cache));
    const outside = requests.slice(before).filter((p) => !PREFIXES.some((x) => p.startsWith(x)));
    const rss = Math.max(bad.result?.maxRssKb ?? 0, good.result?.maxRssKb ?? 0) / 1024;
    const clear = !!bad.result?.error && c.error.test(bad.result.error.message) && bad.result.error.message.includes(`${base}${path}`.split('/models/')[0]);
    const crash = !bad.hung && !bad.result;
    const wrong = !!bad.result?.ok;
    const poisoned = !(good.result?.ok && JSON.stringify(good.result.head) === JSON.stringify(reference));
    const leftovers = (() => {
      try {
        return readdirSync(cache).filter((f) => f.endsWith('.tmp')).length;
      } catch {
        return 0;
      }
    })();
    table.push(`| ${c.name} | ${clear ? 'yes' : 'NO'} | ${crash ? 1 : 0} | ${bad.hung ? 1 : 0} | ${wrong ? 1 : 0} | ${poisoned ? 1 : 0} | ${outside.length} | ${rss.toFixed(0)} | ${(bad.ms / 1000).toFixed(1)} | ${bad.result?.error?.message.slice(0, 140) ?? JSON.stringify(bad.result)} |`);
    expect(bad.hung, `${c.name}: hung`).toBe(false);
    expect(crash, `${c.name}: no result line\n${bad.stderr}`).toBe(false);
    expect(bad.result?.error?.message, c.name).toMatch(c.error);
    expect(bad.result!.error!.message).toContain(path);
    expect(wrong).toBe(false);
    expect(poisoned, `${c.name}: second run ${JSON.stringify(good)}`).toBe(false);
    expect(outside).toEqual([]);
    expect(leftovers).toBe(0);
    expect(rss, `${c.name}: peak RSS`).toBeLessThan(MAX_RSS_MB);
    expect(clear).toBe(true);
  });

  it("a hub config served as HTML (hf-hub:): a clear error, then a correct run from the honest config", async () => {
    const cfg = readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'));
    const ocWeights = readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'));
    const at = (f: string) => `/models/hub/test/oc/resolve/main/${f}`;
    routes.set(at('open_clip_model.safetensors'), send(ocWeights, { etag: `"${sha(ocWeights)}"` }));
    routes.set(at('open_clip_config.json'), send(html, { 'content-type': 'text/html' }));
    const cache = join(dir, 'hub-config');
    const args = { model: 'hf-hub:test/oc', cache, connectMs: 2000, idleMs: 2000, image: image(), hubUrl: `${base}/models/hub`, vocab: false };
    const bad = await runClient(args);
    expect(bad.result?.error?.message).toMatch(/config: http:\/\/127\.0\.0\.1:\d+\/models\/hub\/test\/oc\/resolve\/main\/open_clip_config\.json answered 200 with \d+ bytes that are not a JSON config: .*it begins "<!DOCTYPE html>/);
    routes.set(at('open_clip_config.json'), send(cfg, { 'content-type': 'application/json' }));
    const good = await runClient(args);
    expect(good.result?.ok, JSON.stringify(good.result)).toBe(true);
    table.push(`| hub config served as HTML | yes | 0 | 0 | 0 | 0 | 0 | ${((bad.result?.maxRssKb ?? 0) / 1024).toFixed(0)} | ${(bad.ms / 1000).toFixed(1)} | ${bad.result?.error?.message.slice(0, 140)} |`);
  });

  it('an endless body for MobileCLIP2-S4 (its bound: 2.4 GB) streams into the cache folder: memory stays low, and the temporary file is gone', async () => {
    routes.set('/models/s4.safetensors', CASES.find((c) => c.name.startsWith('endless'))!.handler());
    const cache = join(dir, 's4');
    const r = await runClient({ model: 'MobileCLIP2-S4', weights: `${base}/models/s4.safetensors`, vocab: false, cache, connectMs: 2000, idleMs: 2000, image: image() }, 120_000);
    expect(r.hung).toBe(false);
    expect(r.result?.error?.message).toMatch(/s4\.safetensors is more than the (\d+) bytes accepted/);
    const bound = Number(/more than the (\d+) bytes/.exec(r.result!.error!.message)![1]);
    expect(bound).toBeGreaterThan(2e9);
    const rss = r.result!.maxRssKb! / 1024;
    table.push(`| endless body, MobileCLIP2-S4 (bound ${(bound / 2 ** 30).toFixed(2)} GiB) | yes | 0 | 0 | 0 | 0 | 0 | ${rss.toFixed(0)} | ${(r.ms / 1000).toFixed(1)} | ${r.result!.error!.message.slice(0, 140)} |`);
    expect(rss).toBeLessThan(MAX_RSS_MB);
    expect(readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  afterAll(() => {
    if (table.length) console.log(['| case | clear error | crash | hang | wrong answer | cache poisoned | requests outside | peak RSS MB | s | error |', '|---|---|---|---|---|---|---|---|---|---|', ...table].join('\n'));
  });
});
