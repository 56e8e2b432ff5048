/**
 * The README's one command: `mobileclip classify photo --labels …` with no --weights and no local
 * weights/ folder downloads the default model's checkpoint (mobileclip_s0.pt from Apple's base
 * URL, here a local server holding the full-size S0 fixture) and the vocabulary on first use,
 * with progress on stderr, into MOBILECLIP_CACHE; the second run makes no request; --offline (and
 * MOBILECLIP_OFFLINE=1) with an empty cache is an error naming what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { runCliWith } from '../helpers/cli.js';
import { expectClose } from '../helpers/compare.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { TestServer } from '../helpers/http-server.js';

describe.runIf(haveFixtures())('classify with no local weights downloads the published files once', () => {
  let server: TestServer;
  let dir: string;
  const env = (cache: string, extra: Record<string, string> = {}) => ({ MOBILECLIP_APPLE_URL: `${server.url}/apple`, MOBILECLIP_VOCAB_URL: `${server.url}/clip/bpe_simple_vocab_16e6.txt.gz`, MOBILECLIP_HUB_URL: server.url, MOBILECLIP_CACHE: cache, ...extra });

  beforeAll(async () => {
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-download-cli-'));
    // Served as Apple's mobileclip_s0.pt: the format is read from the bytes, not the name.
    server.set('/apple/mobileclip_s0.pt', { body: readFileSync(fixturePath('s0-full', 'model.safetensors')), chunk: 4 << 20 });
    server.set('/clip/bpe_simple_vocab_16e6.txt.gz', readFileSync(resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz')));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('first run downloads with progress and gives the reference probabilities; the second is served from the cache', async () => {
    const cache = join(dir, 'cache');
    const captions = JSON.parse(readFileSync(fixturePath('s0-full', 'config.json'), 'utf8')).fixture.text_input.captions as string[];
    const images = ['astronaut.png', 'chelsea.png'].map((f) => fixturePath('preprocess', f));
    const args = ['classify', ...images, '--labels', captions.join('|'), '--json'];
    const t0 = performance.now();
    const r = await runCliWith({ cwd: dir, env: env(cache) }, ...args, '--progress');
    const firstMs = performance.now() - t0;
    expect(r.code, r.err).toBe(0);
    // Into a pipe: one line per download, with its size; no bar redrawn.
    expect(r.err).toContain(`\n  downloading weights ${server.url}/apple/mobileclip_s0.pt (107.9 MB)\n`);
    expect(r.err).toMatch(new RegExp(`\\n  downloading vocab ${server.url}/clip/bpe_simple_vocab_16e6\\.txt\\.gz \\(\\d\\.\\d MB\\)\\n`));
    expect(r.err).not.toContain('\r');
    const got = JSON.parse(r.out) as { file: string; predictions: { label: string; probability: number }[] }[];
    const logits = (await readSafetensors(fixturePath('s0-full', 'outputs.safetensors'))).float32('logits_per_image');
    for (let i = 0; i < 2; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      expectClose(`downloaded S0 classify ${got[i].file}`, captions.map((c) => got[i].predictions.find((p) => p.label === c)!.probability), want, { rel: 0, abs: 1e-5 });
    }

    const requests = server.requests.length;
    const t1 = performance.now();
    const again = await runCliWith({ cwd: dir, env: env(cache, { MOBILECLIP_OFFLINE: '1' }) }, ...args, '--progress');
    console.log(`classify with downloads: ${firstMs.toFixed(0)} ms; from the cache (offline): ${(performance.now() - t1).toFixed(0)} ms`);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toBe(r.out);
    expect(again.err).toContain('(cached, 107.9 MB)');
    expect(server.requests.length).toBe(requests);
  });

  it('--offline with nothing cached or local names the URL, the cache and the download command', async () => {
    const cache = join(dir, 'empty-cache');
    const r = await runCliWith({ cwd: dir, env: env(cache) }, 'classify', fixturePath('preprocess', 'chelsea.png'), '--labels', 'a,b', '--offline');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`OfflineError: (weights|vocab): ${server.url}/.* is needed but downloads are off \\(offline\\) and it is not in the cache \\(${cache.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
    expect(r.err).toContain("(once online, `mobileclip download mobileclip_s0` puts the model's published files in the cache)");
    expect(r.err).not.toMatch(/fetch\.sh|scripts\//);
    const hub = await runCliWith({ cwd: dir, env: env(cache, { MOBILECLIP_OFFLINE: '1' }) }, 'embed', '--image', fixturePath('preprocess', 'chelsea.png'), '--model', 'MobileCLIP2-S0');
    expect(hub.code).toBe(1);
    expect(hub.err).toContain(`weights: ${server.url}/timm/MobileCLIP2-S0-OpenCLIP/resolve/main/open_clip_model.safetensors is needed but downloads are off`);
  });
});
