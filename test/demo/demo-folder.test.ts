/**
 * The demo's folder index in a real Chromium, as a visitor uses it: a folder of fixture photos in
 * two levels, with a cut PNG and a text file, chosen through the page's <input webkitdirectory>
 * (Playwright's setInputFiles with the folder's path), indexed into OPFS by the model's worker with
 * the tiny model (f32); the summary's counts and the broken file's reason; a search with previews;
 * then a reload: the page says what the index holds before any model is loaded, and a search works
 * without choosing the folder again (names, no previews), ranking the photos as the Node CLI does
 * on the same files (`index` then `search --json`, CPU backend). The showDirectoryPicker path walks
 * an OPFS folder handed to it (the same handle type the picker returns) to the same keys; a large
 * folder's indexing is cancelled; "Forget this index" removes it. Screenshots of the folder card at
 * 1280 and 390 px go to test-results/demo/ (docs/demo-folder.png is copied from there by hand).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { encode as encodePng } from 'fast-png';
import { buildDemo } from '../../scripts/bundles.mjs';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { runCliWith } from '../helpers/cli.js';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';
import { TestServer } from '../helpers/http-server.js';

const SHOTS = resolve('test-results/demo');
/** The folder: key (its path from the chosen folder's parent, as webkitRelativePath names it) → fixture. */
const PHOTOS: Record<string, string> = {
  'pics/astronaut.png': 'astronaut.png',
  'pics/chelsea.png': 'chelsea.png',
  'pics/coffee.png': 'coffee.png',
  'pics/tiny_50x37.png': 'tiny_50x37.png',
  'pics/more/photo_q90.jpg': 'photo_q90.jpg',
  'pics/more/gradient_300x200.png': 'gradient_300x200.png',
  'pics/more/gray_120x90.png': 'gray_120x90.png',
  'pics/more/rgba_160x120.png': 'rgba_160x120.png',
};
const QUERIES = ['a cat', 'an astronaut in a space suit', 'a cup of coffee'];

/** A 40×30 image of its own (a pattern seeded by i), so none reuses another's embedding. */
function distinctPng(i: number): Uint8Array {
  const data = new Uint8Array(40 * 30 * 3);
  let seed = Math.imul(i + 1, 2654435761);
  for (let p = 0; p < data.length; p++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[p] = ((seed >>> 24) + (p % 89) * i) & 255;
  }
  return encodePng({ width: 40, height: 30, data, channels: 3, depth: 8 });
}

type Hit = { path: string; score: number };

