/** Node entry of the API: model names or config files; checkpoints and vocabularies as paths, URLs, hub references or bytes. */
import { readFile } from 'node:fs/promises';
import { createGpu } from '../gpu/node.js';
import { FolderCache } from '../io/byte-cache.node.js';
import type { StateDict } from '../io/host-tensor.js';
import { readBytes } from '../io/read-file.js';
import type { RgbImage } from '../preprocess/decode.js';
import { type NodeImageInput, readNodeImage } from '../preprocess/image-input.node.js';
import { createModel, type LoadOptions } from './create.js';
import type { ModelAndTransforms as GenericModelAndTransforms } from './mobileclip.js';
import { type ModelSpec, modelSpec, modelSpecFromConfig } from './model-specs.js';
import type { Sources } from './sources.js';

export type { NodeImageInput };

/**
 * See LoadOptions. Strings are paths unless they are http(s) URLs or `hf-hub:` references;
 * downloads are cached in MOBILECLIP_CACHE (default: the platform's cache folder) unless
 * `cache: null`; MOBILECLIP_OFFLINE=1 forbids them; MOBILECLIP_HUB_URL, MOBILECLIP_APPLE_URL and
 * MOBILECLIP_VOCAB_URL move the sources.
 */
export type NodeCreateOptions = LoadOptions;

/** Every Node image input: paths, file:/http(s): URLs, PNG/JPEG bytes, decoded pixels. */
export type ModelAndTransforms = GenericModelAndTransforms<NodeImageInput>;

/** Reads and decodes a PNG or JPEG file as PIL's `Image.open(path).convert('RGB')` does. */
export async function readImageFile(path: string): Promise<RgbImage> {
  return readNodeImage(path, path);
}

/** The download sources the environment names (MOBILECLIP_HUB_URL, MOBILECLIP_APPLE_URL, MOBILECLIP_VOCAB_URL). */
export function sourcesFromEnv(env: NodeJS.ProcessEnv = process.env): Sources {
  return { hubUrl: env.MOBILECLIP_HUB_URL || undefined, appleUrl: env.MOBILECLIP_APPLE_URL || undefined, vocabUrl: env.MOBILECLIP_VOCAB_URL || undefined };
}

export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MOBILECLIP_OFFLINE === '1' || env.MOBILECLIP_OFFLINE === 'true';
}

async function readConfigFile(name: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(name, 'utf8'));
  } catch (e) {
    throw new Error(`${name}: cannot read the model config (${(e as Error).message})`);
  }
}

/** `name`: a model name (mobileclip_s0 … mobileclip_blt, MobileCLIP-S1 … MobileCLIP2-L-14), or a path to a config.json / open_clip_config.json. */
export async function resolveSpec(name: string, weights?: StateDict): Promise<ModelSpec> {
  if (name.endsWith('.json')) return modelSpecFromConfig(await readConfigFile(name), weights, name);
  return modelSpec(name);
}

/**
 * Like open_clip's create_model_and_transforms + get_tokenizer. `name`: a model name, an
 * `hf-hub:<org>/<repo>` reference (its open_clip_config.json), or a config.json path.
 */
export async function createModelAndTransforms(name: string, o: NodeCreateOptions = {}): Promise<ModelAndTransforms> {
  const opts: LoadOptions = {
    ...o,
    cache: o.cache === undefined ? new FolderCache() : o.cache,
    offline: o.offline ?? offlineFromEnv(),
    sources: { ...sourcesFromEnv(), ...o.sources },
  };
  return createModel<NodeImageInput>(name, opts, {
    createGpu,
    readImage: readNodeImage,
    readLocal: readBytes,
    readConfig: async (n) => (n.endsWith('.json') ? readConfigFile(n) : null),
  });
}
