/**
 * The browser build in a real Chromium (Debian's, headless, WebGPU through SwiftShader here):
 * the bundle imported by a plain <script type="module"> from 127.0.0.1, then, in the page: the
 * adapter; the tokenizer cases and PIL-exact preprocessing from the shared fixtures; clip-tiny
 * (Apple .pt by URL) and oc-mci-tiny (a hf-hub: name against a local hub) to the reference
 * embeddings within 1e-5·max|ref|, with progress events, and a second load from Cache Storage with
 * no request; every browser image input kind; the model in a worker (inputs transferred); and the
 * demo's classify and search flows from query parameters, with a screenshot checked non-blank.
 * Then the same in a Chromium that gives no WebGPU adapter: the CPU backend, chosen by itself, in the page, in
 * the worker and in the demo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decode as decodePng } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { buildBrowser, buildDemo } from '../../scripts/bundles.mjs';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { TestServer } from '../helpers/http-server.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';

const OC_REPO = 'test-org/oc-mci-tiny-OpenCLIP';
const ARTIFACTS = resolve('test-results/browser');

const SUITE_PAGE = `<!doctype html><meta charset="utf-8"><title>mobileclip suite</title><body>
<script type="module">
  import * as mobileclip from '/lib/index.js';
  window.mobileclip = mobileclip;
  document.body.dataset.ready = 'true';
</script>`;

describe.runIf(haveFixtures() && haveChromium())('in a real Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-browser-'));
    const t0 = performance.now();
    await buildBrowser(join(dir, 'lib'));
    await buildDemo(join(dir, 'demo'));
    mkdirSync(join(dir, 'models', 'clip-tiny-fullvocab'), { recursive: true });
    await writeFullVocabClipTiny(join(dir, 'models', 'clip-tiny-fullvocab'));
    server = await TestServer.start();
    server.mount('/lib/', join(dir, 'lib')).mount('/demo/', join(dir, 'demo')).mount('/models/', join(dir, 'models'));
    server.mount('/fixtures/', FIXTURES!).mount('/vocab/', resolve(FIXTURES!, '../vocab'));
    server.set('/suite.html', { body: SUITE_PAGE, type: 'text/html; charset=utf-8' });
    server.hub(OC_REPO, 'open_clip_config.json', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8'));
    server.hub(OC_REPO, 'open_clip_model.safetensors', readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors')), { chunk: 128 * 1024 });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${server.url}/suite.html`);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
    console.log(`bundles built and Chromium ${browser.version()} started in ${(performance.now() - t0).toFixed(0)} ms`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds a WebGPU adapter', async () => {
    const info = await page.evaluate(async () => {
      const gpu = await (window as any).mobileclip.createGpu();
      const i = gpu.info;
      gpu.destroy();
      return { vendor: i.vendor, architecture: i.architecture, description: i.description, f16: i.features.shaderF16, subgroups: i.features.subgroups, subgroupSize: i.subgroupSize, software: i.isSoftware };
    });
    console.log(`browser adapter: ${JSON.stringify(info)}`);
    expect(info.vendor.length + info.architecture.length).toBeGreaterThan(0);
  });

  it('tokenizes every fixture case as the reference does', async () => {
    const r = await page.evaluate(async () => {
      const { SimpleTokenizer } = (window as any).mobileclip;
      const cases = (await (await fetch('/fixtures/tokenizer/tokenizer.json')).json()).cases as { text: string; ids: number[] }[];
      const tok = SimpleTokenizer.fromGzip(new Uint8Array(await (await fetch('/vocab/bpe_simple_vocab_16e6.txt.gz')).arrayBuffer()));
      const wrong = cases.filter((c) => tok.tokenize([c.text], 77).ids.join(',') !== c.ids.join(',')).map((c) => c.text);
      return { cases: cases.length, wrong };
    });
    console.log(`browser tokenizer: ${r.cases} cases, ${r.wrong.length} differ`);
    expect(r.cases).toBeGreaterThan(10);
    expect(r.wrong).toEqual([]);
  });

  it('preprocesses every fixture image as PIL does (byte-exact from decoded RGB; files within a JPEG level)', async () => {
    const r = await page.evaluate(async () => {
      const { SafetensorsFile, decodeImage, preprocessRgb } = (window as any).mobileclip;
      const index = await (await fetch('/fixtures/preprocess/index.json')).json();
      const st = SafetensorsFile.parse(new Uint8Array(await (await fetch('/fixtures/preprocess/preprocess.safetensors')).arrayBuffer()), 'preprocess.safetensors');
      const out = [];
      for (const im of index.images) {
        const rgb = st.uint8(im.rgb);
        let exactDiffs = 0;
        for (const size of [256, 224]) {
          const spec = size === 256 ? im.pixels_256 : im.pixels_224;
          const p = preprocessRgb({ width: im.width, height: im.height, data: rgb, mode: 'RGB' }, size);
          const want = st.uint8(spec.tensor);
          for (let i = 0; i < want.length; i++) if (p.pixels[i] !== want[i]) exactDiffs++;
        }
        const img = await decodeImage(new Uint8Array(await (await fetch(`/fixtures/preprocess/${im.file}`)).arrayBuffer()), im.file);
        let rgbMax = 0;
        for (let i = 0; i < rgb.length; i++) rgbMax = Math.max(rgbMax, Math.abs(img.data[i] - rgb[i]));
        const p = preprocessRgb(img, 256);
        const want = st.uint8(im.pixels_256.tensor);
        let pixMax = 0;
        for (let i = 0; i < want.length; i++) pixMax = Math.max(pixMax, Math.abs(p.pixels[i] - want[i]));
        out.push({ file: im.file, exactDiffs, rgbMax, pixMax });
      }
      return out;
    });
    console.log(`browser preprocessing: ${r.map((x) => `${x.file} rgb ${x.rgbMax} px ${x.pixMax}`).join('; ')}`);
    expect(r.length).toBeGreaterThan(5);
    for (const x of r) {
      expect(x.exactDiffs, x.file).toBe(0);
      expect(x.rgbMax, x.file).toBe(0);
      expect(x.pixMax, x.file).toBeLessThanOrEqual(1);
    }
  });

  /** In the page: load `name` from URLs, run the fixture inputs, compare with its outputs there. */
  const parityInPage = (name: string | null, fixture: string, weights: string, hubUrl: string, on: Page = page) =>
    on.evaluate(
      async ({ name, fixture, weights, hubUrl }) => {
        const { createModelAndTransforms, SafetensorsFile } = (window as any).mobileclip;
        const bytes = async (u: string) => new Uint8Array(await (await fetch(u)).arrayBuffer());
        const events: { phase: string; what: string; loaded: number; total?: number }[] = [];
        const t0 = performance.now();
        const config = name ?? (await (await fetch(`/fixtures/${fixture}/config.json`)).json());
        const m = await createModelAndTransforms(config, { weights, vocab: false, sources: { hubUrl }, onProgress: (p: any) => events.push({ phase: p.phase, what: p.what, loaded: p.loaded, total: p.total }) });
        const loadMs = performance.now() - t0;
        const inputs = SafetensorsFile.parse(await bytes(`/fixtures/${fixture}/inputs.safetensors`), 'inputs');
        const outputs = SafetensorsFile.parse(await bytes(`/fixtures/${fixture}/outputs.safetensors`), 'outputs');
        const diff = (got: Float32Array, ref: Float32Array) => {
          let maxAbs = 0;
          let maxRef = 0;
          for (let i = 0; i < ref.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(got[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
          }
          return { maxAbs, rel: maxAbs / maxRef, n: ref.length, same: got.length === ref.length && got.every(Number.isFinite) };
        };
        const backend = m.model.backend.kind;
        const x = m.model.backend.upload(inputs.float32('image'), inputs.info('image').shape);
        const e = m.model.clip.encodeImage(x, { normalize: true });
        const image = diff(await e.readFloat(), outputs.float32('image_embeddings'));
        x.dispose();
        e.dispose();
        const ids = inputs.int32('text');
        const text = diff((await m.model.encodeTokens(ids, ids.length / 77)).data, outputs.float32('text_embeddings'));
        m.dispose();
        return { loadMs, image, text, events, backend };
      },
      { name, fixture, weights, hubUrl },
    );

  for (const c of [
    { label: 'clip-tiny (Apple .pt by URL)', name: null, fixture: 'clip-tiny', weights: '/fixtures/clip-tiny/model.pt', path: '/fixtures/clip-tiny/model.pt' },
    { label: `oc-mci-tiny (hf-hub:${OC_REPO})`, name: `hf-hub:${OC_REPO}`, fixture: 'openclip/oc-mci-tiny', weights: undefined, path: `/${OC_REPO}/resolve/main/open_clip_model.safetensors` },
  ]) {
    it(`${c.label}: embeddings within 1e-5·max|ref|, with progress; the second load comes from Cache Storage with no request`, async () => {
      const first = await parityInPage(c.name, c.fixture, c.weights ?? (undefined as unknown as string), server.url);
      console.log(`browser ${c.label}: load ${first.loadMs.toFixed(0)} ms; image max|Δ| ${first.image.maxAbs.toExponential(2)} rel ${first.image.rel.toExponential(2)}; text max|Δ| ${first.text.maxAbs.toExponential(2)} rel ${first.text.rel.toExponential(2)}`);
      for (const d of [first.image, first.text]) {
        expect(d.same).toBe(true);
        expect(d.n).toBeGreaterThan(0);
        expect(d.rel).toBeLessThanOrEqual(1e-5);
      }
      const downloads = first.events.filter((e) => e.phase === 'download' && e.what === 'weights');
      expect(downloads[0].loaded).toBe(0);
      expect(downloads.at(-1)!.loaded).toBe(downloads.at(-1)!.total);
      expect(downloads.at(-1)!.total).toBeGreaterThan(1e6);
      expect(first.events.map((e) => e.phase)).toEqual(expect.arrayContaining(['download', 'parse', 'upload', 'ready']));

      const requests = server.count(c.path);
      expect(requests).toBe(1);
      const second = await parityInPage(c.name, c.fixture, c.weights ?? (undefined as unknown as string), server.url);
      console.log(`browser ${c.label}: cached load ${second.loadMs.toFixed(0)} ms`);
      expect(server.count(c.path)).toBe(requests);
      expect(second.events.some((e) => e.phase === 'cache' && e.what === 'weights')).toBe(true);
      expect(second.events.some((e) => e.phase === 'download' && e.what === 'weights')).toBe(false);
      expect(second.image).toEqual(first.image);
    });
  }

  it('takes every browser image input kind: Blob, File, ImageData exactly as PIL; the browser-decoded kinds within its decoder', async () => {
    const r = await page.evaluate(async () => {
      const { createModelAndTransforms, decodeImage } = (window as any).mobileclip;
      const config = await (await fetch('/fixtures/clip-tiny/config.json')).json();
      const m = await createModelAndTransforms(config, { weights: '/fixtures/clip-tiny/model.safetensors' });
      const url = '/fixtures/preprocess/chelsea.png';
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const ref: Float32Array = await m.preprocess(bytes);
      const rgb = await decodeImage(bytes, url);
      const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
      for (let p = 0; p < rgb.width * rgb.height; p++) rgba.set([rgb.data[p * 3], rgb.data[p * 3 + 1], rgb.data[p * 3 + 2], 255], p * 4);
      const blob = new Blob([bytes], { type: 'image/png' });
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
      const off = new OffscreenCanvas(bitmap.width, bitmap.height);
      off.getContext('2d')!.drawImage(bitmap, 0, 0);
      const kinds: Record<string, unknown> = {
        url,
        Blob: blob,
        File: new File([bytes], 'chelsea.png', { type: 'image/png' }),
        ImageData: new ImageData(rgba, rgb.width, rgb.height),
        ImageBitmap: bitmap,
        HTMLImageElement: img,
        HTMLCanvasElement: canvas,
        OffscreenCanvas: off,
      };
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(kinds)) {
        const x: Float32Array = await m.preprocess(v);
        let d = x.length === ref.length ? 0 : Infinity;
        for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(x[i] - ref[i]));
        out[k] = Math.round(d * 255);
      }
      let refused = '';
      try {
        await m.preprocess({ nope: 1 });
      } catch (e) {
        refused = `${(e as Error).name}: ${(e as Error).message}`;
      }
      m.dispose();
      return { levels: out, refused };
    });
    console.log(`browser image inputs, max |Δ| in levels vs the PIL-exact bytes path: ${JSON.stringify(r.levels)}`);
    for (const k of ['url', 'Blob', 'File', 'ImageData']) expect(r.levels[k], k).toBe(0);
    // The browser's own PNG decoder and canvas: an sRGB PNG with no alpha comes through unchanged.
    for (const k of ['ImageBitmap', 'HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas']) expect(r.levels[k], k).toBeLessThanOrEqual(1);
    expect(r.refused).toMatch(/^TypeError: image: cannot read an image from .*; expected a URL, a Blob or File, ImageData, ImageBitmap, HTMLImageElement/);
  });

  it('runs the model in a worker: same embeddings as the page thread, inputs transferred, progress posted', async () => {
    const r = await page.evaluate(async () => {
      const { createModelAndTransforms, createModelInWorker, decodeImage } = (window as any).mobileclip;
      const config = await (await fetch('/fixtures/clip-tiny/config.json')).json();
      const bytes = new Uint8Array(await (await fetch('/fixtures/preprocess/astronaut.png')).arrayBuffer());
      const rgb = await decodeImage(bytes, 'astronaut.png');
      const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
      for (let p = 0; p < rgb.width * rgb.height; p++) rgba.set([rgb.data[p * 3], rgb.data[p * 3 + 1], rgb.data[p * 3 + 2], 255], p * 4);
      // The page's longest stall (gap between 10 ms timer ticks) while the model loads and runs.
      const stall = async (work: () => Promise<void>) => {
        let last = performance.now();
        let worst = 0;
        const t = setInterval(() => {
          const now = performance.now();
          worst = Math.max(worst, now - last);
          last = now;
        }, 10);
        await work();
        clearInterval(t);
        return Math.max(worst, performance.now() - last);
      };
      const phases = new Set<string>();
      const data = new ImageData(rgba.slice(), rgb.width, rgb.height);
      let w: any;
      let fromWorker: any;
      const workerStall = await stall(async () => {
        w = await createModelInWorker(config, { weights: '/fixtures/clip-tiny/model.safetensors', warmup: true, onProgress: (p: any) => phases.add(p.phase) });
        fromWorker = await w.encodeImages([data, new Blob([bytes])]);
      });
      const detached = data.data.byteLength === 0;
      await w.dispose();
      let here: any;
      const pageStall = await stall(async () => {
        const m = await createModelAndTransforms(config, { weights: '/fixtures/clip-tiny/model.safetensors', warmup: true });
        here = await m.model.encodeImages([new ImageData(rgba, rgb.width, rgb.height), new Blob([bytes])]);
        m.dispose();
      });
      let d = 0;
      for (let i = 0; i < here.data.length; i++) d = Math.max(d, Math.abs(here.data[i] - fromWorker.data[i]));
      return { info: w.info, phases: [...phases], detached, maxAbs: d, count: fromWorker.count, n: here.data.length, workerStall, pageStall };
    });
    console.log(`browser worker: ${r.info.model.name} on ${r.info.adapter.vendor} ${r.info.adapter.architecture}; phases ${r.phases.join(',')}; worker vs page max|Δ| ${r.maxAbs}; longest page stall during load + encode (warm-up on): ${r.workerStall.toFixed(0)} ms with the worker, ${r.pageStall.toFixed(0)} ms on the page thread`);
    expect(r.count).toBe(2);
    expect(r.n).toBe(2 * 64);
    expect(r.maxAbs).toBe(0);
    expect(r.detached).toBe(true);
    expect(r.phases).toEqual(expect.arrayContaining(['parse', 'upload', 'compile', 'ready']));
    expect(r.phases.includes('download') || r.phases.includes('cache')).toBe(true); // the page's earlier tests may have cached it
  });

  it('the demo classifies and searches from query parameters (model in a worker), shows bars, and reports errors in #result', async () => {
    const demo = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const errors: string[] = [];
    demo.on('pageerror', (e) => errors.push(e.message));
    const images = ['/fixtures/preprocess/astronaut.png', '/fixtures/preprocess/chelsea.png'].map((p) => server.url + p);
    const q = new URLSearchParams({ config: '/models/clip-tiny-fullvocab/config.json', weights: '/models/clip-tiny-fullvocab/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz', images: images.join(','), labels: 'an astronaut,a cat,a cup of coffee', query: 'a cat', repeat: '1' });
    const t0 = performance.now();
    await demo.goto(`${server.url}/demo/?${q}`);
    await demo.waitForSelector('body[data-done=true]', { state: 'attached', timeout: 110_000 });
    const result = JSON.parse((await demo.textContent('#result'))!);
    console.log(`demo (clip-tiny, full vocabulary): ${(performance.now() - t0).toFixed(0)} ms to the result; timings ${JSON.stringify(result.timings)}; adapter ${JSON.stringify(result.adapter)}`);
    expect(result.error).toBeUndefined();
    expect(result.worker).toBe(true);
    expect(result.adapter.vendor.length + result.adapter.architecture.length).toBeGreaterThan(0);
    expect(result.images.map((i: { url: string }) => i.url)).toEqual(images);
    for (const im of result.images) {
      expect(im.labels.map((l: { label: string }) => l.label).sort()).toEqual(['a cat', 'a cup of coffee', 'an astronaut']);
      const sum = im.labels.reduce((s: number, l: { probability: number }) => s + l.probability, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
    expect(result.search.ranking.map((r: { url: string }) => r.url).sort()).toEqual([...images].sort());
    expect(await demo.locator('.image-result').count()).toBe(2);
    expect(await demo.locator('.bar').count()).toBe(6);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'demo.png');
    await demo.screenshot({ path: shot, fullPage: true });
    // Non-blank: many colours (the photos, the bars) and much that is not the background.
    const png = decodePng(readFileSync(shot));
    const colours = new Set<number>();
    const ch = png.channels;
    for (let i = 0; i < png.data.length; i += ch * 7) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
    console.log(`demo screenshot ${shot}: ${png.width}×${png.height}, ${colours.size} colours sampled`);
    expect(colours.size).toBeGreaterThan(500);
    expect(errors).toEqual([]);

    // The same by hand: a checkpoint file picked, images chosen, labels typed and Enter pressed.
    await demo.goto(`${server.url}/demo/`);
    await demo.waitForSelector('body[data-adapter=webgpu]', { state: 'attached' });
    await demo.click('#settings-toggle'); // the model settings are folded by default
    await demo.selectOption('#model', '');
    await demo.fill('#config', '/models/clip-tiny-fullvocab/config.json');
    await demo.fill('#vocab', '/vocab/bpe_simple_vocab_16e6.txt.gz');
    await demo.setInputFiles('#weights-file', join(dir, 'models', 'clip-tiny-fullvocab', 'model.safetensors'));
    await demo.click('#load');
    await demo.waitForFunction(() => /loaded in/.test(document.getElementById('timings')!.textContent!), undefined, { timeout: 60_000 });
    await demo.setInputFiles('#images', ['astronaut.png', 'chelsea.png'].map((f) => fixturePath('preprocess', f)));
    await demo.fill('#labels', 'an astronaut, a cat, a cup of coffee');
    await demo.focus('#labels');
    await demo.keyboard.press('Enter');
    await demo.waitForFunction(() => document.querySelectorAll('.image-result').length === 2, undefined, { timeout: 60_000 });
    const byHand = JSON.parse((await demo.textContent('#result'))!);
    expect(byHand.error).toBeUndefined();
    expect(byHand.images.map((i: { url: string }) => i.url)).toEqual(['astronaut.png', 'chelsea.png']);
    // The dropped-file model and the URL-loaded one agree on the same pictures and labels.
    type Row = { labels: { label: string; probability: number }[] };
    let worst = 0;
    byHand.images.forEach((im: Row, k: number) => {
      for (const l of im.labels) worst = Math.max(worst, Math.abs(l.probability - (result.images[k] as Row).labels.find((x) => x.label === l.label)!.probability));
    });
    console.log(`demo by hand (file input, Enter): max |Δ probability| vs the query-parameter run = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-6);

    // A weights URL that answers 404: the error, with the URL, in #result.
    await demo.goto(`${server.url}/demo/?${new URLSearchParams({ model: 'mobileclip_s0', weights: '/models/none.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz' })}`);
    await demo.waitForSelector('body[data-done=true]', { state: 'attached', timeout: 60_000 });
    const failed = JSON.parse((await demo.textContent('#result'))!);
    expect(failed.error).toMatch(/weights: http:\/\/127\.0\.0\.1:\d+\/models\/none\.safetensors answered HTTP 404/);
    await demo.close();
  });

  it('npm run demo -- --port N builds and serves the page, which finds the adapter', async () => {
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    const child = spawn('npm', ['run', 'demo', '--', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      let out = '';
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`npm run demo printed no address in 60 s:\n${out}`)), 60_000);
        child.stdout!.on('data', (d) => {
          out += d;
          if (out.includes(`serving http://127.0.0.1:${port}/`)) {
            clearTimeout(timer);
            done();
          }
        });
        child.stderr!.on('data', (d) => (out += d));
        child.on('exit', (code) => fail(new Error(`npm run demo exited (${code}):\n${out}`)));
      });
      const p = await browser.newPage();
      await p.goto(`http://127.0.0.1:${port}/`);
      await p.waitForSelector('body[data-adapter=webgpu]', { state: 'attached', timeout: 30_000 });
      console.log(`npm run demo: ${(await p.textContent('#adapter'))!}`);
      // The demo server's COOP/COEP headers: the page is cross-origin isolated, so the CPU backend's Worker can run threaded.
      expect(await p.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await p.locator('#model option').count()).toBeGreaterThan(10);
      // Phone width: nothing wider than the screen. Keyboard: every control in reading order by Tab,
      // the task's first, then the (folded) model settings.
      await p.setViewportSize({ width: 390, height: 844 });
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      const order: string[] = [];
      for (let i = 0; i < 10; i++) {
        await p.keyboard.press('Tab');
        order.push(await p.evaluate(() => document.activeElement?.id ?? ''));
      }
      // Then the folder card: its picker and its search (Forget appears once a folder is indexed).
      expect(order).toEqual(['images', 'labels', 'classify', 'settings-toggle', 'query', 'search', 'folder-pick', 'folder-query', 'folder-search', 'dev-toggle']);
      // Enter in the labels field submits the classify form (no photos yet: the page says so).
      await p.focus('#labels');
      await p.keyboard.press('Enter');
      await p.waitForSelector('#status .error');
      expect(await p.textContent('#status')).toContain('No photos yet');
      await p.close();
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });

  it('logged no page errors', () => {
    expect(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e))).toEqual([]);
  });

  describe('without a WebGPU adapter: the CPU backend, chosen by itself', () => {
    let plain: Browser;
    let cpuPage: Page;
    const cpuErrors: string[] = [];
    beforeAll(async () => {
      plain = await launchChromium({ webgpu: false });
      cpuPage = await plain.newPage();
      cpuPage.on('pageerror', (e) => cpuErrors.push(e.message));
      await cpuPage.goto(`${server.url}/suite.html`);
      await cpuPage.waitForSelector('body[data-ready=true]', { state: 'attached' });
      // As Chrome on many Linux set-ups: navigator.gpu is there, but no adapter comes.
      expect(await cpuPage.evaluate(async () => (await navigator.gpu?.requestAdapter()) ?? null)).toBe(null);
    });
    afterAll(async () => {
      await plain?.close();
    });

    for (const c of [
      { label: 'clip-tiny (Apple .pt by URL)', name: null, fixture: 'clip-tiny', weights: '/fixtures/clip-tiny/model.pt' },
      { label: `oc-mci-tiny (hf-hub:${OC_REPO})`, name: `hf-hub:${OC_REPO}`, fixture: 'openclip/oc-mci-tiny', weights: undefined },
    ]) {
      it(`${c.label} in the page: embeddings within 1e-5·max|ref| on the CPU`, async () => {
        const r = await parityInPage(c.name, c.fixture, c.weights ?? (undefined as unknown as string), server.url, cpuPage);
        console.log(`browser without WebGPU, ${c.label}: ${r.backend}; load ${r.loadMs.toFixed(0)} ms; image rel ${r.image.rel.toExponential(2)}; text rel ${r.text.rel.toExponential(2)}`);
        expect(r.backend).toBe('cpu');
        for (const d of [r.image, r.text]) {
          expect(d.same).toBe(true);
          expect(d.n).toBeGreaterThan(0);
          expect(d.rel).toBeLessThanOrEqual(1e-5);
        }
      });
    }

    it('the worker runs on the CPU and says so in its info', async () => {
      const r = await cpuPage.evaluate(async () => {
        const { createModelInWorker } = (window as any).mobileclip;
        const config = await (await fetch('/fixtures/clip-tiny/config.json')).json();
        const w = await createModelInWorker(config, { weights: '/fixtures/clip-tiny/model.safetensors', vocab: false, workerUrl: new URL('/lib/worker.js', location.href) });
        const bytes = new Uint8Array(await (await fetch('/fixtures/preprocess/coffee.png')).arrayBuffer());
        const e = await w.encodeImages([new Blob([bytes])]);
        const info = w.info;
        await w.dispose();
        return { info, count: e.count, finite: Array.from(e.data as Float32Array).every(Number.isFinite) };
      });
      console.log(`browser without WebGPU, worker: ${JSON.stringify(r.info.adapter)}`);
      expect(r.info.backend).toBe('cpu');
      // Not cross-origin isolated: no SharedArrayBuffer, one thread, and the description says why.
      expect(r.info.adapter.description).toMatch(/^CPU \(WebAssembly (relaxed )?SIMD, 1 thread: the page is not cross-origin isolated \(COOP\/COEP headers\)\)$/);
      expect(r.count).toBe(1);
      expect(r.finite).toBe(true);
    });

    it('a cross-origin isolated page runs the worker on every core: same embeddings, bit for bit, as one thread', async () => {
      const run = (p: Page) =>
        p.evaluate(async () => {
          const { createModelInWorker } = (window as any).mobileclip;
          const config = await (await fetch('/models/clip-tiny-fullvocab/config.json')).json();
          const w = await createModelInWorker(config, { weights: '/models/clip-tiny-fullvocab/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz', workerUrl: new URL('/lib/worker.js', location.href) });
          const blobs = await Promise.all(['astronaut', 'chelsea', 'coffee', 'astronaut', 'chelsea', 'coffee', 'astronaut', 'chelsea'].map(async (n) => new Blob([await (await fetch(`/fixtures/preprocess/${n}.png`)).arrayBuffer()])));
          // Batch 8: the text GEMMs (616 × 64 × 256) and the image stem are large enough to be split over the threads.
          const images = await w.encodeImages(blobs);
          const texts = await w.encodeTexts(['a cat', 'a dog', 'an astronaut in space', 'a cup of coffee', 'a red car', 'a tree', 'the sea at night', 'a photo of a person']);
          const info = w.info;
          await w.dispose();
          return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, description: info.adapter.description, images: Array.from(images.data as Float32Array), texts: Array.from(texts.data as Float32Array) };
        });
      const isolated = await TestServer.start({ crossOriginIsolated: true });
      isolated.mount('/lib/', join(dir, 'lib')).mount('/models/', join(dir, 'models')).mount('/fixtures/', FIXTURES!).mount('/vocab/', resolve(FIXTURES!, '../vocab'));
      isolated.set('/suite.html', { body: SUITE_PAGE, type: 'text/html; charset=utf-8' });
      const p = await plain.newPage();
      p.on('pageerror', (e) => cpuErrors.push(e.message));
      try {
        await p.goto(`${isolated.url}/suite.html`);
        await p.waitForSelector('body[data-ready=true]', { state: 'attached' });
        const [threaded, single] = [await run(p), await run(cpuPage)];
        console.log(`browser without WebGPU, isolated worker: ${threaded.description}; one thread: ${single.description}`);
        expect(threaded.isolated).toBe(true);
        expect(single.isolated).toBe(false);
        expect(threaded.description).toMatch(threaded.cores > 1 ? new RegExp(`^CPU \\(WebAssembly (relaxed )?SIMD, ${threaded.cores} threads\\)$`) : /, 1 thread: one logical core\)$/);
        expect(threaded.images.length).toBe(8 * 64);
        expect(threaded.texts.length).toBe(8 * 64);
        expect(threaded.images.every(Number.isFinite) && threaded.texts.every(Number.isFinite)).toBe(true);
        expect(threaded.images).toEqual(single.images);
        expect(threaded.texts).toEqual(single.texts);
      } finally {
        await p.close();
        await isolated.close();
      }
    });

    it('the demo classifies and searches there, saying it runs on the CPU', async () => {
      const demo = await plain.newPage({ viewport: { width: 900, height: 1200 } });
      const images = ['/fixtures/preprocess/astronaut.png', '/fixtures/preprocess/chelsea.png'].map((p) => server.url + p);
      const q = new URLSearchParams({ config: '/models/clip-tiny-fullvocab/config.json', weights: '/models/clip-tiny-fullvocab/model.safetensors', vocab: '/vocab/bpe_simple_vocab_16e6.txt.gz', images: images.join(','), labels: 'an astronaut,a cat,a cup of coffee', query: 'a cat', repeat: '1' });
      await demo.goto(`${server.url}/demo/?${q}`);
      await demo.waitForSelector('body[data-done=true]', { state: 'attached', timeout: 110_000 });
      const result = JSON.parse((await demo.textContent('#result'))!);
      expect(result.error).toBeUndefined();
      expect(result.backend).toBe('cpu');
      expect(await demo.textContent('#adapter')).toMatch(/does not offer WebGPU, so the model runs on the processor instead/);
      expect(await demo.textContent('#timings')).toMatch(/on CPU \(WebAssembly/);
      expect(result.images.map((i: { url: string }) => i.url)).toEqual(images);
      for (const im of result.images) {
        const sum = im.labels.reduce((s: number, l: { probability: number }) => s + l.probability, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
      expect(result.search.ranking.map((r: { url: string }) => r.url).sort()).toEqual([...images].sort());
      mkdirSync(ARTIFACTS, { recursive: true });
      await demo.screenshot({ path: join(ARTIFACTS, 'demo-cpu.png'), fullPage: true });
      await demo.close();
      expect(cpuErrors).toEqual([]);
    });
  });
});
