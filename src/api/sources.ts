/**
 * Where a model's files come from when the user names no local file: Hugging Face-style hub
 * references (`hf-hub:timm/MobileCLIP2-S0-OpenCLIP`, as open_clip spells them), Apple's release
 * URLs for the v1 `.pt` files, and the CLIP vocabulary's URL. Every base is configurable, so tests
 * run against a local server laid out like the hub (`/<org>/<repo>/resolve/<revision>/<file>`).
 */
import { MODEL_SPECS } from '../models/model-specs.js';
import { openClipHubRepo } from '../models/openclip-specs.js';

export interface Sources {
  /** The hub's base URL (default https://huggingface.co; Node: MOBILECLIP_HUB_URL). */
  hubUrl?: string;
  /** Base of Apple's v1 checkpoints (default Apple's ml-research URL; Node: MOBILECLIP_APPLE_URL). */
  appleUrl?: string;
  /** The gzipped CLIP BPE vocabulary (default OpenAI's CLIP repository; Node: MOBILECLIP_VOCAB_URL). */
  vocabUrl?: string;
}

export const DEFAULT_SOURCES: Required<Sources> = {
  hubUrl: 'https://huggingface.co',
  appleUrl: 'https://docs-assets.developer.apple.com/ml-research/datasets/mobileclip',
  vocabUrl: 'https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz',
};

/** What an OpenCLIP hub repo ships: the weights and the model config. */
export const OPENCLIP_WEIGHTS_FILE = 'open_clip_model.safetensors';
export const OPENCLIP_CONFIG_FILE = 'open_clip_config.json';

export interface HubRef {
  repo: string;
  revision: string;
  /** A file inside the repo, when the reference names one. */
  file?: string;
}

const HUB_PREFIX = 'hf-hub:';

export function isHubRef(s: string): boolean {
  return s.startsWith(HUB_PREFIX);
}

export function isRemoteUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

export class HubRefError extends Error {
  override name = 'HubRefError';
}

/**
 * An org or repo name as the hub allows it: letters, digits, '-', '_' and '.', not starting or
 * ending with '-' or '.', no '--' or '..', at most 96 characters (huggingface_hub's repo-id rule).
 */
const HUB_NAME = /^(?![-.])(?!.*(--|\.\.))[\w.-]{1,96}(?<![-.])$/;
/** A branch, tag or commit: one segment of these characters; or the hub's `refs/pr/<n>` and `refs/convert/<name>`. */
const REVISION_SEGMENT = /^(?!\.{1,2}$)[\w.+-]{1,128}$/;
/** A path segment of a file in the repo: no '.', '..' or empty segment, no control characters or backslashes. */
const FILE_SEGMENT = /^(?!\.{1,2}$)[^\\\u0000-\u001f\u007f]{1,255}$/;

/**
 * `hf-hub:org/repo[@revision][/path/to/file]` → its parts, checked as the hub checks them. The
 * revision is one name (a branch, tag or commit) or `refs/pr/<n>` / `refs/convert/<name>`, whose
 * slashes belong to it; what follows is the file. Errors quote the reference as given.
 */
export function parseHubRef(s: string): HubRef {
  const fail = (why: string): never => {
    throw new HubRefError(`${JSON.stringify(s)} is not a hub reference: ${why} (expected hf-hub:<org>/<repo>[@revision][/<file>])`);
  };
  if (typeof s !== 'string' || !s.startsWith(HUB_PREFIX)) return fail('it does not start with hf-hub:');
  const rest = s.slice(HUB_PREFIX.length);
  const at = rest.indexOf('@');
  const head = at < 0 ? rest : rest.slice(0, at);
  const parts = head.split('/');
  const [org, name] = parts;
  if (parts.length < 2 || !org || !name) fail('it names no <org>/<repo>');
  if (!HUB_NAME.test(org)) fail(`the org ${JSON.stringify(org)} is not a hub name (letters, digits, -, _ and ., not starting or ending with - or ., no -- or ..)`);
  if (!HUB_NAME.test(name)) fail(`the repo ${JSON.stringify(name)} is not a hub name (letters, digits, -, _ and ., not starting or ending with - or ., no -- or ..)`);
  let revision = 'main';
  let fileParts = parts.slice(2);
  if (at >= 0) {
    if (parts.length > 2) fail('a file comes after the revision: hf-hub:<org>/<repo>@<revision>/<file>');
    const tail = rest.slice(at + 1).split('/');
    const n = tail[0] === 'refs' && (tail[1] === 'pr' || tail[1] === 'convert') ? 3 : 1;
    if (tail.length < n) fail(`the revision ${JSON.stringify(tail.join('/'))} is incomplete (refs/pr/<n> or refs/convert/<name>)`);
    const rev = tail.slice(0, n);
    if (!rev.every((p) => REVISION_SEGMENT.test(p)) || (n === 3 && tail[1] === 'pr' && !/^\d+$/.test(rev[2]))) fail(`the revision ${JSON.stringify(rev.join('/'))} is not a branch, tag, commit or refs/pr/<n>`);
    revision = rev.join('/');
    fileParts = tail.slice(n);
  }
  if (fileParts.length && !fileParts.every((p) => FILE_SEGMENT.test(p))) fail(`the file ${JSON.stringify(fileParts.join('/'))} has an empty, '.' or '..' segment or a control character`);
  return { repo: `${org}/${name}`, revision, file: fileParts.length ? fileParts.join('/') : undefined };
}

