/** Node entry of the API: model names or config files, checkpoint and vocabulary paths. */
import { readFile } from 'node:fs/promises';
import { createGpu } from '../gpu/node.js';
import type { Gpu } from '../gpu/gpu.js';
import { readBytes, readCheckpointFile, loadTokenizer } from '../io/read-file.js';
import { decodeImage, type RgbImage } from '../preprocess/decode.js';
import { preprocessRgb } from '../preprocess/transform.js';
import type { SimpleTokenizer } from '../tokenizer/simple-tokenizer.js';
import { MobileCLIP } from './mobileclip.js';
import { type ModelSpec, modelSpec, modelSpecFromConfig } from './model-specs.js';

export interface NodeCreateOptions {
  /** Path to the checkpoint (.pt or .safetensors). */
  weights: string;
  /** Path to bpe_simple_vocab_16e6.txt.gz (needed for text). */
  vocab?: string;
  gpu?: Gpu;
  /** 'f16' stores weights and activations as f16 (needs shader-f16; arithmetic stays f32). */
  dtype?: 'f32' | 'f16';
}

export interface ModelAndTransforms {
  model: MobileCLIP;
  /** Image file path or bytes → model input [3, S, S]. */
  preprocess: (image: string | Uint8Array | RgbImage) => Promise<Float32Array>;
  tokenizer: SimpleTokenizer | null;
  /** Destroys the model and, if this call created it, the GPU. */
  dispose: () => void;
}

export async function readImageFile(path: string): Promise<RgbImage> {
  return decodeImage(await readBytes(path), path);
}

/** `name`: mobileclip_s0 | s1 | s2 | b | blt, or a path to a reference config.json. */
export async function resolveSpec(name: string, weights?: import('../io/host-tensor.js').StateDict): Promise<ModelSpec> {
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
  const ck = await readCheckpointFile(o.weights);
  const spec = await resolveSpec(name, ck.stateDict);
  const tokenizer = o.vocab ? await loadTokenizer(o.vocab) : null;
  const gpu = o.gpu ?? (await createGpu());
  let model: MobileCLIP;
  try {
    model = new MobileCLIP(gpu, spec, ck.stateDict, tokenizer, o.weights, o.dtype);
  } catch (e) {
    if (!o.gpu) gpu.destroy();
    throw e;
  }
  return {
    model,
    tokenizer,
    preprocess: async (image) => {
      const rgb = typeof image === 'string' ? await readImageFile(image) : image instanceof Uint8Array ? await decodeImage(image) : image;
      return preprocessRgb(rgb, spec.imageSize).tensor;
    },
    dispose: () => {
      model.dispose();
      if (!o.gpu) gpu.destroy();
    },
  };
}
