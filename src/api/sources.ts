/**
 * Where a model's files come from when the user names no local file: Hugging Face-style hub
 * references (`hf-hub:timm/MobileCLIP2-S0-OpenCLIP`, as open_clip spells them), Apple's release
 * URLs for the v1 `.pt` files, and the CLIP vocabulary's URL. Every base is configurable, so tests
 * run against a local server laid out like the hub (`/<org>/<repo>/resolve/<revision>/<file>`).
 */
import { MODEL_SPECS } from './model-specs.js';
import { openClipHubRepo } from './openclip-specs.js';

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

/** `hf-hub:org/repo[@revision][/path/to/file]` → its parts; an error naming the form for anything else. */
export function parseHubRef(s: string): HubRef {
  const m = /^hf-hub:([\w.-]+\/[\w.-]+)(?:@([\w.-]+))?(?:\/(.+))?$/.exec(s);
  if (!m || m[3]?.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new Error(`"${s}" is not a hub reference: expected hf-hub:<org>/<repo>[@revision][/<file>]`);
  }
  return { repo: m[1], revision: m[2] ?? 'main', file: m[3] };
}

/** The URL of `file` in a hub repo: <hub>/<org>/<repo>/resolve/<revision>/<file>. */
export function hubFileUrl(ref: HubRef, file: string, sources: Sources = {}): string {
  const base = (sources.hubUrl ?? DEFAULT_SOURCES.hubUrl).replace(/\/+$/, '');
  return `${base}/${ref.repo}/resolve/${ref.revision}/${file.split('/').map(encodeURIComponent).join('/')}`;
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