/** The hub's base URL (the sources', else huggingface.co) with a trailing slash; an error when it is not an http(s) URL. */
function hubBase(sources: Sources): URL {
  const baseText = sources.hubUrl ?? DEFAULT_SOURCES.hubUrl;
  let base: URL;
  try {
    base = new URL(baseText.endsWith('/') ? baseText : `${baseText}/`);
  } catch {
    throw new HubRefError(`the hub URL ${JSON.stringify(baseText)} is not a URL`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new HubRefError(`the hub URL ${JSON.stringify(baseText)} is not http(s)`);
  return base;
}

/**
 * The URL of `file` in a hub repo, <hub>/<org>/<repo>/resolve/<revision>/<file>, built by the URL
 * API (the revision encoded as one segment, as huggingface_hub does) and checked to stay under the
 * hub's base; an error otherwise.
 */
export function hubFileUrl(ref: HubRef, file: string, sources: Sources = {}): string {
  const base = hubBase(sources);
  const checked = parseHubRef(`${HUB_PREFIX}${ref.repo}@${ref.revision}${file ? `/${file}` : ''}`);
  const segments = [...checked.repo.split('/'), 'resolve', checked.revision, ...(checked.file ?? '').split('/')].map(encodeURIComponent);
  const url = new URL(segments.join('/'), base);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) throw new HubRefError(`hf-hub:${ref.repo}@${ref.revision}/${file} would leave the hub's base ${base.href}`);
  return url.href;
}

/**
 * Whether `url` is a file of the hub at a movable revision (a branch or tag: `main` by default),
 * so that a cached copy is checked against the hub before use, as huggingface_hub does. A URL at a
 * commit (40 hex digits) is pinned: its cached copy is used without asking.
 */
export function isMovableHubUrl(url: string, sources: Sources = {}): boolean {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = hubBase(sources);
  } catch {
    return false;
  }
  if (u.origin !== base.origin || !u.pathname.startsWith(base.pathname)) return false;
  const [, , resolve, revision] = u.pathname.slice(base.pathname.length).split('/');
  return resolve === 'resolve' && revision !== undefined && !/^[0-9a-f]{40}$/.test(decodeURIComponent(revision));
}

/** A weights reference (an http(s) URL or hf-hub:…) → the URL to fetch. */
export function weightsUrl(ref: string, sources: Sources = {}): string {
  if (isRemoteUrl(ref)) return ref;
  const hub = parseHubRef(ref);
  return hubFileUrl(hub, hub.file ?? OPENCLIP_WEIGHTS_FILE, sources);
}

/**
 * The checkpoint a model name loads when no weights are given: an Apple name's release `.pt`,
 * an open_clip name's hub repo (its pretrained tag's, e.g. MobileCLIP-B:datacompdr_lt). Null for
 * a name with no published weights.
 */
export function defaultWeightsUrl(spec: { name: string }, sources: Sources = {}): string | null {
  if (spec.name in MODEL_SPECS) return `${(sources.appleUrl ?? DEFAULT_SOURCES.appleUrl).replace(/\/+$/, '')}/${spec.name}.pt`;
  const repo = openClipHubRepo(spec.name);
  return repo ? hubFileUrl({ repo, revision: 'main' }, OPENCLIP_WEIGHTS_FILE, sources) : null;
}

export function defaultVocabUrl(sources: Sources = {}): string {
  return sources.vocabUrl ?? DEFAULT_SOURCES.vocabUrl;
}