describe.runIf(haveFixtures() && haveChromium())('the demo indexes a folder into OPFS, keeps it across reloads and searches it', () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  let page: Page;
  const errors: string[] = [];
  /** The page's rankings after the reload, per query. */
  const pageHits: Record<string, Hit[]> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-demo-folder-'));
    await buildDemo(join(dir, 'demo'));
    mkdirSync(join(dir, 'models', 'm'), { recursive: true });
    await writeFullVocabClipTiny(join(dir, 'models', 'm'));
    mkdirSync(join(dir, 'pics', 'more'), { recursive: true });
    for (const [key, f] of Object.entries(PHOTOS)) copyFileSync(fixturePath('preprocess', f), join(dir, key));
    writeFileSync(join(dir, 'pics', 'cut.png'), readFileSync(fixturePath('preprocess', 'coffee.png')).subarray(0, 200));
    writeFileSync(join(dir, 'pics', 'notes.txt'), 'not a photo\n');
    mkdirSync(join(dir, 'many'));
    for (let i = 0; i < 400; i++) writeFileSync(join(dir, 'many', `p${String(i).padStart(3, '0')}.png`), distinctPng(i));
    server = await TestServer.start({ crossOriginIsolated: true });
    server.mount('/demo/', join(dir, 'demo')).mount('/models/', join(dir, 'models')).mount('/fixtures/', FIXTURES!).mount('/vocab/', resolve(FIXTURES!, '../vocab'));
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const result = async (p: Page) => JSON.parse((await p.textContent('#result'))!);
  const ready = (p: Page) => p.waitForSelector('body[data-adapter]', { state: 'attached', timeout: 30_000 });

  async function searchFolder(p: Page, query: string): Promise<Hit[]> {
    await p.fill('#folder-query', query);
    await p.click('#folder-search');
    await p.waitForFunction((q) => JSON.parse(document.getElementById('result')!.textContent!).folderSearch?.query === q || document.querySelector('#folder-status .error'), query, { timeout: 90_000 });
    const r = await result(p);
    if (r.folderSearch?.query !== query) throw new Error(`the search failed: ${await p.textContent('#folder-status')}`);
    return r.folderSearch.hits;
  }

  /** The folder card only, at the page's width. */
  const shot = (p: Page, name: string) => p.locator('section[aria-labelledby=folder-h]').screenshot({ path: join(SHOTS, name) });

  it('indexes the chosen folder with progress and a summary (a broken file skipped with its reason, other files counted)', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/demo/`);
    await ready(page);
    expect(await page.textContent('#folder-state')).toBe('No folder indexed yet.');
    expect(await page.isVisible('#folder-forget')).toBe(false);
    await page.click('#settings-toggle');
    await page.selectOption('#model', '');
    await page.fill('#config', '/models/m/config.json');
    await page.fill('#weights', '/models/m/model.safetensors');
    await page.fill('#vocab', '/vocab/bpe_simple_vocab_16e6.txt.gz');
    await page.selectOption('#dtype', 'f32'); // f32 on both sides: the scores compared below are float32's
    await page.click('#settings-toggle');
    await page.setInputFiles('#folder-input', join(dir, 'pics'));
    await page.waitForFunction(() => JSON.parse(document.getElementById('result')!.textContent!).folder, undefined, { timeout: 120_000 });
    const r = (await result(page)).folder;
    expect(r.cancelled).toBe(false);
    expect(r.summary).toMatchObject({ added: 8, updated: 0, unchanged: 0, removed: 0, skipped: 1 });
    expect(r.others).toBe(1); // notes.txt, not read
    expect(r.skips).toHaveLength(1);
    expect(r.skips[0].key).toBe('pics/cut.png');
    expect(r.skips[0].reason).toMatch(/PNG|truncated|end of|data/i);
    const status = (await page.textContent('#folder-status'))!;
    expect(status).toMatch(/^9 photos in [\d.]+ s: 8 added, 0 unchanged, 1 skipped; 1 other file left out \(not PNG or JPEG\)\.cut\.png: truncated PNG/);
    expect(await page.textContent('#folder-state')).toBe('This browser keeps an index of 8 photos (custom model, f32).');
    expect(await page.isVisible('#folder-forget')).toBe(true);
    // A search in the same visit shows the pictures.
    const hits = await searchFolder(page, 'a cat');
    expect(hits.map((h) => h.path).sort()).toEqual(Object.keys(PHOTOS).sort());
    expect(await page.locator('#folder-ranking img').count()).toBe(8);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(width);
      await shot(page, `demo-folder-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 180_000);

  it('after a reload says what the index holds and searches it without choosing again, ranking as the Node CLI does', async () => {
    await page.reload();
    await ready(page);
    await page.waitForFunction(() => /8 photos/.test(document.getElementById('folder-state')!.textContent!));
    // Said before any model is loaded (read from the index's manifest); the settings are the index's.
    expect(await page.textContent('#folder-state')).toMatch(/^This browser keeps an index of 8 photos \(custom model, f32\)/);
    expect(await page.inputValue('#config')).toBe('/models/m/config.json');
    expect(await page.inputValue('#dtype')).toBe('f32');
    for (const q of QUERIES) pageHits[q] = await searchFolder(page, q);
    // No Files this visit: names and folders, an empty square for the picture, and the page says why.
    expect(await page.locator('#folder-ranking img').count()).toBe(0);
    expect(await page.locator('#folder-ranking .no-thumb').count()).toBe(8);
    expect(await page.locator('#folder-ranking .name').allTextContents()).toEqual(pageHits[QUERIES.at(-1)!].map((h) => h.path.split('/').pop()));
    expect(await page.textContent('#folder-search-note')).toMatch(/^Top 8 of 8 photos in \d+ ms \(no previews after a reload/);
    const r = await result(page);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(width);
      const lines = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('#folder-ranking .name, #folder-ranking .folder-path')].map((n) => n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight)));
      expect(Math.max(...lines)).toBeLessThan(1.5); // one line each, never broken mid-word
      await shot(page, `demo-folder-reloaded-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // The Node CLI on the same files, same weights, CPU backend.
    const model = ['--config', join(dir, 'models', 'm', 'config.json'), '--weights', join(dir, 'models', 'm', 'model.safetensors'), '--device', 'cpu'];
    const vocab = ['--vocab', resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz')];
    const run = (...argv: string[]) => runCliWith({ cwd: dir, timeoutMs: 180_000 }, ...argv);
    const indexed = await run('index', 'pics', '--db', 'db', '--json', ...model);
    expect(JSON.parse(indexed.out)).toMatchObject({ added: 8, skipped: 2, images: 8 }); // the CLI also counts notes.txt as skipped
    let scoreDiff = 0;
    let closestGap = Infinity;
    for (const q of QUERIES) {
      const s = await run('search', q, '--db', 'db', '--top', '20', '--json', ...vocab);
      expect(s.code, s.err).toBe(0);
      const nodeHits = (JSON.parse(s.out).hits as Hit[]).map((h) => ({ path: relative(dir, h.path), score: h.score }));
      expect(pageHits[q]).toHaveLength(8);
      expect(pageHits[q].map((h) => h.path)).toEqual(nodeHits.map((h) => h.path));
      nodeHits.forEach((h, i) => (scoreDiff = Math.max(scoreDiff, Math.abs(h.score - pageHits[q][i].score))));
      for (let i = 1; i < 8; i++) closestGap = Math.min(closestGap, pageHits[q][i - 1].score - pageHits[q][i].score);
    }
    console.log(`demo folder: page backend ${r.backend}, Node --device cpu; scores max |Δ| ${scoreDiff.toExponential(2)} (closest gap between ranks ${closestGap.toExponential(2)}); 'a cat': ${JSON.stringify(pageHits['a cat'].slice(0, 3))}`);
    // Unit vectors of float32 products summed over 512 dims on two backends: the same bound as opfs-index.test.ts.
    expect(scoreDiff).toBeLessThan(1e-5);
  }, 240_000);

  it('showDirectoryPicker: the chosen handle is walked to the same keys (a changed date, the same bytes: reused, nothing embedded)', async () => {
    // The picker itself is a native dialog; an OPFS folder is the same kind of handle, with the same files.
    const mtime = await page.evaluate(async (photos) => {
      const root = await navigator.storage.getDirectory();
      const top = await (await root.getDirectoryHandle('picked', { create: true })).getDirectoryHandle('pics', { create: true });
      const put = async (path: string, bytes: Blob | string) => {
        const parts = path.split('/');
        let d = top;
        for (const p of parts.slice(1, -1)) d = await d.getDirectoryHandle(p, { create: true });
        const w = await (await d.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
        await w.write(bytes);
        await w.close();
      };
      for (const [key, f] of Object.entries(photos)) await put(key, await (await fetch(`/fixtures/preprocess/${f}`)).blob());
      await put('pics/cut.png', (await (await fetch('/fixtures/preprocess/coffee.png')).blob()).slice(0, 200));
      await put('pics/notes.txt', 'not a photo\n');
      (window as unknown as { showDirectoryPicker: () => Promise<unknown> }).showDirectoryPicker = async () => top;
      return Date.now();
    }, PHOTOS);
    expect(mtime).toBeGreaterThan(0);
    await page.evaluate(() => (document.getElementById('result')!.textContent = '{}'));
    await page.click('#folder-pick');
    await page.waitForFunction(() => JSON.parse(document.getElementById('result')!.textContent!).folder, undefined, { timeout: 60_000 });
    const r = (await result(page)).folder;
    expect(r.summary).toMatchObject({ added: 0, updated: 8, reused: 8, unchanged: 0, removed: 0, skipped: 1 });
    expect(r.skips.map((s: { key: string }) => s.key)).toEqual(['pics/cut.png']);
    expect(r.others).toBe(1);
    // The pictures are back: the ranking has previews again.
    await searchFolder(page, 'a cat');
    expect(await page.locator('#folder-ranking img').count()).toBe(8);
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('picked', { recursive: true }));
  }, 120_000);

  it('cancels a large folder: the index keeps what it held; "Forget this index" removes it', async () => {
    await page.setInputFiles('#folder-input', join(dir, 'many'));
    await page.waitForFunction(() => /^\d+ of 400$/.test(document.getElementById('folder-text')!.textContent!) && /^[\d.]+ images\/s$/.test(document.getElementById('folder-rate')!.textContent!), undefined, { timeout: 60_000 });
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'demo-folder-progress-390.png');
    await page.click('#folder-cancel');
    await page.waitForFunction(() => document.getElementById('folder-progress')!.hidden, undefined, { timeout: 60_000 });
    expect((await result(page)).folder, (await page.textContent('#folder-status'))!).toMatchObject({ cancelled: true, summary: null });
    expect(await page.textContent('#folder-status')).toMatch(/^Cancelled after \d+ photos\. The index keeps what was saved before/);
    expect(await page.isVisible('#folder-progress')).toBe(false);
    // Cancelled at the first progress (one batch in, well under the 10 s between commits): nothing of the
    // cut-short run was committed, neither its rows nor its removal of the other folder's.
    expect(await page.textContent('#folder-state')).toMatch(/^This browser keeps an index of 8 photos/);
    expect((await searchFolder(page, 'a cat')).map((h) => h.path)).toEqual(pageHits['a cat'].map((h) => h.path));

    await page.click('#folder-forget');
    await page.waitForFunction(() => document.getElementById('folder-state')!.textContent === 'No folder indexed yet.');
    expect(await page.isVisible('#folder-forget')).toBe(false);
    expect(await page.locator('#folder-ranking li').count()).toBe(0);
    const left = await page.evaluate(async () => {
      const names: string[] = [];
      for await (const n of (await navigator.storage.getDirectory() as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(n);
      return { names, saved: localStorage.getItem('mobileclip-demo-folder') };
    });
    expect(left).toEqual({ names: [], saved: null });
    await page.reload();
    await ready(page);
    expect(await page.textContent('#folder-state')).toBe('No folder indexed yet.');
    await page.click('#folder-search');
    await page.waitForSelector('#folder-status .error');
    expect(await page.textContent('#folder-status')).toMatch(/No photos indexed yet: choose a folder first/);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
