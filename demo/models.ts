/**
 * The demo's model menu: readable names, and how much a load will download, known before it
 * starts. Imports only the model descriptions (a few kB), never the runtime: that lives in the
 * worker's bundle.
 */
import { defaultWeightsUrl } from '../src/api/sources.js';
import { listModels, modelSpec } from '../src/models/model-specs.js';
import { parameterBound } from '../src/models/parameter-count.js';
import { CacheStorageCache } from '../src/io/byte-cache.browser.js';

export const DEFAULT_MODEL = 'mobileclip_s0';

/** Apple's `mobileclip_s0` reads as MobileCLIP-S0 (B-LT for blt); open_clip names already read well. */
export function displayName(name: string): string {
  const m = /^mobileclip_(\w+)$/.exec(name);
  return m ? `MobileCLIP-${m[1] === 'blt' ? 'B-LT' : m[1].toUpperCase()}` : name;
}

/** The model <select>'s groups: Apple's v1 release, then open_clip's (v1 and v2 on the hub). */
export function modelGroups(): { label: string; models: { name: string; text: string }[] }[] {
  const all = listModels();
  const option = (name: string) => ({ name, text: `${displayName(name)} · up to ${mb(weightsBound(name))}` });
  return [
    { label: "Apple's release (.pt)", models: all.filter((m) => m.format === 'apple').map((m) => option(m.name)) },
    { label: 'OpenCLIP (Hugging Face)', models: all.filter((m) => m.format === 'openclip').map((m) => option(m.name)) },
  ];
}

/**
 * The most a model's checkpoint can weigh: its parameters (parameterBound, 1.0–1.3 × the real
 * count) as float32. A bound, so the page says "up to"; a HEAD request gives the exact size.
 */
export function weightsBound(name: string): number {
  return parameterBound(modelSpec(name)) * 4;
}

export const mb = (bytes: number) => `${bytes >= 10e6 ? (bytes / 1e6).toFixed(0) : (bytes / 1e6).toFixed(1)} MB`;

/** The URL a load fetches when no weights are given (null for a custom config). */
export function publishedWeights(name: string): string | null {
  try {
    return defaultWeightsUrl(modelSpec(name));
  } catch {
    return null;
  }
}

/** The exact size of `url` from a HEAD request's Content-Length; null when the server will not say (or is unreachable). */
export async function remoteSize(url: string): Promise<number | null> {
  try {
    const r = await fetch(url, { method: 'HEAD' });
    const n = Number(r.headers.get('content-length'));
    return r.ok && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The size of `url`'s copy in the library's download cache (a load then downloads nothing); null when there is none. */
export async function savedSize(url: string): Promise<number | null> {
  try {
    return CacheStorageCache.available() ? await new CacheStorageCache().storedSize(url) : null;
  } catch {
    return null;
  }
}
