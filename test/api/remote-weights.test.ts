/**
 * Weights by URL and hub reference (Node): against a local server laid out like the hub, a
 * `hf-hub:` name resolves its open_clip_config.json and open_clip_model.safetensors, reports
 * download/parse/upload/compile progress, and matches the open_clip reference; a second load is
 * a cache hit with no request; a truncated, mis-hashed or cancelled download leaves no cache entry
 * that loads later; offline mode names what is missing; a corrupted entry is fetched again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelAndTransforms } from '../../src/api/node.js';
import { FolderCache } from '../../src/io/byte-cache.node.js';
import type { LoadProgress } from '../../src/io/load-progress.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { diff, fmtDiff } from '../helpers/compare.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { TestServer } from '../helpers/http-server.js';

const g = useGpu();
const REPO = 'test-org/oc-mci-tiny-OpenCLIP';

describe.runIf(haveFixtures())('weights by URL and hub name, with progress, abort and a cache', () => {
  let server: TestServer;
  let dir: string;
  let weights: Uint8Array;
  const newCache = () => new FolderCache(mkdtempSync(join(dir, 'cache-')));
  const sources = () => ({ hubUrl: server.url });

  beforeAll(async () => {
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-remote-'));
    weights = readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'));
    server.hub(REPO, 'open_clip_config.json', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8'), { etag: 'W/"small-file"' });
    server.hub(REPO, 'open_clip_model.safetensors', weights, { chunk: 256 * 1024 });
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a hub name loads with progress, matches open_clip, and loads again from the cache with no download (a HEAD per file at main)', async () => {
    const cache = newCache();
    const events: LoadProgress[] = [];
    const t0 = performance.now();
    const m = await createModelAndTransforms(`hf-hub:${REPO}`, { cache, sources: sources(), onProgress: (p) => events.push(p), warmup: true, vocab: false });
    const firstMs = performance.now() - t0;
    try {
      const downloads = events.filter((e) => e.phase === 'download' && e.what === 'weights');
      expect(downloads[0].loaded).toBe(0);
      expect(downloads.at(-1)).toMatchObject({ loaded: weights.byteLength, total: weights.byteLength, url: `${server.url}/${REPO}/resolve/main/open_clip_model.safetensors` });
      expect(downloads.length).toBeGreaterThan(1); // reported while streaming, not only at the end
      expect(events.some((e) => e.phase === 'download' && e.what === 'config')).toBe(true);
      // Kernels compile ahead while the checkpoint downloads and parses: their events interleave.
      const phases = [...new Set(events.map((e) => e.phase))];
      expect(phases.filter((ph) => ph !== 'compile')).toEqual(['download', 'parse', 'upload', 'ready']);
      expect(phases).toContain('compile');
      expect(events.at(-1)!.phase).toBe('ready');
      const compiled = events.filter((e) => e.phase === 'compile').at(-1)!;
      expect(compiled.loaded).toBeGreaterThan(0);
      expect(compiled.total).toBe(compiled.loaded);

      // The hub-loaded model against the open_clip reference outputs.
      const inputs = await readSafetensors(fixturePath('openclip', 'oc-mci-tiny', 'inputs.safetensors'));
      const outputs = await readSafetensors(fixturePath('openclip', 'oc-mci-tiny', 'outputs.safetensors'));
      const shape = inputs.info('image').shape;
      const x = m.model.backend.upload(inputs.float32('image'), shape);
      const img = m.model.clip.encodeImage(x, { normalize: true });
      const got = await img.readFloat();
      x.dispose();
      img.dispose();
      const d = diff(got, outputs.float32('image_embeddings'));
      const ids = inputs.int32('text');
      const t = await m.model.encodeTokens(ids, ids.length / 77);
      const dt = diff(t.data, outputs.float32('text_embeddings'));
      console.log(`hf-hub:${REPO}: first load ${firstMs.toFixed(0)} ms (${compiled.loaded} kernels compiled); image ${fmtDiff(d)}; text ${fmtDiff(dt)}`);
      expect(d.rel).toBeLessThanOrEqual(1e-5);
      expect(dt.rel).toBeLessThanOrEqual(1e-5);
    } finally {
      m.dispose();
    }
    expect(readdirSync(cache.where).sort()).toHaveLength(4); // config and weights, each .bin + .json

    const before = server.requests.length;
    const again: LoadProgress[] = [];
    const t1 = performance.now();
    const m2 = await createModelAndTransforms(`hf-hub:${REPO}`, { cache, sources: sources(), onProgress: (p) => again.push(p), vocab: false });
    console.log(`second load from the cache: ${(performance.now() - t1).toFixed(0)} ms`);
    m2.dispose();
    // At `main` the hub is asked whether each file changed (one HEAD each, as huggingface_hub does); nothing is downloaded.
    expect(server.requests.slice(before)).toEqual([`HEAD /${REPO}/resolve/main/open_clip_config.json`, `HEAD /${REPO}/resolve/main/open_clip_model.safetensors`]);
    expect(again.filter((e) => e.phase === 'cache').map((e) => e.what).sort()).toEqual(['config', 'weights']);
    expect(again.some((e) => e.phase === 'download')).toBe(false);
  });

  it('offline: a file not in the cache is an error naming its URL; a cached one loads', async () => {
    const cache = newCache();
    const o = { cache, sources: sources(), vocab: false as const };
    await expect(createModelAndTransforms(`hf-hub:${REPO}`, { ...o, offline: true })).rejects.toThrow(
      new RegExp(`config: ${server.url}/${REPO}/resolve/main/open_clip_config.json is needed but downloads are off \\(offline\\) and it is not in the cache \\(${cache.where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`),
    );
    (await createModelAndTransforms(`hf-hub:${REPO}`, o)).dispose();
    const before = server.requests.length;
    (await createModelAndTransforms(`hf-hub:${REPO}`, { ...o, offline: true })).dispose();
    expect(server.requests.length).toBe(before);
  });

  it('a truncated download fails, names the byte counts and caches nothing; the next load downloads again', async () => {
    const cache = newCache();
    const url = server.hub('test-org/truncated', 'open_clip_model.safetensors', weights, { truncateAt: 100_000 });
    server.hub('test-org/truncated', 'open_clip_config.json', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8'));
    await expect(createModelAndTransforms('hf-hub:test-org/truncated', { cache, sources: sources(), vocab: false })).rejects.toThrow(
      new RegExp(`weights: ${url} (ended after 100000 of the ${weights.byteLength} bytes announced \\(truncated\\)|broke off after \\d+ of ${weights.byteLength} bytes)`),
    );
    expect(await cache.get(url)).toBeNull();
    server.hub('test-org/truncated', 'open_clip_model.safetensors', weights);
    (await createModelAndTransforms('hf-hub:test-org/truncated', { cache, sources: sources(), vocab: false })).dispose();
    expect((await cache.get(url))?.byteLength).toBe(weights.byteLength);
  });

  it('a body whose sha256 differs from the ETag the hub names is refused and not cached', async () => {
    const cache = newCache();
    const url = server.hub('test-org/mismatch', 'open_clip_model.safetensors', weights, { etag: 'a'.repeat(64) });
    await expect(createModelAndTransforms(`hf-hub:${REPO}`, { weights: 'hf-hub:test-org/mismatch', cache, sources: sources(), vocab: false })).rejects.toThrow(
      /weights: .*test-org\/mismatch.* arrived with sha256 [0-9a-f]{64}, but the server named a{64}; nothing was cached/,
    );
    expect(await cache.get(url)).toBeNull();
  });

  it('a cancelled download rejects with the AbortError and caches nothing', async () => {
    const cache = newCache();
    const url = server.hub('test-org/slow', 'open_clip_model.safetensors', weights, { chunk: 64 * 1024, delayMs: 30 });
    const ac = new AbortController();
    const p = createModelAndTransforms(`hf-hub:${REPO}`, {
      weights: url,
      cache,
      sources: sources(),
      vocab: false,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.phase === 'download' && e.what === 'weights' && e.loaded > 0) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(await cache.get(url)).toBeNull();
  });

  it('a corrupted cache entry is dropped and downloaded again; no Content-Length still streams with progress', async () => {
    const cache = newCache();
    const url = server.hub('test-org/nolength', 'open_clip_model.safetensors', weights, { noLength: true, etag: undefined });
    const seen: LoadProgress[] = [];
    (await createModelAndTransforms(`hf-hub:${REPO}`, { weights: url, cache, sources: sources(), vocab: false, onProgress: (e) => seen.push(e) })).dispose();
    const last = seen.filter((e) => e.phase === 'download' && e.what === 'weights').at(-1)!;
    expect(last).toMatchObject({ loaded: weights.byteLength, total: undefined });
    const bin = readdirSync(cache.where).filter((f) => f.endsWith('.bin')).map((f) => join(cache.where, f));
    const entry = bin.find((f) => readFileSync(f).byteLength === weights.byteLength)!;
    const bytes = readFileSync(entry);
    bytes[1000] ^= 0xff;
    writeFileSync(entry, bytes);
    const before = server.count(`/test-org/nolength/resolve/main/open_clip_model.safetensors`);
    (await createModelAndTransforms(`hf-hub:${REPO}`, { weights: url, cache, sources: sources(), vocab: false })).dispose();
    expect(server.count(`/test-org/nolength/resolve/main/open_clip_model.safetensors`)).toBe(before + 1);
    expect(readFileSync(entry)).toEqual(Buffer.from(weights));
  });

  it('an HTTP error names the URL and the status; a bad hub reference names the form', async () => {
    const cache = newCache();
    await expect(createModelAndTransforms('hf-hub:test-org/missing', { cache, sources: sources(), vocab: false })).rejects.toThrow(/config: .*\/test-org\/missing\/resolve\/main\/open_clip_config\.json answered HTTP 404/);
    await expect(createModelAndTransforms('hf-hub:nope', { cache, sources: sources() })).rejects.toThrow(/"hf-hub:nope" is not a hub reference: it names no <org>\/<repo> \(expected hf-hub:<org>\/<repo>\[@revision\]\[\/<file>\]\)/);
    await expect(createModelAndTransforms('hf-hub:a/b/../../etc/passwd', { cache, sources: sources() })).rejects.toThrow(/is not a hub reference/);
  });
});
