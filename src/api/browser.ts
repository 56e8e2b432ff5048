/** Browser entry of the API: checkpoint and vocabulary from URLs or bytes. */
import { createGpu } from '../gpu/browser.js';
import type { Gpu } from '../gpu/gpu.js';
import { createFromBytes, type MobileCLIP } from './mobileclip.js';
import { modelSpec, modelSpecFromConfig } from './model-specs.js';

async function bytesOf(src: string | Uint8Array | ArrayBuffer, what: string): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  const r = await fetch(src);
  if (!r.ok) throw new Error(`${what}: ${src} answered HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export async function createModelAndTransforms(
  name: string | object,
  o: { weights: string | Uint8Array | ArrayBuffer; vocab?: string | Uint8Array | ArrayBuffer; gpu?: Gpu; dtype?: 'f32' | 'f16' },
): Promise<{ model: MobileCLIP; dispose: () => void }> {
  const spec = typeof name === 'string' ? modelSpec(name) : modelSpecFromConfig(name);
  const [weights, vocab] = await Promise.all([bytesOf(o.weights, 'weights'), o.vocab ? bytesOf(o.vocab, 'vocab') : undefined]);
  const gpu = o.gpu ?? (await createGpu());
  const model = createFromBytes({ gpu, spec, weights, vocab, source: typeof o.weights === 'string' ? o.weights : 'weights', dtype: o.dtype });
  return { model, dispose: () => (model.dispose(), o.gpu ? undefined : gpu.destroy()) };
}
