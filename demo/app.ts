/**
 * The demo page: load a model (a built-in name, a hub reference, a URL or a dropped file) in a
 * worker, then classify the dropped images against typed labels or rank them by a text query.
 * With query parameters (weights, config or model, vocab, images, labels, query, dtype, worker=0)
 * it runs without clicks and writes its result as JSON into #result, for automated checks.
 */
import { createModelAndTransforms, createModelInWorker, listModels, type LoadProgress, modelInfo, type Prediction, type WorkerModelInfo } from '../src/index.browser.js';

interface Model {
  info: WorkerModelInfo;
  classify(images: readonly (string | Blob)[], labels: readonly string[]): Promise<Prediction[][]>;
  encodeImages(images: readonly (string | Blob)[]): Promise<{ data: Float32Array; count: number; dim: number }>;
  encodeTexts(texts: readonly string[]): Promise<{ data: Float32Array; count: number; dim: number }>;
  dispose(): Promise<void> | void;
}

interface PageImage {
  name: string;
  /** What the model reads: the file itself, or its URL. */
  source: string | Blob;
  /** For the <img> elements. */
  src: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const list = (v: string | null) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const ms = (t: number) => (t < 1000 ? `${t.toFixed(0)} ms` : `${(t / 1000).toFixed(2)} s`);
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

let model: Model | null = null;
let images: PageImage[] = [];
let imageEmbeddings: { key: string; data: Float32Array; dim: number } | null = null;
let localWeights: File | null = null;
const timings: Record<string, number> = {};
let adapter: Record<string, unknown> | null = null;
const result: Record<string, unknown> = {};

function writeResult(extra: Record<string, unknown> = {}): void {
  Object.assign(result, extra);
  $('result').textContent = JSON.stringify({ adapter, ...result, timings }, null, 1);
}

function fail(e: unknown): void {
  const message = e instanceof Error ? `${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = message;
  $('timings').replaceChildren(p);
  writeResult({ error: message });
  busy(false);
}

function busy(on: boolean): void {
  for (const id of ['load', 'classify', 'search']) ($(id) as HTMLButtonElement).disabled = on;
  document.body.setAttribute('aria-busy', String(on));
}

async function showAdapter(): Promise<void> {
  const a = await navigator.gpu?.requestAdapter();
  if (!a) {
    // The library runs the model on its CPU backend then (device 'auto').
    $('adapter').textContent = 'Adapter: none (this browser gives no WebGPU adapter): the model runs on the CPU, more slowly';
    ($('dtype') as HTMLSelectElement).querySelector<HTMLOptionElement>('option[value=f16]')!.disabled = true;
    return;
  }
  const f16 = a.features.has('shader-f16');
  adapter = { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, f16, subgroups: a.features.has('subgroups') };
  $('adapter').textContent = `Adapter: ${a.info.vendor || '?'} ${a.info.architecture || ''}${a.info.description ? ` (${a.info.description})` : ''} · f16 ${f16 ? 'yes' : 'no'}`;
  if (!f16) ($('dtype') as HTMLSelectElement).querySelector<HTMLOptionElement>('option[value=f16]')!.disabled = true;
}

function fillModels(): void {
  const select = $('model') as HTMLSelectElement;
  for (const m of listModels()) select.add(new Option(`${m.name} (${m.image})`, m.name));
  select.add(new Option('custom (config URL below)', ''));
  select.value = 'mobileclip_s0';
}

function onLoadProgress(p: LoadProgress, t0: number): void {
  const now = performance.now() - t0;
  if ((p.phase === 'download' || p.phase === 'cache') && p.what === 'weights') {
    const bar = $('download-bar') as HTMLProgressElement;
    if (p.total) {
      bar.max = p.total;
      bar.value = p.loaded;
    } else bar.removeAttribute('value');
    $('download-text').textContent = p.phase === 'cache' ? `${mb(p.loaded)} (cached)` : `${mb(p.loaded)}${p.total ? ` / ${mb(p.total)}` : ''}`;
    if (p.phase === 'cache' || p.loaded === p.total) timings.downloadMs = now;
  } else if (p.phase === 'parse' && p.loaded === 1) timings.parseMs = now;
  else if (p.phase === 'upload' && p.loaded === 1) timings.uploadMs = now;
  else if (p.phase === 'compile') {
    const bar = $('compile-bar') as HTMLProgressElement;
    if (p.total) {
      bar.max = p.total;
      bar.value = p.loaded;
      timings.compileMs = now;
      timings.kernels = p.total;
    } else bar.removeAttribute('value'); // the count is known only at the end of the first run
    $('compile-text').textContent = `${p.loaded} kernels${p.total ? '' : '…'}`;
  }
}

/** A model on the page's own thread (worker=0), with the worker model's interface. */
async function mainThreadModel(name: string | object, options: Parameters<typeof createModelAndTransforms>[1]): Promise<Model> {
  const m = await createModelAndTransforms(name, options);
  return {
    info: modelInfo(m.model),
    classify: (imgs, labels) => m.model.classify(imgs, labels),
    encodeImages: (imgs) => m.model.encodeImages(imgs),
    encodeTexts: (texts) => m.model.encodeTexts(texts),
    dispose: () => m.dispose(),
  };
}

async function load(): Promise<void> {
  busy(true);
  await model?.dispose();
  model = null;
  imageEmbeddings = null;
  for (const k of Object.keys(timings)) delete timings[k];
  const weightsText = ($('weights') as HTMLInputElement).value.trim();
  const configUrl = ($('config') as HTMLInputElement).value.trim();
  const vocabUrl = ($('vocab') as HTMLInputElement).value.trim();
  const chosen = ($('model') as HTMLSelectElement).value;
  const dtypeChoice = ($('dtype') as HTMLSelectElement).value;
  const dtype = dtypeChoice === 'auto' ? (adapter?.f16 ? 'f16' : 'f32') : (dtypeChoice as 'f32' | 'f16');
  let name: string | object = chosen;
  if (configUrl) {
    const r = await fetch(configUrl);
    if (!r.ok) throw new Error(`config: ${configUrl} answered HTTP ${r.status}`);
    name = await r.json();
  } else if (!chosen) throw new Error('choose a model, or give a config URL');
  const weights = localWeights ?? (weightsText || undefined);
  const options = { weights, vocab: vocabUrl || true, dtype, warmup: true } as const;
  const t0 = performance.now();
  const onProgress = (p: LoadProgress) => onLoadProgress(p, t0);
  model = params.get('worker') === '0' ? await mainThreadModel(name, { ...options, onProgress }) : await createModelInWorker(name, { ...options, onProgress, workerUrl: new URL('./worker.js', import.meta.url) });
  timings.loadMs = performance.now() - t0;
  const i = model.info;
  const where = i.backend === 'cpu' ? i.adapter.description : `${i.adapter.vendor} ${i.adapter.architecture}`;
  // The CPU backend compiles nothing: no compile phase to show.
  const compile = i.backend === 'cpu' ? '' : `, compile ${ms((timings.compileMs ?? 0) - (timings.uploadMs ?? 0))}, ${timings.kernels ?? 0} kernels`;
  $('timings').textContent = `${i.model.name} (${i.model.dtype}) on ${where}: loaded in ${ms(timings.loadMs)}` +
    ` (weights ${ms(timings.downloadMs ?? 0)}, parse ${ms((timings.parseMs ?? 0) - (timings.downloadMs ?? 0))}, upload ${ms((timings.uploadMs ?? 0) - (timings.parseMs ?? 0))}${compile})`;
  writeResult({ model: i.model.name, dtype: i.model.dtype, backend: i.backend, worker: params.get('worker') !== '0' });
  busy(false);
}

function addImages(items: PageImage[]): void {
  images = [...images, ...items];
  imageEmbeddings = null;
  const ul = $('thumbs');
  for (const im of items) {
    const li = document.createElement('li');
    const img = document.createElement('img');
    img.src = im.src;
    img.alt = im.name;
    li.append(img);
    ul.append(li);
  }
}

const fileImages = (files: Iterable<File>): PageImage[] => [...files].filter((f) => /^image\//.test(f.type) || /\.(png|jpe?g)$/i.test(f.name)).map((f) => ({ name: f.name, source: f, src: URL.createObjectURL(f) }));

function requireReady(): Model {
  if (!model) throw new Error('load a model first');
  if (images.length === 0) throw new Error('add at least one image');
  return model;
}

async function classify(): Promise<void> {
  const m = requireReady();
  const labels = list(($('labels') as HTMLInputElement).value);
  if (labels.length === 0) throw new Error('type at least one label');
  busy(true);
  const t0 = performance.now();
  const preds = await m.classify(images.map((i) => i.source), labels);
  const t = performance.now() - t0;
  timings[timings.firstClassifyMs === undefined ? 'firstClassifyMs' : 'classifyMs'] = t;
  const out = $('predictions');
  out.replaceChildren();
  preds.forEach((p, k) => {
    const div = document.createElement('div');
    div.className = 'image-result';
    const img = document.createElement('img');
    img.src = images[k].src;
    img.alt = images[k].name;
    const bars = document.createElement('div');
    bars.setAttribute('aria-label', `predictions for ${images[k].name}`);
    for (const { label, probability } of p) {
      const row = document.createElement('div');
      row.className = 'bar';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.width = `${(probability * 100).toFixed(1)}%`;
      const track = document.createElement('div');
      track.append(fill);
      row.append(Object.assign(document.createElement('span'), { textContent: label }), track, Object.assign(document.createElement('span'), { textContent: `${(probability * 100).toFixed(1)} %` }));
      bars.append(row);
    }
    div.append(img, bars);
    out.append(div);
  });
  $('timings').textContent = `${$('timings').textContent?.replace(/ · classify.*$/, '')} · classify ${images.length} × ${labels.length} in ${ms(t)}`;
  writeResult({ images: preds.map((p, k) => ({ url: images[k].name, labels: p })) });
  busy(false);
}

async function search(): Promise<void> {
  const m = requireReady();
  const query = ($('query') as HTMLInputElement).value.trim();
  if (!query) throw new Error('type a query');
  busy(true);
  const t0 = performance.now();
  const key = images.map((i) => i.name).join('\n');
  if (imageEmbeddings?.key !== key) {
    const e = await m.encodeImages(images.map((i) => i.source));
    imageEmbeddings = { key, data: e.data, dim: e.dim };
  }
  const q = (await m.encodeTexts([query])).data;
  const { data, dim } = imageEmbeddings;
  const ranked = images.map((im, k) => ({ url: im.name, src: im.src, score: q.reduce((s, v, d) => s + v * data[k * dim + d], 0) })).sort((a, b) => b.score - a.score);
  timings.searchMs = performance.now() - t0;
  const ol = $('ranking');
  ol.replaceChildren(
    ...ranked.map((r) => {
      const li = document.createElement('li');
      const img = Object.assign(document.createElement('img'), { src: r.src, alt: r.url });
      li.append(img, Object.assign(document.createElement('span'), { textContent: `${r.url} — similarity ${r.score.toFixed(3)}` }));
      return li;
    }),
  );
  writeResult({ search: { query, ranking: ranked.map(({ url, score }) => ({ url, score })) } });
  busy(false);
}

const guard = (f: () => Promise<void>) => () => void f().catch(fail);

function wire(): void {
  $('load').addEventListener('click', guard(load));
  $('classify-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(classify)();
  });
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(search)();
  });
  $('images').addEventListener('change', (e) => addImages(fileImages((e.target as HTMLInputElement).files ?? [])));
  $('weights-file').addEventListener('change', (e) => (localWeights = (e.target as HTMLInputElement).files?.[0] ?? null));
  // Drop anywhere: checkpoints become the weights, images join the list.
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    $('drop').classList.add('over');
  });
  document.addEventListener('dragleave', () => $('drop').classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    $('drop').classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    const ckpt = files.find((f) => /\.(pt|safetensors|bin)$/i.test(f.name));
    if (ckpt) {
      localWeights = ckpt;
      ($('weights') as HTMLInputElement).value = '';
      $('timings').textContent = `weights: ${ckpt.name} (${mb(ckpt.size)}); press Load model`;
    }
    addImages(fileImages(files));
  });
}

async function main(): Promise<void> {
  fillModels();
  wire();
  await showAdapter();
  // Query parameters: fill the form, then run what they ask for.
  for (const k of ['weights', 'config', 'vocab', 'labels', 'query'] as const) if (params.has(k)) ($(k) as HTMLInputElement).value = params.get(k)!;
  if (params.has('model')) ($('model') as HTMLSelectElement).value = params.get('model')!;
  if (params.has('config') && !params.has('model')) ($('model') as HTMLSelectElement).value = '';
  if (params.has('dtype')) ($('dtype') as HTMLSelectElement).value = params.get('dtype')!;
  const urls = list(params.get('images'));
  if (urls.length) addImages(urls.map((u) => ({ name: u, source: new URL(u, location.href).href, src: new URL(u, location.href).href })));
  writeResult();
  if (params.has('weights') || params.has('model') || params.has('config')) {
    await load();
    if (urls.length && params.has('labels')) {
      await classify();
      if (params.get('repeat') === '1') await classify(); // a second, warm run for timings
    }
    if (urls.length && params.has('query')) await search();
    document.body.dataset.done = 'true';
  }
}

main().catch((e) => {
  fail(e);
  document.body.dataset.done = 'true';
});
