/**
 * openIndex in a real Chromium, the index in OPFS: the fixture photos (and a cut PNG) picked as
 * Files index with clip-tiny (full vocabulary); after a page reload the index reopens from OPFS
 * with the same rows and a search before any update; updating with the same Files computes nothing
 * (the forward counted: 0 calls), a renamed copy reuses its twin's embedding by SHA-256. Then the
 * OPFS files, copied out, open with Node's openIndex (the format is the same) and give the page's
 * search bit for bit; and Node's own index of the same photos with the same model, on Node's CPU
 * backend, ranks them in the same order with scores within float32 noise of the page's (WebGPU
 * through SwiftShader here, or whatever the page's backend says it is). createModelInWorker's
 * openIndex opens the same OPFS index from the worker (same hits, nothing embedded), the Web Lock
 * refuses its update while the page writes, and what a cut-short commit leaves is removed by the
 * next writer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildBrowser } from '../../scripts/bundles.mjs';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { TestServer } from '../helpers/http-server.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';
import { createModelAndTransforms, openIndex } from '../../src/index.node.js';
import { IndexStore } from '../../src/collection/index-store.node.js';

const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'photo_q90.jpg'];
const QUERIES = ['a cat', 'an astronaut', 'a cup of coffee'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>opfs index</title><body>
<script type="module">
  import * as mobileclip from '/lib/index.js';
  window.mobileclip = mobileclip;
  // The model and the picked Files, as a page would have them; forwards counted.
  window.setup = async () => {
    const config = await (await fetch('/models/m/config.json')).json();
    const m = await mobileclip.createModelAndTransforms(config, { weights: '/models/m/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz' });
    const forward = m.model.encodeImageInputs.bind(m.model);
    window.forwards = 0;
    m.model.encodeImageInputs = (...a) => (window.forwards += a[1], forward(...a));
    const files = [];
    for (const f of ${JSON.stringify(PHOTOS)}) files.push(new File([await (await fetch('/fixtures/preprocess/' + f)).blob()], f, { lastModified: 1700000000000 }));
    const cut = (await (await fetch('/fixtures/preprocess/coffee.png')).arrayBuffer()).slice(0, 200);
    files.push(new File([cut], 'cut.png', { lastModified: 1700000000000 }));
    return { model: m.model, files };
  };
  window.searchAll = async (index) => {
    const out = {};
    for (const q of ${JSON.stringify(QUERIES)}) out[q] = await index.search(q, { k: 10 });
    return out;
  };
  document.body.dataset.ready = 'true';
</script>`;

describe.runIf(haveFixtures() && haveChromium())('openIndex in OPFS, in a real Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];
  /** The page's first searches (query → hits), for the worker's to match. */
  let pageHits: Record<string, { path: string; score: number }[]> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-opfs-'));
    await buildBrowser(join(dir, 'lib'));
    mkdirSync(join(dir, 'models', 'm'), { recursive: true });
    await writeFullVocabClipTiny(join(dir, 'models', 'm'));
    server = await TestServer.start();
    server.mount('/lib/', join(dir, 'lib')).mount('/models/', join(dir, 'models')).mount('/fixtures/', FIXTURES!).mount('/vocab/', resolve(FIXTURES!, '../vocab'));
    server.set('/index.html', { body: PAGE, type: 'text/html; charset=utf-8' });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('indexes picked Files, reopens them from OPFS after a reload without computing, and matches Node on the same files', async () => {
    type Hit = { path: string; score: number };
    // 1. The first visit: index the Files.
    const first = await page.evaluate(async () => {
      const w = window as any;
      const { model, files } = await w.setup();
      const index = await w.mobileclip.openIndex('photos', model);
      const empty = { size: index.size, hits: await index.search('a cat') };
      const skips: string[] = [];
      const summary = await index.update(files, { onSkip: (k: string) => skips.push(k) });
      const out = { empty, summary, skips, size: index.size, forwards: w.forwards, hits: await w.searchAll(index), backend: model.backend.description };
      await index.close();
      return out;
    });
    expect(first.empty).toEqual({ size: 0, hits: [] });
    expect(first.summary).toMatchObject({ added: 4, reused: 0, updated: 0, unchanged: 0, removed: 0, skipped: 1 });
    expect(first.skips).toEqual(['cut.png']);
    expect(first.size).toBe(4);
    expect(first.forwards).toBe(4);
    pageHits = first.hits;

    // 2. Reload: the index comes back from OPFS; the same Files compute nothing; a renamed copy reuses its twin.
    await page.reload();
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
    const second = await page.evaluate(async () => {
      const w = window as any;
      const { model, files } = await w.setup();
      const index = await w.mobileclip.openIndex('photos', model);
      const size = index.size;
      const hits = await w.searchAll(index);
      const again = await index.update(files);
      const forwardsAgain = w.forwards;
      const cat = files.find((f: File) => f.name === 'chelsea.png');
      const renamed = await index.update([...files, new File([cat], 'copy of chelsea.png', { lastModified: 1700000001000 })]);
      const byImage = await index.search({ image: cat }, { k: 2 });
      const out = { size, hits, again, forwardsAgain, renamed, forwardsRenamed: w.forwards, sizeAfter: index.size, byImage };
      await index.close();
      // The OPFS folder's files, to open from Node.
      const root = await navigator.storage.getDirectory();
      const d = await root.getDirectoryHandle('photos');
      const copy: Record<string, number[]> = {};
      for await (const name of (d as any).keys()) copy[name] = [...new Uint8Array(await (await (await d.getFileHandle(name)).getFile()).arrayBuffer())];
      return { ...out, copy };
    });
    expect(second.size).toBe(4);
    expect(second.hits).toEqual(first.hits); // the same rows, read back from OPFS
    expect(second.again).toMatchObject({ added: 0, reused: 0, updated: 0, unchanged: 4, removed: 0, skipped: 1 });
    expect(second.forwardsAgain).toBe(0);
    expect(second.renamed).toMatchObject({ added: 1, reused: 1, unchanged: 4, skipped: 1 });
    expect(second.forwardsRenamed).toBe(0);
    expect(second.sizeAfter).toBe(5);
    expect(second.byImage.map((h: Hit) => h.path)).toEqual(['chelsea.png', 'copy of chelsea.png']);
    expect(second.byImage[0].score).toBe(second.byImage[1].score);
    // No temporary file is left; the files are the format's.
    expect(Object.keys(second.copy).sort()).toEqual(['manifest.json', 'seg-00000001.rows.json', 'seg-00000001.safetensors', 'seg-00000002.rows.json', 'seg-00000002.safetensors']);

    // 3. The OPFS files copied out open in Node, and a Node index of the same photos.
    const exported = join(dir, 'exported');
    mkdirSync(exported);
    for (const [name, bytes] of Object.entries(second.copy)) writeFileSync(join(exported, name), Uint8Array.from(bytes));
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    for (const f of PHOTOS) copyFileSync(fixturePath('preprocess', f), join(photos, f));
    const m = await createModelAndTransforms(join(dir, 'models', 'm', 'config.json'), { weights: join(dir, 'models', 'm', 'model.safetensors'), vocab: resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz'), device: 'cpu' });
    try {
      const fromPage = await openIndex(exported, m.model); // an IndexModelError if the page recorded another model
      const node = await openIndex(join(dir, 'db'), m.model);
      expect(await node.update([photos])).toMatchObject({ added: 4, skipped: 0 });
      // The stored embeddings, page (WebGPU or the page's CPU) against Node's CPU, file by file.
      const pageStore = await IndexStore.open(exported);
      const nodeStore = await IndexStore.open(join(dir, 'db'));
      const rowsOf = async (s: IndexStore) => {
        const live = await s.loadLive();
        const out = new Map<string, Float32Array>();
        for (let i = 0; i < live.count; i++) out.set(basename((await live.rowAt(i)).path), live.embeddings.subarray(i * live.dim, (i + 1) * live.dim));
        return out;
      };
      const pageRows = await rowsOf(pageStore);
      const nodeRows = await rowsOf(nodeStore);
      let embedDiff = 0;
      for (const f of PHOTOS) nodeRows.get(f)!.forEach((v, j) => (embedDiff = Math.max(embedDiff, Math.abs(v - pageRows.get(f)![j]))));
      let scoreDiff = 0;
      let closestGap = Infinity;
      for (const q of QUERIES) {
        const pageHits: Hit[] = first.hits[q];
        // The page's own rows searched from Node: the same rows and order (the query embedded on Node's CPU).
        const exportedHits = (await fromPage.search(q, { k: 10 })).filter((h) => h.path !== 'copy of chelsea.png');
        const nodeHits = await node.search(q, { k: 10 });
        expect(pageHits).toHaveLength(4); // every photo ranked: a comparison of nothing fails
        expect(nodeHits.map((h) => basename(h.path))).toEqual(pageHits.map((h) => h.path));
        expect(exportedHits.map((h) => h.path)).toEqual(pageHits.map((h) => h.path));
        nodeHits.forEach((h, i) => (scoreDiff = Math.max(scoreDiff, Math.abs(h.score - pageHits[i].score), Math.abs(exportedHits[i].score - pageHits[i].score))));
        for (let i = 1; i < pageHits.length; i++) closestGap = Math.min(closestGap, pageHits[i - 1].score - pageHits[i].score);
      }
      console.log(`page backend: ${first.backend}; Node backend: ${m.model.backend.description}; stored embeddings max |Δ| ${embedDiff.toExponential(2)}; scores max |Δ| ${scoreDiff.toExponential(2)} (closest gap between ranks ${closestGap.toExponential(2)}); page hits ${JSON.stringify(first.hits['a cat'])}`);
      expect(embedDiff).toBeLessThan(1e-5);
      expect(scoreDiff).toBeLessThan(1e-5);
      await fromPage.close();
      await node.close();
    } finally {
      m.dispose();
    }
    expect(errors).toEqual([]);
  }, 180_000);

  it("createModelInWorker's openIndex opens the page's OPFS index: the same rows, nothing computed, one writer at a time across page and worker", async () => {
    const r = await page.evaluate(async () => {
      const w = window as any;
      const { model, files } = await w.setup();
      const config = await (await fetch('/models/m/config.json')).json();
      const worker = await w.mobileclip.createModelInWorker(config, { weights: '/models/m/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz', workerUrl: new URL('/lib/worker.js', location.href) });
      try {
        const index = await worker.openIndex('photos');
        const size = index.size;
        const skips: string[] = [];
        const progress: number[][] = [];
        const again = await index.update(files, { onSkip: (k: string) => skips.push(k), onProgress: (d: number, t: number) => progress.push([d, t]) });
        const pruned = await index.update(files, { removeMissing: true });
        const hits = await w.searchAll(index);
        const byImage = await index.search({ image: files.find((f: File) => f.name === 'coffee.png') }, { k: 1 });
        // The page takes the write lock (its update holds it until close): the worker's update is refused meanwhile.
        await index.close();
        const onPage = await w.mobileclip.openIndex('photos', model);
        await onPage.update(files);
        const busy = await worker.openIndex('photos').then((i: any) => i.update(files)).then(() => 'no error', (e: Error) => `${e.name}: ${e.message}`);
        await onPage.close();
        const later = await worker.openIndex('photos');
        const after = await later.update(files);
        await later.close();
        return { size, again, skips, progress, pruned, sizeAfter: index.size, hits, byImage, busy, after, backend: worker.info.backend, adapter: worker.info.adapter.description };
      } finally {
        await worker.dispose();
      }
    });
    console.log(`worker backend: ${r.backend} (${r.adapter}); 'a cat' in the worker: ${JSON.stringify(r.hits['a cat'])}`);
    expect(r.size).toBe(5); // the page's four photos and the renamed copy
    expect(r.again).toMatchObject({ added: 0, reused: 0, updated: 0, unchanged: 4, removed: 0, skipped: 1 });
    expect(r.skips).toEqual(['cut.png']); // relayed as it happened
    expect(r.progress.at(-1)).toEqual([1, 1]); // only the cut PNG was tried: nothing embedded
    expect(r.pruned).toMatchObject({ added: 0, unchanged: 4, removed: 1 });
    expect(r.sizeAfter).toBe(4);
    expect(r.byImage[0].path).toBe('coffee.png');
    expect(r.busy).toMatch(/^IndexBusyError: opfs:photos: another writer/);
    expect(r.after).toMatchObject({ added: 0, unchanged: 4 });
    expect(Object.keys(r.hits)).toHaveLength(3);
    let diff = 0;
    for (const [q, hits] of Object.entries(pageHits)) {
      expect(r.hits[q].map((h: { path: string }) => h.path)).toEqual(hits.map((h) => h.path));
      hits.forEach((h, i) => (diff = Math.max(diff, Math.abs(h.score - r.hits[q][i].score))));
    }
    console.log(`worker against page scores: max |Δ| ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-6);
    expect(errors).toEqual([]);
  }, 120_000);

  it("what a commit cut short leaves in OPFS (a temporary file, Chromium's swap file, an unlisted segment) is not read, and the next writer removes it", async () => {
    const r = await page.evaluate(async () => {
      const w = window as any;
      const d = await (await navigator.storage.getDirectory()).getDirectoryHandle('photos');
      const put = async (name: string, text: string) => {
        const out = await (await d.getFileHandle(name, { create: true })).createWritable();
        await out.write(text);
        await out.close();
      };
      const names = async () => {
        const out: string[] = [];
        for await (const k of (d as any).keys()) out.push(k);
        return out.sort();
      };
      const before = await names();
      await put('.manifest.json.0.deadbeef.tmp', '{"half": ');
      await put('manifest.json.crswap', 'partial');
      await put('seg-00000099.rows.json', '[]');
      await put('seg-00000099.safetensors', 'not yet listed');
      const { model, files } = await w.setup();
      const index = await w.mobileclip.openIndex('photos', model);
      const size = index.size;
      const hits = (await index.search('a cat', { k: 10 })).map((h: { path: string }) => h.path);
      const withLeftovers = await names();
      const summary = await index.update(files);
      await index.close();
      return { before, size, hits, withLeftovers, summary, after: await names() };
    });
    expect(r.size).toBe(4);
    expect(r.hits).toEqual(pageHits['a cat'].map((h) => h.path));
    expect(r.withLeftovers).toHaveLength(r.before.length + 4); // a reader removes nothing
    expect(r.summary).toMatchObject({ added: 0, unchanged: 4 });
    expect(r.after).toEqual(r.before);
  }, 60_000);
});
