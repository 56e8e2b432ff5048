/** Node entry of the API: model names or config files; checkpoints and vocabularies as paths, URLs, hub references or bytes. */
import { createGpu } from '../backends/webgpu/node.js';
import { availableParallelism } from 'node:os';
import { missingVulkanDriver } from '../backends/webgpu/vulkan-probe.node.js';
import { startCpuThreads } from '../backends/cpu/threads.node.js';
import { type BackendHooks, type Device, checkDevice, chooseBackend } from './backend-choice.js';
import type { Backend } from '../runtime/backend.js';
import { FolderCache } from '../io/byte-cache.node.js';
import type { StateDict } from '../io/host-tensor.js';
import { readBytes, readJsonFile } from '../io/read-file.js';
import type { RgbImage } from '../preprocess/decode.js';
import { type NodeImageInput, readNodeImage } from '../preprocess/image-input.node.js';
import { createModel, type LoadOptions, planModelFiles } from './create.js';
import type { ModelAndTransforms as GenericModelAndTransforms } from './mobileclip.js';
import { type ModelSpec, modelSpec, modelSpecFromConfig } from '../models/model-specs.js';
import { vocabBytes, weightsBytes } from './model-files.js';
import type { Sources } from './sources.js';
import type { DownloadTimeouts } from '../io/download.js';
import { proxyFetchFromEnv } from '../io/proxy-fetch.node.js';
import { nodeHttpGet } from '../io/http-get.node.js';
import type { HttpGet } from '../io/http-get.js';

const withoutUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

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

/** The download sources the environment names (MOBILECLIP_HUB_URL, else huggingface_hub's HF_ENDPOINT (a mirror); MOBILECLIP_APPLE_URL, MOBILECLIP_VOCAB_URL). */
export function sourcesFromEnv(env: NodeJS.ProcessEnv = process.env): Sources {
  return { hubUrl: env.MOBILECLIP_HUB_URL || env.HF_ENDPOINT || undefined, appleUrl: env.MOBILECLIP_APPLE_URL || undefined, vocabUrl: env.MOBILECLIP_VOCAB_URL || undefined };
}

/** Download timeouts from MOBILECLIP_CONNECT_TIMEOUT and MOBILECLIP_IDLE_TIMEOUT (seconds); an error naming the variable for anything but a positive number. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): DownloadTimeouts {
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const s = Number(v);
    if (!(s > 0 && s <= 86_400)) throw new RangeError(`${name}=${v}: expected seconds, a number above 0 and at most 86400`);
    return s * 1000;
  };
  return { connectMs: read('MOBILECLIP_CONNECT_TIMEOUT'), idleMs: read('MOBILECLIP_IDLE_TIMEOUT') };
}

export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MOBILECLIP_OFFLINE === '1' || env.MOBILECLIP_OFFLINE === 'true';
}

async function readConfigFile(name: string): Promise<unknown> {
  try {
    return await readJsonFile(name, 'config');
  } catch (e) {
    throw new Error(`cannot read the model config: ${(e as Error).message}`);
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
  return createModel<NodeImageInput>(name, withNodeDefaults(o), { ...NODE_FILES, ...NODE_BACKENDS, readImage: readNodeImage });
}

/** How Node makes each backend: Dawn for WebGPU, after checking (on Linux) that a Vulkan driver is there. */
const NODE_BACKENDS: BackendHooks = { createGpu, webgpuUnavailable: () => missingVulkanDriver(), webgpuRemedy: 'install a Vulkan driver for WebGPU: mesa-vulkan-drivers on Debian and Ubuntu', cores: () => availableParallelism(), cpuThreads: () => startCpuThreads() };

/** The backend `device` names in Node (backend-choice.ts has the rule for 'auto'); the caller destroys it. */
export function createBackend(device: Device | undefined = deviceFromEnv(), onNotice?: (line: string) => void): Promise<Backend> {
  return chooseBackend(checkDevice(device ?? 'auto'), NODE_BACKENDS, onNotice);
}

/** MOBILECLIP_DEVICE (auto, webgpu or cpu): the device when none is given; checked where it is used. */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): Device | undefined {
  return env.MOBILECLIP_DEVICE ? checkDevice(env.MOBILECLIP_DEVICE, 'MOBILECLIP_DEVICE') : undefined;
}

/** The options as Node fills them in: the folder cache, and the environment's offline flag, sources, timeouts and hub token. */
export function withNodeDefaults<O extends LoadOptions>(o: O): O {
  return {
    ...o,
    cache: o.cache === undefined ? new FolderCache() : o.cache,
    offline: o.offline ?? offlineFromEnv(),
    sources: { ...sourcesFromEnv(), ...o.sources },
    timeouts: { ...withoutUndefined(timeoutsFromEnv()), ...o.timeouts },
    token: o.token ?? (process.env.HF_TOKEN || undefined),
    ...downloadTransport(o.fetch),
    device: o.device ?? deviceFromEnv(),
  };
}

/**
 * How Node downloads: through node:http (a plain stream of Buffers: fetch's WHATWG body cost ~2×
 * curl's time on loopback), unless the caller gives its own fetch or a proxy variable is set (then
 * fetch, through undici's proxy agent).
 */
function downloadTransport(given: typeof fetch | undefined): { fetch?: typeof fetch; get?: HttpGet } {
  const f = given ?? proxyFetchFromEnv();
  return f ? { fetch: f } : { get: nodeHttpGet };
}

/** How Node reads a model's local files: paths, each of its kind's bound (read-file.ts). */
export const NODE_FILES = {
  readLocal: (path: string, what: string) => readBytes(path, what === 'vocab' ? 'vocabulary' : what === 'config' ? 'config' : 'checkpoint'),
  readConfig: async (n: string) => (n.endsWith('.json') ? readConfigFile(n) : null),
};

/**
 * The CLIP vocabulary's bytes as every command finds it: `given` (a file, URL or hf-hub: reference),
 * else the published one, downloaded once into the cache (offline: from the cache only).
 */
export async function vocabularyBytes(given: string | undefined, o: NodeCreateOptions = {}): Promise<{ bytes: Uint8Array; source: string }> {
  return (await vocabBytes(given ?? true, withNodeDefaults(o), NODE_FILES))!;
}

/**
 * Fetches a model's checkpoint and vocabulary into the cache without running it (`mobileclip
 * download`): the files `createModelAndTransforms(name, o)` would download. Returns their URLs and sizes.
 */
export async function downloadModel(name: string, o: NodeCreateOptions = {}): Promise<{ what: string; source: string; bytes: number }[]> {
  const opts = withNodeDefaults(o);
  const { config, model, checkpointLimit } = await planModelFiles(name, opts, NODE_FILES);
  const spec = model ? model.spec : modelSpecFromConfig(config, undefined, name); // a config that does not parse fails before any download
  const w = await weightsBytes(opts.weights, model?.defaultWeights ?? null, spec.name, opts, NODE_FILES, checkpointLimit);
  const v = await vocabBytes(opts.vocab ?? opts.weights === undefined, opts, NODE_FILES);
  return [w, ...(v ? [v] : [])].map((f, i) => ({ what: i === 0 ? 'weights' : 'vocab', source: f.source, bytes: f.bytes.byteLength }));
}
