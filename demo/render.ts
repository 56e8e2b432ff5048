/**
 * The demo's DOM pieces: thumbnails with names and a remove button, probability bars, the search
 * rankings (of dropped photos and of the folder index), what an index update skipped, and errors
 * as one short line whose long text (a key list can run to hundreds of lines) folds into a <details>.
 */
import type { Prediction } from '../src/api/mobileclip.js';

export interface PageImage {
  /** A stable id for the page's lists (names may repeat). */
  id: number;
  name: string;
  /** What the model reads: the file itself, or its URL. */
  source: string | Blob;
  /** For the <img> elements. */
  src: string;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** Tags a photo's element with its id, so removing the photo can find it. */
function withId<E extends HTMLElement>(e: E, im: PageImage): E {
  e.dataset.id = String(im.id);
  return e;
}

/** The last path segment of a URL or file name: what a person calls the picture. */
export function shortName(name: string): string {
  return decodeURIComponent(name.split(/[/\\]/).pop() || name);
}

/** A file name on one line, cut with an ellipsis by CSS; the whole name in the tooltip. */
const nameLine = (name: string, className = 'name') => el('span', { className, title: name, textContent: shortName(name) });

export function thumbnail(im: PageImage, onRemove: () => void): HTMLLIElement {
  const remove = el('button', { type: 'button', className: 'remove', textContent: '×', title: `Remove ${shortName(im.name)}` });
  remove.setAttribute('aria-label', `Remove ${shortName(im.name)}`);
  remove.addEventListener('click', onRemove);
  return withId(el('li', {}, el('img', { src: im.src, alt: '' }), nameLine(im.name), remove), im);
}

const percent = (p: number) => `${(p * 100).toFixed(1)} %`;

/** One image's card: the picture, its name, and a bar per label, most likely first. */
export function predictionCard(im: PageImage, predictions: readonly Prediction[]): HTMLElement {
  const bars = el('ol', { className: 'bars' });
  bars.setAttribute('aria-label', `labels for ${shortName(im.name)}`);
  for (const { label, probability } of predictions) {
    const fill = el('span', { className: 'fill' });
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    bars.append(el('li', { className: 'bar' }, el('span', { className: 'label', title: label, textContent: label }), el('span', { className: 'track' }, fill), el('span', { className: 'pct', textContent: percent(probability) })));
  }
  return withId(el('article', { className: 'image-result' }, el('img', { src: im.src, alt: '' }), el('div', { className: 'result-body' }, nameLine(im.name), bars)), im);
}

export function rankingRow(im: PageImage, score: number, best: boolean): HTMLLIElement {
  return withId(el('li', { className: best ? 'best' : '' }, el('img', { src: im.src, alt: '' }), nameLine(im.name), el('span', { className: 'score', textContent: score.toFixed(3) })), im);
}

/**
 * A hit of the folder index: the picture when this visit has its File (`src`), else an empty
 * square; the file's name, and the folder it is in on a second line (keys are relative paths).
 */
export function hitRow(key: string, score: number, best: boolean, src: string | null): HTMLLIElement {
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
  const picture = src ? el('img', { src, alt: '' }) : el('span', { className: 'no-thumb', title: 'No preview: choose the folder again to see the pictures' });
  const names = el('span', {}, nameLine(key), ...(folder ? [el('span', { className: 'folder-path', title: folder, textContent: `in ${folder}` })] : []));
  const row = el('li', { className: best ? 'best' : '' }, picture, names, el('span', { className: 'score', textContent: score.toFixed(3) }));
  row.dataset.key = key;
  return row;
}

/** What an update left out, one line each (the file, then why); past `shown`, a count. */
export function skipList(skips: readonly { key: string; reason: string }[], shown = 8): HTMLUListElement {
  const list = el('ul', { className: 'skips' }, ...skips.slice(0, shown).map((s) => el('li', {}, el('strong', { textContent: shortName(s.key) }), `: ${s.reason}`)));
  if (skips.length > shown) list.append(el('li', { textContent: `and ${skips.length - shown} more` }));
  return list;
}

/**
 * An error as one paragraph: `lead` (what failed, in plain words) and the message's first line,
 * cut at a word near 180 characters; the full text, when longer, in a closed <details>.
 */
export function errorBlock(message: string, lead?: string): HTMLElement {
  const first = message.split('\n')[0];
  const short = first.length <= 200 ? first : `${first.slice(0, 180).replace(/\s+\S*$/, '')}…`;
  const p = el('p', {}, ...(lead ? [el('strong', { textContent: lead }), ' '] : []), short);
  const box = el('div', { className: 'error' }, p);
  box.setAttribute('role', 'alert');
  if (short !== message) box.append(el('details', {}, el('summary', { textContent: 'Details' }), el('pre', { textContent: message })));
  return box;
}
