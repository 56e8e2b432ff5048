/**
 * The demo's folder index: a chosen folder's photos (showDirectoryPicker where the browser has it,
 * else <input webkitdirectory>) indexed into the origin-private file system by the model's worker
 * (WorkerModel.openIndex), with progress and a cancel; what the index holds is read from its
 * manifest when the page opens (no model needed), so after a reload the page says what is there and
 * a search works without choosing the folder again. The settings the index was made with are kept
 * in localStorage, so that search loads the same model.
 */
import type { BrowserImageIndex, UpdateSummary } from '../src/api/collection.browser.js';
import { checkManifest, countRows, MANIFEST, MANIFEST_BYTES } from '../src/collection/manifest.js';
import { hitRow, skipList } from './render.js';

/** The OPFS folder of the demo's index (one per origin). */
export const INDEX_NAME = 'mobileclip-demo-folder';
/** localStorage: the settings the index was made with, and their name for people. */
const SAVED = 'mobileclip-demo-folder';

export interface SavedSettings {
  settings: Record<string, string>;
  label: string;
}

/** What the folder card needs from the page. */
export interface FolderPage {
  /** The loaded model; loads one with the settings as they stand when none is. */
  model(): Promise<{ openIndex(name: string): Promise<BrowserImageIndex> }>;
  /** The settings as they stand, to be kept with the index, and the model's name for people. */
  settings(): SavedSettings;
  busy(on: boolean): void;
  /** Shows an error in the element `where` (and ends a load that failed). */
  fail(e: unknown, where: string): void;
  writeResult(extra: Record<string, unknown>): void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** What the library decodes (by name, as a folder's listing gives it); other files are counted, not read. */
const PHOTO = /\.(png|jpe?g)$/i;
/** A file's key in the index: its path under the chosen folder (fileKey in collection.browser.ts; not imported, it would bring the index code onto the page). */
const keyOf = (f: File) => f.webkitRelativePath || f.name;

export function savedSettings(): SavedSettings | null {
  try {
    return JSON.parse(localStorage.getItem(SAVED) ?? 'null');
  } catch {
    return null;
  }
}

/** The index's live rows and model from its manifest; null when there is none. */
async function held(): Promise<{ photos: number; model: string } | null> {
  if (typeof navigator.storage?.getDirectory !== 'function') return null;
  try {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(INDEX_NAME);
    const file = await (await dir.getFileHandle(MANIFEST)).getFile();
    // Bounded as the index store bounds it (the page reads it before any model loads).
    if (file.size > MANIFEST_BYTES) throw new Error(`opfs:${INDEX_NAME}/${MANIFEST}: ${file.size} bytes, more than a manifest can be (${MANIFEST_BYTES})`);
    const m = checkManifest(JSON.parse(await file.text()), `opfs:${INDEX_NAME}/${MANIFEST}`);
    return { photos: countRows(m).live, model: m.model.name };
  } catch (e) {
    if ((e as Error).name === 'NotFoundError') return null;
    throw e;
  }
}

/** What the File System Access API's handles offer here (not in every DOM typing). */
interface EntryHandle {
  kind: 'file' | 'directory';
  name: string;
  getFile(): Promise<File>;
  values(): AsyncIterable<EntryHandle>;
}

/** Every file under `dir`, named by its path from the chosen folder (as webkitdirectory names them); other files only counted. */
async function walk(dir: EntryHandle, prefix: string, out: { photos: File[]; others: number }): Promise<void> {
  for await (const h of dir.values()) {
    const path = `${prefix}/${h.name}`;
    if (h.kind === 'directory') await walk(h, path, out);
    else if (!PHOTO.test(h.name)) out.others++;
    else {
      const f = await h.getFile();
      // A File's name may hold slashes: it becomes the key, as a webkitdirectory File's relative path does.
      out.photos.push(new File([f], path, { type: f.type, lastModified: f.lastModified }));
    }
  }
}

export function setupFolder(page: FolderPage): { refresh: () => Promise<void> } {
  let index: BrowserImageIndex | null = null;
  let indexModel: unknown = null;
  /** The Files of this visit's pick, by key: their thumbnails in the ranking. */
  let picked = new Map<string, File>();
  let urls: string[] = [];

  const say = (...nodes: (Node | string)[]) => $('folder-status').replaceChildren(...nodes);
  const para = (text: string) => Object.assign(document.createElement('p'), { textContent: text });
  /** The line above the ranking: what the search covered (the update's summary stays above). */
  const note = (text: string) => Object.assign($('folder-search-note'), { textContent: text, hidden: !text });
  const guard = (f: () => Promise<void>) => () => void f().catch((e) => page.fail(e, 'folder-status'));

  /** The index in the loaded model's worker (opened again after a model change). */
  async function opened(): Promise<BrowserImageIndex> {
    const m = await page.model();
    if (!index || indexModel !== m) {
      index = await m.openIndex(INDEX_NAME);
      indexModel = m;
    }
    return index;
  }

  async function refresh(): Promise<void> {
    const h = await held();
    const saved = savedSettings();
    $('folder-forget').hidden = !h;
    $('folder-state').textContent = h
      ? `This browser keeps an index of ${plural(h.photos, 'photo')} (${saved?.label ?? h.model}).`
      : 'No folder indexed yet.';
    page.writeResult({ folderIndex: h && { photos: h.photos, label: saved?.label ?? h.model } });
  }

  async function indexFiles(photos: File[], others: number): Promise<void> {
    if (photos.length === 0) throw new Error(`No PNG or JPEG photos in that folder${others ? ` (${plural(others, 'other file')})` : ''}.`);
    say();
    const idx = await opened(); // loads the model first when none is loaded
    page.busy(true);
    picked = new Map(photos.map((f) => [keyOf(f), f]));
    const bar = $('folder-bar') as HTMLProgressElement;
    const text = $('folder-text');
    bar.removeAttribute('value');
    text.textContent = `checking ${plural(photos.length, 'photo')}…`;
    $('folder-rate').textContent = '';
    $('folder-progress').hidden = false;
    const ac = new AbortController();
    const cancel = () => ac.abort();
    $('folder-cancel').addEventListener('click', cancel, { once: true });
    const skips: { key: string; reason: string }[] = [];
    const t0 = performance.now();
    let done = 0;
    let summary: UpdateSummary | null = null;
    try {
      summary = await idx.update(photos, {
        removeMissing: true, // the index mirrors the folder chosen last
        signal: ac.signal,
        onSkip: (key, reason) => skips.push({ key, reason: reason.startsWith(`${key}: `) ? reason.slice(key.length + 2) : reason }),
        onProgress: (d, total) => {
          done = d;
          bar.max = total;
          bar.value = d;
          text.textContent = `${d} of ${total}`;
          $('folder-rate').textContent = `${(d / ((performance.now() - t0) / 1000)).toFixed(1)} images/s`;
        },
      });
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    } finally {
      $('folder-cancel').removeEventListener('click', cancel);
      $('folder-progress').hidden = true;
      // Releases the write lock (another tab may update it now) and the handle; the next call opens it again.
      index = null;
      await idx.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (summary) {
      const s = summary;
      const parts = [`${s.added} added`, ...(s.updated ? [`${s.updated} updated`] : []), `${s.unchanged} unchanged`, ...(s.removed ? [`${s.removed} removed`] : []), `${s.skipped} skipped`];
      say(para(`${plural(photos.length, 'photo')} in ${seconds.toFixed(1)} s: ${parts.join(', ')}${others ? `; ${plural(others, 'other file')} left out (not PNG or JPEG)` : ''}.`), ...(skips.length ? [skipList(skips)] : []));
    } else say(para(`Cancelled after ${done} photos. The index keeps what was saved before (it saves every 10 s): choose the folder again to go on.`));
    page.writeResult({ folder: { summary, cancelled: !summary, skips, others, seconds } });
    if (summary) localStorage.setItem(SAVED, JSON.stringify(page.settings()));
    await refresh();
    page.busy(false);
  }

  async function choose(): Promise<void> {
    const picker = (window as unknown as { showDirectoryPicker?: (o: object) => Promise<EntryHandle> }).showDirectoryPicker;
    if (!picker) return void $('folder-input').click();
    let dir: EntryHandle;
    try {
      dir = await picker({ id: 'mobileclip-photos', mode: 'read' });
    } catch (e) {
      if ((e as Error).name === 'AbortError') return; // the person closed the dialog
      throw e;
    }
    const found = { photos: [] as File[], others: 0 };
    await walk(dir, dir.name, found);
    found.photos.sort((a, b) => (a.name < b.name ? -1 : 1));
    await indexFiles(found.photos, found.others);
  }

  async function search(): Promise<void> {
    const query = ($('folder-query') as HTMLInputElement).value.trim();
    if (!query) throw new Error('Type a description to search for.');
    if (!index?.size && !(await held())?.photos) throw new Error('No photos indexed yet: choose a folder first.');
    const idx = await opened();
    page.busy(true);
    const t0 = performance.now();
    const hits = await idx.search(query, { k: 10 });
    const ms = performance.now() - t0;
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
    const src = (key: string) => {
      const f = picked.get(key);
      return f ? (urls[urls.length] = URL.createObjectURL(f)) : null;
    };
    $('folder-ranking').replaceChildren(...hits.map((h, i) => hitRow(h.path, h.score, i === 0, src(h.path))));
    const previews = hits.length > 0 && hits.every((h) => !picked.has(h.path)) ? ' (no previews after a reload: choose the folder again to see the pictures)' : '';
    note(`Top ${hits.length} of ${plural(idx.size, 'photo')} in ${ms.toFixed(0)} ms${previews}.`);
    page.writeResult({ folderSearch: { query, hits, ms } });
    page.busy(false);
  }

  async function forget(): Promise<void> {
    page.busy(true);
    await index?.close();
    index = null;
    indexModel = null;
    await (await navigator.storage.getDirectory()).removeEntry(INDEX_NAME, { recursive: true });
    localStorage.removeItem(SAVED);
    picked = new Map();
    $('folder-ranking').replaceChildren();
    note('');
    say(para('The index is gone from this browser.'));
    await refresh();
    page.busy(false);
  }

  $('folder-pick').addEventListener('click', guard(choose));
  $('folder-input').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const all = [...(input.files ?? [])];
    const photos = all.filter((f) => PHOTO.test(f.name));
    input.value = ''; // the same folder can be chosen again
    guard(() => indexFiles(photos, all.length - photos.length))();
  });
  $('folder-search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(search)();
  });
  $('folder-forget').addEventListener('click', guard(forget));
  return { refresh };
}
