/**
 * `mobileclip parity <fixture-dir>`: builds the model(s) a reference fixture describes, loads its
 * weights (or another checkpoint form), runs its inputs and compares every tensor of
 * outputs.safetensors this implementation produces, final outputs and intermediates alike.
 */
import { join } from 'node:path';
import { imageAtSize, type TowerSpec, towersFromConfig } from '../models/model-specs.js';
import type { StateDict } from '../io/host-tensor.js';
import { isOpenClipConfig, towersFromOpenClip } from '../models/openclip-specs.js';
import { type ImageSize, toImageSize } from '../preprocess/image-size.js';
import { openClipOutputName } from '../checkpoints/openclip.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../runtime/tensor.js';
import { readCheckpointFile, readJsonFile, readSafetensors } from '../io/read-file.js';
import { l2Normalize } from '../ops/index.js';
import { loadModel } from '../models/load.js';
import { detectFormat } from '../checkpoints/formats.js';
import { compareTensor, type TensorReport } from './compare.js';
import type { StorageDType } from '../runtime/dtype.js';

export interface ParityOptions {
  checkpoint?: string;
  /** Pass when max|Δ| ≤ tol·max|ref| for every tensor (default 1e-4; 3e-2 for f16). */
  tolerance?: number;
  /** GPU storage of weights and activations (default f32). f16 also needs every embedding row's cosine ≥ 0.999. */
  dtype?: StorageDType;
  /** Stored outputs not to compare (exact names, or a prefix ending in `*`); any other one this build does not produce fails. */
  skip?: string[];
  /** Run the image tower at this size (default: the fixture's `fixture.force_image_size`, else its config's). */
  imageSize?: number | readonly [number, number];
}

/** The f16 path's stated bound on embeddings: cosine with the f32 reference, per row. */
export const F16_MIN_COSINE = 0.999;

export interface ParityReport {
  fixture: string;
  checkpoint: string;
  dtype: StorageDType;
  tolerance: number;
  tensors: TensorReport[];
  /** Outputs the fixture stores that this build does not produce (each one fails the check). */
  notProduced: string[];
  /** Outputs left out by `skip`. */
  skipped: string[];
  ok: boolean;
}

export class ParityConfigError extends Error {
  override name = 'ParityConfigError';
}

const ROW_COSINE = /^(image|text)_(features|embeddings)$/;

/**
 * The towers a fixture's config.json describes (open_clip's or the reference's format), at the
 * size it ran at (`size`, else `fixture.force_image_size`, as mobileclip_fixture.py records
 * open_clip's force_image_size), and how to name their outputs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fixtureSpec(config: any, dir: string, sd: StateDict, size?: ImageSize): { spec: TowerSpec; outputName: (ours: string) => string } {
  const where = join(dir, 'config.json');
  const forced = config?.fixture?.force_image_size;
  const runSize = size ?? (forced === undefined || forced === null ? undefined : toImageSize(forced, `${where}: fixture.force_image_size`));
  const sized = <S extends TowerSpec>(s: S): S => (runSize && s.image ? { ...s, image: imageAtSize(s.image, runSize, where) } : s);
  if (isOpenClipConfig(config)) {
    const spec = sized(towersFromOpenClip(config, where));
    return { spec, outputName: (n) => openClipOutputName(n, spec) };
  }
  if (!config?.image_cfg && !config?.text_cfg) throw new ParityConfigError(`${where}: describes no model: neither open_clip's model_cfg nor the reference's image_cfg / text_cfg`);
  return { spec: sized(towersFromConfig(config, sd, dir)), outputName: (n) => n };
}

const skipped = (name: string, skip: readonly string[]) => skip.some((s) => (s.endsWith('*') ? name.startsWith(s.slice(0, -1)) : name === s));

export async function runParity(backend: Backend, dir: string, opts: ParityOptions = {}): Promise<ParityReport> {
  const dtype = opts.dtype ?? 'f32';
  const tol = opts.tolerance ?? (dtype === 'f16' ? 3e-2 : 1e-4);
  const skip = opts.skip ?? [];
  const config = await readJsonFile(join(dir, 'config.json'), 'config');
  const ckptPath = opts.checkpoint ?? join(dir, 'model.safetensors');
  const ckpt = await readCheckpointFile(ckptPath);
  const inputs = await readSafetensors(join(dir, 'inputs.safetensors'));
  const outputs = await readSafetensors(join(dir, 'outputs.safetensors'));
  const { spec, outputName } = fixtureSpec(config, dir, ckpt.stateDict, opts.imageSize === undefined ? undefined : toImageSize(opts.imageSize, 'imageSize'));
  const wanted = new Set(outputs.names.filter((n) => !skipped(n, skip)));
  const produced = new Map<string, Tensor>();
  const capture = (ours: string, t: Tensor) => {
    const name = outputName(ours);
    if (!wanted.has(name) || produced.has(name)) return false;
    produced.set(name, t);
    return true;
  };

  // A timm image-only checkpoint runs the image tower alone: the text outputs then count as not produced (see --skip).
  if (detectFormat(ckpt.stateDict, ckptPath) === 'timm-image') spec.text = null;
  const { store, image, text, clip } = loadModel(backend, spec, ckpt.stateDict, { source: ckptPath, dtype });
  try {
    let imageEmb: Tensor | null = null;
    let textEmb: Tensor | null = null;
    if (image) {
      const x = backend.upload(inputs.float32('image'), inputs.info('image').shape, 'f32', 'image');
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
      capture('logit_scale', backend.upload(Float32Array.of(clip.logitScale), [], 'f32', 'logit_scale'));
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
    const notProduced = [...wanted].filter((n) => !produced.has(n));
    const skippedNames = outputs.names.filter((n) => !wanted.has(n));
    // Not vacuous: nothing compared, or a stored output left uncompared, is a failure.
    const ok = tensors.length > 0 && notProduced.length === 0 && tensors.every((r) => r.ok);
    return { fixture: dir, checkpoint: ckptPath, dtype, tolerance: tol, tensors, notProduced, skipped: skippedNames, ok };
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
  if (r.skipped.length) lines.push('', `skipped (--skip): ${r.skipped.join(', ')}`);
  if (r.notProduced.length) lines.push('', `FAIL: stored but not produced by this build (name them with --skip to leave them out): ${r.notProduced.join(', ')}`);
  const bad = r.tensors.filter((t) => !t.ok).length;
  if (r.tensors.length === 0) lines.push('', 'FAIL: no tensor was compared');
  else lines.push('', r.ok ? `PASS: ${r.tensors.length} tensors within tolerance` : `FAIL: ${bad} of ${r.tensors.length} tensors out of tolerance${r.notProduced.length ? `, ${r.notProduced.length} not produced` : ''}`);
  return lines.join('\n');
}
