/**
 * The one loading path: a model description and its weights → GPU weights and built towers. The
 * checkpoint's key format is detected and mapped by its adapter (src/checkpoints/), the towers are
 * built from the spec (towers.ts), and every key is accounted for (missing, unexpected, mis-shaped,
 * in one error). The model API, parity, `mobileclip bench` and bench/profile.ts all load here;
 * `weights: 'synthetic'` gives seeded random weights of the real shapes (benchmarks).
 */
import type { TowerSpec } from './spec-types.js';
import { adaptCheckpoint, CheckpointFormatError } from '../checkpoints/formats.js';
import type { Backend } from '../runtime/backend.js';
import type { StateDict } from '../io/host-tensor.js';
import { WeightLoadError, WeightStore } from '../layers/weights.js';
import { identify, suggestOption } from './identify.js';
import { buildTowers, type Towers } from './towers.js';
import type { StorageDType } from '../runtime/dtype.js';

export interface LoadOptions {
  /** Names the checkpoint in errors. */
  source?: string;
  dtype?: StorageDType;
  allowNonFinite?: boolean;
  /** Seed of synthetic weights. */
  seed?: number;
  /** Check the text tower's keys now, build it at its first use (towers.ts). */
  deferText?: boolean;
}

export interface LoadedModel extends Towers {
  /** Owns every GPU weight: dispose() frees them. */
  store: WeightStore;
}

export function loadModel(backend: Backend, spec: TowerSpec, weights: StateDict | 'synthetic', o: LoadOptions = {}): LoadedModel {
  const dtype = o.dtype ?? 'f32';
  if (weights === 'synthetic') {
    const store = WeightStore.synthetic(backend, o.seed ?? 1, dtype);
    try {
      return { store, ...buildTowers(store, spec) };
    } catch (e) {
      store.dispose();
      throw e;
    }
  }
  const source = o.source ?? 'checkpoint';
  const context = () => {
    const id = identify(weights);
    return { model: spec.name, looksLike: id.model, suggestion: suggestOption(id, spec.name) ?? undefined };
  };
  let adapted: StateDict;
  try {
    adapted = adaptCheckpoint(weights, spec, source);
  } catch (e) {
    // Keys the model's layout has no place for (another model's stages, say): the same one-screen report.
    if (!(e instanceof CheckpointFormatError) || e.unknownKeys.length === 0) throw e;
    const shapes = new Map(e.unknownKeys.map((k) => [k, weights.get(k)?.shape ?? []] as const));
    throw new WeightLoadError({ source, missing: [], unexpected: e.unknownKeys, mismatched: [], shapes, ...context() });
  }
  const store = new WeightStore(backend, adapted, source, dtype, o.allowNonFinite);
  try {
    const towers = buildTowers(store, spec, { deferText: o.deferText });
    // A one-tower spec may load from a full CLIP checkpoint: only its tower's keys must all be used.
    // (The spec, not the towers, says which there are: reading a deferred text tower builds it.)
    store.finish(spec.image && spec.text ? undefined : [...(spec.image ? ['image_encoder.'] : []), ...(spec.text ? ['text_encoder.'] : [])]);
    return Object.assign(towers, { store });
  } catch (e) {
    store.dispose();
    if (!(e instanceof WeightLoadError)) throw e;
    // Say what the file is instead, and what would load it (what `mobileclip info` says of it).
    throw e.withContext(context());
  }
}
