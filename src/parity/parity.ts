/**
 * `mobileclip parity <fixture-dir>`: builds the model(s) a reference fixture describes, loads its
 * weights (or another checkpoint form), runs its inputs and compares every tensor of
 * outputs.safetensors this implementation produces, final outputs and intermediates alike.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpu } from '../gpu/gpu.js';
import type { Tensor } from '../gpu/tensor.js';
import { readCheckpointFile, readSafetensors } from '../io/read-file.js';
import { l2Normalize } from '../kernels/l2-normalize.js';
import { WeightStore } from '../layers/weights.js';
import { MCi } from '../models/mci.js';
import { mciConfigFromJson } from '../models/mci-config.js';
import { TextTransformer } from '../models/text-transformer.js';
import { textConfigFromJson } from '../models/text-config.js';
import { CLIP } from '../models/clip.js';
import { VisionTransformer } from '../models/vit.js';
import { vitConfigFromJson } from '../models/vit-config.js';
import { compareTensor, type TensorReport } from './compare.js';

export interface ParityOptions {
  checkpoint?: string;
  /** Pass when max|Δ| ≤ tol·max|ref| for every tensor (default 1e-4; 3e-2 for f16). */
  tolerance?: number;
  /** GPU storage of weights and activations (default f32). f16 also needs every embedding row's cosine ≥ 0.999. */
  dtype?: 'f32' | 'f16';
}

/** The f16 path's stated bound on embeddings: cosine with the f32 reference, per row. */
export const F16_MIN_COSINE = 0.999;

export interface ParityReport {
  fixture: string;
  checkpoint: string;
  dtype: 'f32' | 'f16';
  tolerance: number;
  tensors: TensorReport[];
  /** Outputs the fixture stores that this build does not produce (yet). */
  notProduced: string[];
  ok: boolean;
}

const ROW_COSINE = /^(image|text)_(features|embeddings)$/;

export async function runParity(gpu: Gpu, dir: string, opts: ParityOptions = {}): Promise<ParityReport> {
  const dtype = opts.dtype ?? 'f32';
  const tol = opts.tolerance ?? (dtype === 'f16' ? 3e-2 : 1e-4);
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const ckptPath = opts.checkpoint ?? join(dir, 'model.safetensors');
  const ckpt = await readCheckpointFile(ckptPath);
  const inputs = await readSafetensors(join(dir, 'inputs.safetensors'));
  const outputs = await readSafetensors(join(dir, 'outputs.safetensors'));
  const wanted = new Set(outputs.names);
  const produced = new Map<string, Tensor>();
  const capture = (name: string, t: Tensor) => {
    if (!wanted.has(name) || produced.has(name)) return false;
    produced.set(name, t);
    return true;
  };

  const store = new WeightStore(gpu, ckpt.stateDict, ckptPath, dtype);
  try {
    const isVit = config.image_cfg && (config.image_cfg.vit || config.image_cfg.model_name === 'vit_b16');
    const image = !config.image_cfg ? null : isVit ? new VisionTransformer(store, vitConfigFromJson(config, ckpt.stateDict)) : new MCi(store, mciConfigFromJson(config));
    const text = config.text_cfg ? new TextTransformer(store, textConfigFromJson(config)) : null;
    const clip = image && text ? new CLIP(store, image, text) : null;
    store.finish(clip ? undefined : [...(image ? ['image_encoder.'] : []), ...(text ? ['text_encoder.'] : [])]);
    let imageEmb: Tensor | null = null;
    let textEmb: Tensor | null = null;
    if (image) {
      const x = gpu.upload(inputs.float32('image'), inputs.info('image').shape, 'f32', 'image');
      const features = image.forward(x, capture);
      x.dispose();
      capture('image_features', features);
      imageEmb = l2Normalize(features);
      capture('image_embeddings', imageEmb);
    }
    if (text) {
      const ids = inputs.int32('text');
      const [b, l] = inputs.info('text').shape;
      const features = text.forward(ids, [b, l], capture);
      capture('text_features', features);
      textEmb = l2Normalize(features);
      capture('text_embeddings', textEmb);
    }
    if (clip && imageEmb && textEmb) {
      capture('logits_per_image', clip.logits(imageEmb, textEmb));
      capture('logit_scale', gpu.upload(Float32Array.of(clip.logitScale), [], 'f32', 'logit_scale'));
    }
    const tensors: TensorReport[] = [];
    for (const name of outputs.names) {
      const t = produced.get(name);
      if (!t) continue;
      const ref = outputs.float32(name);
      const refShape = outputs.info(name).shape;
      let got = await t.readFloat();
      // Fixtures may store intermediates for the first batch element only.
      if (got.length !== ref.length && refShape[0] < t.shape[0]) got = got.subarray(0, ref.length);
      const r = compareTensor(name, refShape, got, ref, tol, ROW_COSINE.test(name) ? refShape[0] : undefined);
      if (dtype === 'f16' && /_embeddings$/.test(name) && !((r.minCosine ?? 0) >= F16_MIN_COSINE)) r.ok = false;
      tensors.push(r);
    }
    const notProduced = outputs.names.filter((n) => !produced.has(n));
    return { fixture: dir, checkpoint: ckptPath, dtype, tolerance: tol, tensors, notProduced, ok: tensors.length > 0 && tensors.every((r) => r.ok) };
  } finally {
    for (const t of produced.values()) t.dispose();
    store.dispose();
  }
}

export function formatParity(r: ParityReport): string {
  const bound = `tolerance max|Δ| ≤ ${r.tolerance}·max|ref|${r.dtype === 'f16' ? `, embedding cosine ≥ ${F16_MIN_COSINE} (f16 storage)` : ''}`;
  const lines = [`fixture ${r.fixture}`, `weights ${r.checkpoint}${r.dtype === 'f16' ? ' as f16' : ''}`, bound, ''];
  const w = Math.max(...r.tensors.map((t) => t.name.length), 6);
  lines.push(`${'tensor'.padEnd(w)}  ${'shape'.padEnd(18)}  ${'max|Δ|'.padStart(9)}  ${'rel'.padStart(9)}  ${'1-cosine'.padStart(9)}  ok`);
  for (const t of r.tensors) {
    lines.push(
      `${t.name.padEnd(w)}  ${JSON.stringify(t.shape).padEnd(18)}  ${t.maxAbs.toExponential(2).padStart(9)}  ${t.rel.toExponential(2).padStart(9)}  ${(t.minCosine !== undefined ? (1 - t.minCosine).toExponential(1) : '-').padStart(9)}  ${t.ok ? 'ok' : 'FAIL'}`,
    );
  }
  if (r.notProduced.length) lines.push('', `not produced by this build: ${r.notProduced.join(', ')}`);
  lines.push('', r.ok ? `PASS: ${r.tensors.length} tensors within tolerance` : `FAIL: ${r.tensors.filter((t) => !t.ok).length} of ${r.tensors.length} tensors out of tolerance`);
  return lines.join('\n');
}
