/** Node entry of the API: model names or config files, checkpoint and vocabulary paths. */
import { readFile } from 'node:fs/promises';
import { createGpu } from '../gpu/node.js';
import type { Gpu } from '../gpu/gpu.js';
import type { StateDict } from '../io/host-tensor.js';
import { readCheckpointFile, loadTokenizer } from '../io/read-file.js';
import type { RgbImage } from '../preprocess/decode.js';
import { type NodeImageInput, readNodeImage } from '../preprocess/image-input.node.js';
import { MobileCLIP, type ModelAndTransforms as GenericModelAndTransforms, withTransforms } from './mobileclip.js';
import { type ModelSpec, modelSpec, modelSpecFromConfig } from './model-specs.js';

export type { NodeImageInput };

export interface NodeCreateOptions {
  /** Path to the checkpoint (.pt or .safetensors). */
  weights: string;
  /** Path to bpe_simple_vocab_16e6.txt.gz (needed for text). */
  vocab?: string;
  gpu?: Gpu;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32). */
  dtype?: 'f32' | 'f16';
  /** Load a checkpoint with NaN or ±Inf values instead of refusing it (embeddings are still checked). */
  allowNonFinite?: boolean;
  /** Gather a .pt's expanded / stride-0 views past the reader's memory bound (see CheckpointReadOptions). */
  allowExpandedTensors?: boolean;
}

/** Every Node image input: paths, file:/http(s): URLs, PNG/JPEG bytes, decoded pixels. */
export type ModelAndTransforms = GenericModelAndTransforms<NodeImageInput>;

/** Reads and decodes a PNG or JPEG file as PIL's `Image.open(path).convert('RGB')` does. */
export async function readImageFile(path: string): Promise<RgbImage> {
  return readNodeImage(path, path);
}

/** `name`: a model name (mobileclip_s0 … mobileclip_blt, MobileCLIP-S1 … MobileCLIP2-L-14), or a path to a config.json / open_clip_config.json. */
export async function resolveSpec(name: string, weights?: StateDict): Promise<ModelSpec> {
  if (name.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(name, 'utf8'));
    } catch (e) {
      throw new Error(`${name}: cannot read the model config (${(e as Error).message})`);
    }
    return modelSpecFromConfig(json, weights, name);
  }
  return modelSpec(name);
}

/** Like the reference's create_model_and_transforms + get_tokenizer. */
export async function createModelAndTransforms(name: string, o: NodeCreateOptions): Promise<ModelAndTransforms> {
  // A model name is checked before the (possibly large) checkpoint is read; a config may need its weights.
  const named = name.endsWith('.json') ? null : modelSpec(name);
  const ck = await readCheckpointFile(o.weights, { allowExpandedTensors: o.allowExpandedTensors });
  const spec = named ?? (await resolveSpec(name, ck.stateDict));
  const tokenizer = o.vocab ? await loadTokenizer(o.vocab) : null;
  const gpu = o.gpu ?? (await createGpu());
  return withTransforms(gpu, !o.gpu, () => new MobileCLIP(gpu, spec, ck.stateDict, tokenizer, { source: o.weights, dtype: o.dtype, readImage: readNodeImage, allowNonFinite: o.allowNonFinite }));
}
