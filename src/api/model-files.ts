/**
 * The files a model needs — the checkpoint, the vocabulary and, for a hub name, its config — as
 * bytes, from wherever the user points: bytes or a Blob as given, a local path (Node), an http(s)
 * URL, a hub reference, or, with nothing given, the model's published files. Downloads go through
 * the cache and report progress; the platform entries (node.ts, browser.ts) add their cache and
 * file reader.
 */
import type { ByteCache } from '../io/byte-cache.js';
import { download, type DownloadTimeouts } from '../io/download.js';
import type { OnLoadProgress } from '../io/load-progress.js';
import type { HttpGet } from '../io/http-get.js';
import { type ModelSpec, modelSpec, modelSpecFromConfig } from '../models/model-specs.js';
import { DEFAULT_SOURCES, defaultVocabUrl, defaultWeightsUrl, hubFileUrl, isHubRef, isMovableHubUrl, isRemoteUrl, OPENCLIP_CONFIG_FILE, parseHubRef, type Sources, weightsUrl } from './sources.js';

/** A file as the user may give it. */
export type FileSource = string | URL | Uint8Array | ArrayBuffer | Blob;

export interface FetchOptions {
  /** The largest checkpoint accepted from the network (set per model by weightsBytes). */
  maxBytes?: number;
  /**
   * A Hugging Face access token, for gated or private repos: sent as `Authorization: Bearer` to
   * the hub's own URLs only (Node: HF_TOKEN). Never part of a cache key or an error message.
   */
  token?: string;
  /** Download, cache-hit, parse, upload and compile progress. */
  onProgress?: OnLoadProgress;
  /** Cancels the downloads (and the load): the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Where downloads are kept (the platform's default cache unless null). */
  cache?: ByteCache | null;
  /** Refuse to download: anything not cached or local is an OfflineError that names it. */
  offline?: boolean;
  /** Hub, Apple and vocabulary base URLs (tests point these at a local server). */
  sources?: Sources;
  /** How long a download waits for the server's answer and for the next bytes of its body (default 30 s and 60 s; Node: MOBILECLIP_CONNECT_TIMEOUT, MOBILECLIP_IDLE_TIMEOUT in seconds). */
  timeouts?: DownloadTimeouts;
  /** The fetch downloads use (default the global one; Node: through the proxy HTTPS_PROXY / HTTP_PROXY name, NO_PROXY excepted). */
  fetch?: typeof fetch;
  /** How downloads make requests (default through `fetch`; Node sets node:http when no fetch is given). @internal */
  get?: HttpGet;
}

export interface Platform {
  /** Reads a local path (Node); undefined where strings are URLs (browsers: relative to the page). */
  readLocal?: (path: string, what: string) => Promise<Uint8Array>;
  /** The base a relative URL resolves against (browsers: the page or worker location). */
  baseUrl?: string;
}

/** The request headers and the 401 hint for `url`: the token goes to the hub's origin only. */
export function hubAuth(url: string, o: FetchOptions): { headers?: Record<string, string>; authHint?: string } {
  let onHub = false;
  try {
    onHub = new URL(url).origin === new URL(o.sources?.hubUrl ?? DEFAULT_SOURCES.hubUrl).origin;
  } catch {
    return {};
  }
  if (!onHub) return {};
  if (!o.token) return { authHint: 'a gated or private repo needs an access token: set HF_TOKEN (or pass `token`)' };
  return { headers: { authorization: `Bearer ${o.token}` }, authHint: 'the access token (HF_TOKEN / `token`) was refused for this repo' };
}

/** `src` as bytes, and a name for it in messages. */
export async function fileBytes(src: FileSource, what: string, o: FetchOptions, p: Platform): Promise<{ bytes: Uint8Array; source: string }> {
  if (src instanceof Uint8Array) return { bytes: src, source: what };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), source: what };
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    const name = typeof File !== 'undefined' && src instanceof File ? src.name : what;
    return { bytes: new Uint8Array(await src.arrayBuffer()), source: name };
  }
  const ref = String(src);
  if (isHubRef(ref) || isRemoteUrl(ref) || src instanceof URL) {
    const url = isHubRef(ref) ? weightsUrl(ref, o.sources) : ref;
    return { bytes: await download(url, { what, ...o, ...hubAuth(url, o), revalidate: isMovableHubUrl(url, o.sources) }), source: url };
  }
  if (p.readLocal) return { bytes: await p.readLocal(ref, what), source: ref };
  const url = new URL(ref, p.baseUrl).href;
  return { bytes: await download(url, { what, ...o, ...hubAuth(url, o) }), source: url };
}

/**
 * The model a name means: a built-in name, a hub reference (its open_clip_config.json, fetched),
 * or a parsed config object; with the weights it loads when none are given.
 */
export async function resolveModel(name: string | object, o: FetchOptions): Promise<{ spec: ModelSpec; defaultWeights: string | null }> {
  if (typeof name !== 'string') return { spec: modelSpecFromConfig(name), defaultWeights: null };
  if (!isHubRef(name)) {
    const spec = modelSpec(name);
    return { spec, defaultWeights: defaultWeightsUrl(spec, o.sources) };
  }
  const ref = parseHubRef(name);
  const url = hubFileUrl(ref, ref.file ?? OPENCLIP_CONFIG_FILE, o.sources);
  const bytes = await download(url, { what: 'config', ...o, ...hubAuth(url, o), revalidate: isMovableHubUrl(url, o.sources) });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${url}: the model config is not JSON (${(e as Error).message})`);
  }
  return { spec: modelSpecFromConfig(json, undefined, `hf-hub:${ref.repo}`), defaultWeights: weightsUrl(`hf-hub:${ref.repo}@${ref.revision}`, o.sources) };
}

/** The checkpoint's bytes: as given, or the model's published file (`published`, null when it has none). */
export async function weightsBytes(given: FileSource | undefined, published: string | null, model: string, o: FetchOptions, p: Platform, limit?: number) {
  // A download is bounded by the model's size (model-specs.ts checkpointByteLimit): an endless body stops there.
  const bounded = limit === undefined || o.maxBytes !== undefined ? o : { ...o, maxBytes: limit };
  if (given !== undefined) return fileBytes(given, 'weights', bounded, p);
  if (!published) throw new Error(`${model}: no published weights are known for this model; pass \`weights\` (a file, URL or hf-hub: reference)`);
  return fileBytes(published, 'weights', bounded, p);
}

/** The vocabulary's bytes: as given; `true` for the published one; none for `false` or undefined. */
export async function vocabBytes(given: FileSource | boolean | undefined, o: FetchOptions, p: Platform): Promise<{ bytes: Uint8Array; source: string } | undefined> {
  if (given === false || given === undefined) return undefined;
  return fileBytes(given === true ? defaultVocabUrl(o.sources) : given, 'vocab', o, p);
}

