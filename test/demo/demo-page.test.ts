/**
 * The demo page as a visitor meets it, in a real Chromium: the task first (photos, labels,
 * results), the model settings folded with the download size shown before any load; thumbnails
 * named and removable; empty states; a load error kept to one line with its long text folded;
 * a 390 px phone with no horizontal scroll, readable bars and names cut at the end, not mid-word;
 * plain words when there is no WebGPU; and a page script that carries no runtime. Screenshots at
 * 1280 and 390 px go to test-results/demo/ (docs/demo.png is copied from there by hand).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildDemo } from '../../scripts/bundles.mjs';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';
import { TestServer } from '../helpers/http-server.js';

const SHOTS = resolve('test-results/demo');
/** The page's own script: the worker client and the model list. The runtime (~850 kB) is in worker.js. */
const PAGE_SCRIPT_LIMIT = 64 * 1024;
const LONG_NAME = 'IMG_20240612_181533_holiday_in_the_mountains_with_the_family.jpg';

describe.runIf(haveFixtures() && haveChromium())('the demo page in a real Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-demo-page-'));
    await buildDemo(join(dir, 'demo'));
    mkdirSync(join(dir, 'models', 'clip-tiny-fullvocab'), { recursive: true });
    await writeFullVocabClipTiny(join(dir, 'models', 'clip-tiny-fullvocab'));
    server = await TestServer.start({ crossOriginIsolated: true });
    server.mount('/demo/', join(dir, 'demo')).mount('/models/', join(dir, 'models')).mount('/fixtures/', FIXTURES!).mount('/vocab/', resolve(FIXTURES!, '../vocab'));
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(width: number, query = ''): Promise<Page> {
    const p = await browser.newPage({ viewport: { width, height: width < 600 ? 844 : 900 }, deviceScaleFactor: 1 });
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(`${server.url}/demo/${query}`);
    await p.waitForSelector('body[data-adapter]', { state: 'attached', timeout: 30_000 });
    return p;
  }

  /** Loads the tiny model through the settings, picks photos (one with a long name) and classifies. */
  async function classifyByHand(p: Page): Promise<void> {
    await p.click('#settings-toggle');
    await p.selectOption('#model', '');
    await p.fill('#config', '/models/clip-tiny-fullvocab/config.json');
    await p.fill('#weights', '/models/clip-tiny-fullvocab/model.safetensors');
    await p.fill('#vocab', '/vocab/bpe_simple_vocab_16e6.txt.gz');
    await p.click('#settings-toggle'); // folded again, as a visitor leaves it
    await p.setInputFiles('#images', [
      ...['astronaut.png', 'chelsea.png', 'coffee.png'].map((name) => ({ name, mimeType: 'image/png', buffer: readFileSync(fixturePath('preprocess', name)) })),
      { name: LONG_NAME, mimeType: 'image/jpeg', buffer: readFileSync(fixturePath('preprocess', 'photo_q90.jpg')) },
    ]);
    await p.fill('#labels', 'an astronaut, a cat, a cup of coffee, a sunset over the mountains');
    await p.click('#classify');
    await p.waitForFunction(() => document.querySelectorAll('.image-result').length === 4, undefined, { timeout: 90_000 });
    await p.fill('#query', 'a cat');
    await p.click('#search');
    await p.waitForFunction(() => document.querySelectorAll('#ranking li').length === 4, undefined, { timeout: 60_000 });
  }

  it('keeps the page script small: the runtime is only in the worker', () => {
    const page = statSync(join(dir, 'demo', 'app.js')).size;
    const worker = statSync(join(dir, 'demo', 'worker.js')).size;
    console.log(`demo bundles: app.js ${(page / 1024).toFixed(1)} kB, worker.js ${(worker / 1024).toFixed(0)} kB`);
    expect(page).toBeLessThan(PAGE_SCRIPT_LIMIT);
    expect(worker).toBeGreaterThan(10 * page);
    // No WGSL and no inlined JPEG decoder on the page.
    expect(readFileSync(join(dir, 'demo', 'app.js'), 'utf8')).not.toMatch(/@compute|@workgroup_size|WebAssembly\.instantiate/);
  });

  it('worker=0 still runs the model on the page thread, importing the library bundle only then', async () => {
    const images = ['/fixtures/preprocess/astronaut.png', '/fixtures/preprocess/chelsea.png'];
    const p = await open(900, `?${new URLSearchParams({ worker: '0', config: '/models/clip-tiny-fullvocab/config.json', weights: '/models/clip-tiny-fullvocab/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz', images: images.join(','), labels: 'a cat,a dog' })}`);
    await p.waitForSelector('body[data-done=true]', { state: 'attached', timeout: 90_000 });
    const result = JSON.parse((await p.textContent('#result'))!);
    expect(result.error).toBeUndefined();
    expect(result.worker).toBe(false);
    expect(result.images.map((i: { url: string }) => i.url)).toEqual(images);
    expect(server.count('/demo/index.js')).toBe(1);
    await p.close();
  });

  it('puts the task first: the settings folded, with the download size known before loading', async () => {
    const p = await open(1280, `?weights=${encodeURIComponent('/models/clip-tiny-fullvocab/model.safetensors')}&model=`);
    expect(await p.evaluate(() => (document.getElementById('settings') as HTMLDetailsElement).open)).toBe(false);
    // Photos come before the settings in the page.
    expect(await p.evaluate(() => !!(document.getElementById('drop')!.compareDocumentPosition(document.getElementById('settings')!) & Node.DOCUMENT_POSITION_FOLLOWING))).toBe(true);
    // The exact size, from the server's Content-Length (the file is not downloaded for it).
    const size = statSync(join(dir, 'models', 'clip-tiny-fullvocab', 'model.safetensors')).size;
    await p.waitForFunction((mb) => document.getElementById('model-summary')!.textContent!.includes(mb), `${(size / 1e6).toFixed(0)} MB to download`, { timeout: 10_000 });
    await p.close();
    // The default model, before any request: an upper bound from its architecture.
    const q = await open(1280);
    expect(await q.textContent('#model-summary')).toMatch(/^MobileCLIP-S0 · (up to )?\d+ MB to download once$/);
    expect(await q.locator('#model option').first().textContent()).toMatch(/^MobileCLIP-S0 · up to \d+ MB$/);
    await q.close();
  });

  it('names the thumbnails, removes them, and says what is missing (no photos, no labels)', async () => {
    const p = await open(1280);
    expect(await p.isVisible('#images-empty')).toBe(true);
    // Classify with no photos: the page says so, in words.
    await p.click('#classify');
    await p.waitForSelector('#status .error');
    expect(await p.textContent('#status')).toMatch(/No photos yet/);
    await p.setInputFiles('#images', ['astronaut.png', 'chelsea.png', 'coffee.png'].map((f) => fixturePath('preprocess', f)));
    expect(await p.isVisible('#images-empty')).toBe(false);
    expect(await p.locator('#thumbs .name').allTextContents()).toEqual(['astronaut.png', 'chelsea.png', 'coffee.png']);
    await p.click('#thumbs button[aria-label="Remove chelsea.png"]');
    expect(await p.locator('#thumbs .name').allTextContents()).toEqual(['astronaut.png', 'coffee.png']);
    // No labels: a hint while typing, and an error on Classify.
    await p.fill('#labels', ' , ');
    expect(await p.isVisible('#labels-empty')).toBe(true);
    await p.click('#classify');
    await p.waitForFunction(() => /No labels yet/.test(document.getElementById('status')!.textContent!));
    for (const name of ['astronaut.png', 'coffee.png']) await p.click(`#thumbs button[aria-label="Remove ${name}"]`);
    expect(await p.locator('#thumbs li').count()).toBe(0);
    expect(await p.isVisible('#images-empty')).toBe(true);
    await p.close();
  });

  it('shows a model/checkpoint mismatch in one short paragraph, the key list folded: the page stays short', async () => {
    // A ViT model given an MCi checkpoint: most keys missing or unused, a long list.
    const p = await open(1280, `?${new URLSearchParams({ model: 'mobileclip_b', weights: '/fixtures/clip-tiny/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz' })}`);
    await p.waitForSelector('body[data-done=true]', { state: 'attached', timeout: 60_000 });
    const r = await p.evaluate(() => {
      const box = document.querySelector('#status .error')!;
      const details = box.querySelector('details');
      return { short: box.querySelector('p')!.textContent!, open: details?.open, full: details?.querySelector('pre')?.textContent ?? '', height: document.scrollingElement!.scrollHeight };
    });
    console.log(`demo mismatch error: "${r.short}" (${r.full.split('\n').length} lines folded); page ${r.height} px tall`);
    expect(r.full.split('\n').length).toBeGreaterThanOrEqual(5); // the key list is there, for whoever opens it
    expect(r.short).toMatch(/^The model could not be loaded\. WeightLoadError: .* does not fit mobileclip_b/);
    expect(r.short.length).toBeLessThanOrEqual(240);
    expect(r.open).toBe(false);
    expect(r.height).toBeLessThan(1600);
    // Opened on a phone: the key names wrap inside their box, the page does not scroll sideways.
    await p.setViewportSize({ width: 390, height: 844 });
    await p.click('#status .error summary');
    expect(await p.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.screenshot({ path: join(SHOTS, 'demo-error-1280.png'), fullPage: true });
    await p.close();
  });

  for (const width of [1280, 390]) {
    it(`shows results at ${width} px: no horizontal scroll, bars with room, names cut at the end; screenshot`, async () => {
      const p = await open(width);
      await classifyByHand(p);
      const r = await p.evaluate(() => {
        const tracks = [...document.querySelectorAll<HTMLElement>('.track')].map((t) => t.getBoundingClientRect().width);
        const names = [...document.querySelectorAll<HTMLElement>('.name')];
        const lineHeights = names.map((n) => n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight || '20'));
        return {
          scrollWidth: document.scrollingElement!.scrollWidth,
          minTrack: Math.min(...tracks),
          names: names.length,
          maxNameLines: Math.max(...lineHeights),
          cut: names.filter((n) => n.scrollWidth > n.clientWidth).map((n) => n.title),
          shown: [...document.querySelectorAll('#thumbs .name')].map((n) => n.textContent),
        };
      });
      console.log(`demo at ${width} px: scrollWidth ${r.scrollWidth}, narrowest bar track ${r.minTrack.toFixed(0)} px, ${r.cut.length} of ${r.names} names cut with an ellipsis`);
      expect(r.scrollWidth).toBeLessThanOrEqual(width);
      expect(r.minTrack).toBeGreaterThanOrEqual(width < 600 ? 180 : 120);
      expect(r.maxNameLines).toBeLessThan(1.5); // one line each: never broken mid-word
      expect(r.shown).toEqual(['astronaut.png', 'chelsea.png', 'coffee.png', LONG_NAME]);
      expect(r.cut).toContain(LONG_NAME);
      // The page's column only (the side margins are empty): a smaller file for docs/demo.png.
      const column = await p.evaluate(() => {
        const r = document.body.getBoundingClientRect();
        return { x: Math.max(0, r.x), y: 0, width: Math.min(r.width, document.documentElement.clientWidth), height: document.scrollingElement!.scrollHeight };
      });
      await p.screenshot({ path: join(SHOTS, `demo-${width}.png`), fullPage: true, clip: column });
      // Removing a photo takes its result and its search row too; then a smaller shot for docs/.
      await p.click(`#thumbs button[aria-label="Remove ${LONG_NAME}"]`);
      expect(await p.locator('.image-result').count()).toBe(3);
      expect(await p.locator('#ranking li').count()).toBe(3);
      column.height = await p.evaluate(() => document.scrollingElement!.scrollHeight);
      await p.screenshot({ path: join(SHOTS, `demo-${width}-three.png`), fullPage: true, clip: column });
      // A changed setting retires the loaded model: the next Classify loads what the settings say.
      expect(await p.textContent('#model-summary')).toMatch(/loaded/);
      await p.click('#settings-toggle');
      await p.selectOption('#dtype', 'f32');
      await p.waitForFunction(() => !/loaded/.test(document.getElementById('model-summary')!.textContent!));
      // Its weights are in the download cache now: the summary says so instead of a download size.
      await p.waitForFunction(() => /MB, saved on this device$/.test(document.getElementById('model-summary')!.textContent!), undefined, { timeout: 10_000 });
      await p.close();
    });
  }

  it('without WebGPU says in plain words that it runs on the processor, with no command-line flags', async () => {
    const plain = await launchChromium({ webgpu: false });
    try {
      const p = await plain.newPage({ viewport: { width: 390, height: 844 } });
      await p.goto(`${server.url}/demo/`);
      await p.waitForSelector('body[data-adapter=none]', { state: 'attached', timeout: 30_000 });
      const text = (await p.textContent('#adapter'))!;
      expect(text).toMatch(/runs on the processor instead/);
      expect(await p.textContent('body')).not.toMatch(/--enable|unsafe|flag/i);
      await p.screenshot({ path: join(SHOTS, 'demo-no-webgpu-390.png') }); // a phone's first screen
    } finally {
      await plain.close();
    }
  });

  it('logged no page errors', () => {
    expect(errors).toEqual([]);
  });
});
