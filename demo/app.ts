/**
 * The demo page: drop photos, type labels, see how likely each label is per photo; or rank the
 * photos by a description. The model loads in a worker on the first Classify (or Load model) with
 * the defaults, the download's size shown beforehand; its settings stay folded away.
 * With query parameters (weights, config or model, vocab, images, labels, query, dtype, worker=0)
 * it runs without clicks and writes its result as JSON into #result, for automated checks.
 *
 * A folder can be indexed into the browser's storage and searched, across reloads (folder.ts).
 *
 * This bundle imports the worker client and the model descriptions only; the runtime is in
 * worker.js (and, for worker=0, index.js, imported when asked for).
 */
import { createModelInWorker, type WorkerModelInfo } from '../src/api/worker-client.js';
import { weightsUrl } from '../src/api/sources.js';
import type { Prediction } from '../src/api/mobileclip.js';
import type { LoadProgress } from '../src/io/load-progress.js';
import { DEFAULT_MODEL, displayName, mb, modelGroups, publishedWeights, remoteSize, savedSize, weightsBound } from './models.js';
import { errorBlock, type PageImage, predictionCard, rankingRow, thumbnail } from './render.js';
import { savedSettings, setupFolder } from './folder.js';
import type { BrowserImageIndex } from '../src/api/collection.browser.js';

interface Model {
  info: WorkerModelInfo;
  classify(images: readonly (string | Blob)[], labels: readonly string[]): Promise<Prediction[][]>;
  encodeImages(images: readonly (string | Blob)[]): Promise<{ data: Float32Array; count: number; dim: number }>;
  encodeTexts(texts: readonly string[]): Promise<{ data: Float32Array; count: number; dim: number }>;
  /** The index in OPFS folder `name`, run where the model is. */
  openIndex(name: string): Promise<BrowserImageIndex>;
  dispose(): Promise<void> | void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const list = (v: string | null) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const ms = (t: number) => (t < 1000 ? `${t.toFixed(0)} ms` : `${(t / 1000).toFixed(2)} s`);

let model: Model | null = null;
let images: PageImage[] = [];
let nextImageId = 1;
let imageEmbeddings: { key: string; data: Float32Array; dim: number } | null = null;
let localWeights: File | null = null;
const timings: Record<string, number> = {};
let adapter: Record<string, unknown> | null = null;
const result: Record<string, unknown> = {};

function writeResult(extra: Record<string, unknown> = {}): void {
  Object.assign(result, extra);
  $('result').textContent = JSON.stringify({ adapter, ...result, timings }, null, 1);
}

function say(text: string): void {
  $('status').replaceChildren(Object.assign(document.createElement('p'), { textContent: text }));
}

/** Whether a load is under way: its errors get a plain first sentence before the library's text. */
let loading = false;

/** Shows `e` in the element `where` (the photos' status line, or the folder's). */
function fail(e: unknown, where = 'status'): void {
  const message = e instanceof Error ? `${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  $(where).replaceChildren(errorBlock(message, loading ? 'The model could not be loaded.' : undefined));
  loading = false;
  $('progress').hidden = true;
  writeResult({ error: message });
  busy(false);
}

function busy(on: boolean): void {
  for (const id of ['load', 'classify', 'search', 'folder-pick', 'folder-search', 'folder-forget']) ($(id) as HTMLButtonElement).disabled = on;
  document.body.setAttribute('aria-busy', String(on));
}

async function showAdapter(): Promise<void> {
  const a = await navigator.gpu?.requestAdapter().catch(() => null);
  const f16Option = ($('dtype') as HTMLSelectElement).querySelector<HTMLOptionElement>('option[value=f16]')!;
  document.body.dataset.adapter = a ? 'webgpu' : 'none';
  if (!a) {
    // The library then runs the model on its CPU backend by itself (device 'auto').
    $('adapter').textContent = 'This browser does not offer WebGPU, so the model runs on the processor instead: the same results, only slower.';
    f16Option.disabled = true;
    return;
  }
  const f16 = a.features.has('shader-f16');
  adapter = { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, f16, subgroups: a.features.has('subgroups') };
  $('adapter').textContent = `Runs on this device's graphics processor (WebGPU${a.info.vendor ? `: ${a.info.vendor} ${a.info.architecture}`.trimEnd() : ''}).`;
  if (!f16) f16Option.disabled = true;
}

function fillModels(): void {
  const select = $('model') as HTMLSelectElement;
  for (const g of modelGroups()) {
    const group = Object.assign(document.createElement('optgroup'), { label: g.label });
    for (const m of g.models) group.append(new Option(m.text, m.name));
    select.append(group);
  }
  select.add(new Option('Custom (config URL below)', ''));
  select.value = DEFAULT_MODEL;
}

/** The settings' summary line: which model, and how much its first load downloads (exact where the server says). */
let summaryRun = 0;
async function describeChoice(): Promise<void> {
  const run = ++summaryRun;
  const chosen = ($('model') as HTMLSelectElement).value;
  const typed = ($('weights') as HTMLInputElement).value.trim();
  const name = ($('config') as HTMLInputElement).value.trim() || !chosen ? 'custom model' : displayName(chosen);
  const line = (size: string) => run === summaryRun && ($('model-summary').textContent = `${name} · ${size}`);
  if (model) return void line(`loaded (${model.info.model.dtype})`);
  if (localWeights) return void line(`${localWeights.name}, ${mb(localWeights.size)} from this device`);
  let url: string | null = null;
  try {
    url = typed ? (typed.startsWith('hf-hub:') ? weightsUrl(typed) : new URL(typed, location.href).href) : chosen ? publishedWeights(chosen) : null;
  } catch {
    url = null;
  }
  const saved = url ? await savedSize(url) : null;
  if (saved !== null) return void line(`${mb(saved)}, saved on this device`);
  const bound = chosen && !typed ? weightsBound(chosen) : null;
  line(bound ? `up to ${mb(bound)} to download once` : 'download size unknown');
  const exact = url ? await remoteSize(url) : null;
  if (exact) line(`${mb(exact)} to download once`);
}

function onLoadProgress(p: LoadProgress, t0: number): void {
  const now = performance.now() - t0;
  if ((p.phase === 'download' || p.phase === 'cache') && p.what === 'weights') {
    const bar = $('download-bar') as HTMLProgressElement;
    if (p.total) {
      bar.max = p.total;
      bar.value = p.loaded;
    } else bar.removeAttribute('value');
    $('download-text').textContent = p.phase === 'cache' ? `${mb(p.loaded)} (saved copy)` : `${mb(p.loaded)}${p.total ? ` of ${mb(p.total)}` : ''}`;
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

/** A model on the page's own thread (worker=0): the library bundle, imported only then. */
async function mainThreadModel(name: string | object, options: object): Promise<Model> {
  const lib: typeof import('../src/index.browser.js') = await import(new URL('./index.js', import.meta.url).href);
  const m = await lib.createModelAndTransforms(name, options);
  return {
    info: lib.modelInfo(m.model),
    classify: (imgs, labels) => m.model.classify(imgs, labels),
    encodeImages: (imgs) => m.model.encodeImages(imgs),
    encodeTexts: (texts) => m.model.encodeTexts(texts),
    openIndex: (name) => lib.openIndex(name, m.model),
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
  loading = true;
  say(`Loading ${typeof name === 'string' ? displayName(name) : 'the model'}…`);
  $('progress').hidden = false;
  const weights = localWeights ?? (weightsText || undefined);
  const options = { weights, vocab: vocabUrl || true, dtype, warmup: true } as const;
  const t0 = performance.now();
  const onProgress = (p: LoadProgress) => onLoadProgress(p, t0);
  model = params.get('worker') === '0' ? await mainThreadModel(name, { ...options, onProgress }) : await createModelInWorker(name, { ...options, onProgress, workerUrl: new URL('./worker.js', import.meta.url) });
  timings.loadMs = performance.now() - t0;
  loading = false;
  $('progress').hidden = true;
  const i = model.info;
  const where = i.backend === 'cpu' ? i.adapter.description : `${i.adapter.vendor} ${i.adapter.architecture}`;
  // The CPU backend compiles nothing: no compile phase to show.
  const compile = i.backend === 'cpu' ? '' : `, compile ${ms((timings.compileMs ?? 0) - (timings.uploadMs ?? 0))}, ${timings.kernels ?? 0} kernels`;
  $('timings').textContent = `${i.model.name} (${i.model.dtype}) on ${where}: loaded in ${ms(timings.loadMs)}` +
    ` (weights ${ms(timings.downloadMs ?? 0)}, parse ${ms((timings.parseMs ?? 0) - (timings.downloadMs ?? 0))}, upload ${ms((timings.uploadMs ?? 0) - (timings.parseMs ?? 0))}${compile})`;
  say(`Model ready (${ms(timings.loadMs)}).`);
  void describeChoice();
  writeResult({ model: i.model.name, dtype: i.model.dtype, backend: i.backend, worker: params.get('worker') !== '0' });
  busy(false);
}

/** The thumbnails and the empty state follow `images`; results of removed photos go too. */
function showImages(): void {
  $('thumbs').replaceChildren(...images.map((im) => thumbnail(im, () => removeImage(im.id))));
  $('images-empty').hidden = images.length > 0;
  const kept = new Set(images.map((i) => String(i.id)));
  for (const card of $('predictions').querySelectorAll<HTMLElement>('[data-id]')) if (!kept.has(card.dataset.id!)) card.remove();
  for (const row of $('ranking').querySelectorAll<HTMLElement>('[data-id]')) if (!kept.has(row.dataset.id!)) row.remove();
}

function addImages(items: Omit<PageImage, 'id'>[]): void {
  images = [...images, ...items.map((i) => ({ ...i, id: nextImageId++ }))];
  imageEmbeddings = null;
  showImages();
}

function removeImage(id: number): void {
  const gone = images.find((i) => i.id === id);
  images = images.filter((i) => i.id !== id);
  if (gone?.source instanceof Blob) URL.revokeObjectURL(gone.src);
  imageEmbeddings = null;
  $('status').replaceChildren(); // its counts or its error were about the photos as they were
  showImages();
}

const fileImages = (files: Iterable<File>) => [...files].filter((f) => /^image\//.test(f.type) || /\.(png|jpe?g)$/i.test(f.name)).map((f) => ({ name: f.name, source: f, src: URL.createObjectURL(f) }));

/** Images present, and a model (loaded now, with the settings as they stand, if none is). */
async function ready(): Promise<Model> {
  if (images.length === 0) throw new Error('No photos yet: drop some on the page or choose them first.');
  if (!model) await load();
  return model!;
}

async function classify(): Promise<void> {
  const labels = list(($('labels') as HTMLInputElement).value);
  if (labels.length === 0) throw new Error('No labels yet: type a few words, separated by commas.');
  const m = await ready();
  busy(true);
  say(`Classifying ${images.length} photo${images.length === 1 ? '' : 's'}…`);
  const shown = [...images];
  const t0 = performance.now();
  const preds = await m.classify(shown.map((i) => i.source), labels);
  const t = performance.now() - t0;
  timings[timings.firstClassifyMs === undefined ? 'firstClassifyMs' : 'classifyMs'] = t;
  $('predictions').replaceChildren(...preds.map((p, k) => predictionCard(shown[k], p)));
  say(`${shown.length} photo${shown.length === 1 ? '' : 's'} × ${labels.length} labels in ${ms(t)}.`);
  writeResult({ images: preds.map((p, k) => ({ url: shown[k].name, labels: p })) });
  busy(false);
}

async function search(): Promise<void> {
  const query = ($('query') as HTMLInputElement).value.trim();
  if (!query) throw new Error('Type a description to search for.');
  const m = await ready();
  busy(true);
  const t0 = performance.now();
  const shown = [...images];
  const key = shown.map((i) => i.id).join(',');
  if (imageEmbeddings?.key !== key) {
    const e = await m.encodeImages(shown.map((i) => i.source));
    imageEmbeddings = { key, data: e.data, dim: e.dim };
  }
  const q = (await m.encodeTexts([query])).data;
  const { data, dim } = imageEmbeddings;
  const ranked = shown.map((im, k) => ({ im, score: q.reduce((s, v, d) => s + v * data[k * dim + d], 0) })).sort((a, b) => b.score - a.score);
  timings.searchMs = performance.now() - t0;
  $('ranking').replaceChildren(...ranked.map((r, k) => rankingRow(r.im, r.score, k === 0)));
  writeResult({ search: { query, ranking: ranked.map(({ im, score }) => ({ url: im.name, score })) } });
  busy(false);
}

/** A changed setting retires the loaded model, so the next Classify loads what the settings now say. */
function settingsChanged(): void {
  if (model) {
    void model.dispose();
    model = null;
    imageEmbeddings = null;
  }
  void describeChoice();
}

const guard = (f: () => Promise<void>) => () => void f().catch((e) => fail(e));

/** The settings a folder index is made with, kept with it so that a search after a reload loads the same model. */
const SETTINGS = ['model', 'dtype', 'weights', 'config', 'vocab'] as const;
function currentSettings(): { settings: Record<string, string>; label: string } {
  const settings = Object.fromEntries(SETTINGS.map((k) => [k, ($(k) as HTMLInputElement).value.trim()]));
  const name = settings.config || !settings.model ? 'custom model' : displayName(settings.model);
  const dtype = model ? `, ${model.info.model.dtype}` : '';
  // A checkpoint picked from this device cannot be kept: the label says which file to choose again.
  return { settings, label: `${name}${dtype}${localWeights ? `, weights ${localWeights.name} from this device` : ''}` };
}

const folder = setupFolder({
  model: async () => model ?? (await load(), model!),
  settings: currentSettings,
  busy,
  fail,
  writeResult,
});

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
  $('labels').addEventListener('input', () => ($('labels-empty').hidden = list(($('labels') as HTMLInputElement).value).length > 0));
  $('images').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    addImages(fileImages(input.files ?? []));
    input.value = ''; // the same file can be chosen again after its removal
  });
  $('weights-file').addEventListener('change', (e) => {
    localWeights = (e.target as HTMLInputElement).files?.[0] ?? null;
    settingsChanged();
  });
  for (const id of ['model', 'dtype', 'weights', 'config', 'vocab']) $(id).addEventListener('change', settingsChanged);
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
      settingsChanged();
      say(`Weights: ${ckpt.name} (${mb(ckpt.size)}); they load on the next Classify.`);
    }
    addImages(fileImages(files));
  });
}

async function main(): Promise<void> {
  fillModels();
  wire();
  showImages();
  // The settings the kept folder index was made with (query parameters below still win).
  const saved = savedSettings();
  if (saved) for (const k of SETTINGS) if (k in saved.settings) ($(k) as HTMLInputElement).value = saved.settings[k];
  await Promise.all([showAdapter(), folder.refresh()]);
  // Query parameters: fill the form, then run what they ask for.
  for (const k of ['weights', 'config', 'vocab', 'labels', 'query'] as const) if (params.has(k)) ($(k) as HTMLInputElement).value = params.get(k)!;
  if (params.has('model')) ($('model') as HTMLSelectElement).value = params.get('model')!;
  if (params.has('config') && !params.has('model')) ($('model') as HTMLSelectElement).value = '';
  if (params.has('dtype')) ($('dtype') as HTMLSelectElement).value = params.get('dtype')!;
  void describeChoice();
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
