/**
 * The nine real OpenCLIP configurations (fixtures/openclip/oc-keys): for each, open_clip's config
 * gives the same spec as our registered name; a checkpoint with exactly the real keys and shapes
 * (zero-filled: shapes are what is checked) builds the full model on the GPU with no missing,
 * unexpected or mis-shaped key, in the training form and (FastViT) the fused form; `identify`
 * names the model and the key format.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { useGpu } from '../helpers/gpu.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { modelSpec } from '../../src/models/model-specs.js';
import { modelSpecFromOpenClip, OPENCLIP_MODEL_NAMES } from '../../src/models/openclip-specs.js';
import { MobileCLIP } from '../../src/api/mobileclip.js';
import type { HostTensor, StateDict, StoredDType } from '../../src/io/host-tensor.js';
import { STORED_BYTES } from '../../src/io/host-tensor.js';
import { numel } from '../../src/runtime/shape.js';
import { identify } from '../../src/models/identify.js';

const g = useGpu();
const DTYPES: Record<string, StoredDType> = { float32: 'F32', int64: 'I64' };

interface KeysFile {
  open_clip_config: object;
  n_tensors: number;
  state_dict: Record<string, { shape: number[]; dtype: string }>;
  reparam_visual_trunk?: { state_dict: Record<string, { shape: number[]; dtype: string }> };
}

/** Zero-filled tensors of the given keys and shapes, all views of one buffer. */
function zeros(entries: [string, { shape: number[]; dtype: string }][]): StateDict {
  const bytes = Math.max(...entries.map(([, e]) => numel(e.shape) * STORED_BYTES[DTYPES[e.dtype]]));
  const buf = new Uint8Array(bytes);
  return new Map(entries.map(([k, e]): [string, HostTensor] => {
    const dtype = DTYPES[e.dtype];
    return [k, { dtype, shape: e.shape, data: buf.subarray(0, numel(e.shape) * STORED_BYTES[dtype]) }];
  }));
}

describe.runIf(haveFixtures())('the nine real OpenCLIP models build from their exact key sets', () => {
  for (const name of OPENCLIP_MODEL_NAMES) {
    it(`${name}`, () => {
      const keys = JSON.parse(readFileSync(fixturePath('openclip', 'oc-keys', `${name}.json`), 'utf8')) as KeysFile;
      const spec = modelSpec(name);
      // The registered name and open_clip's own config describe the same model.
      expect(modelSpecFromOpenClip(keys.open_clip_config, name)).toEqual(spec);
      const training = zeros(Object.entries(keys.state_dict));
      expect(training.size).toBe(keys.n_tensors);
      const forms: [string, StateDict][] = [['training form', training]];
      if (keys.reparam_visual_trunk) {
        const fused = zeros([
          ...Object.entries(keys.reparam_visual_trunk.state_dict).map(([k, e]) => [`visual.trunk.${k}`, e] as [string, { shape: number[]; dtype: string }]),
          ...Object.entries(keys.state_dict).filter(([k]) => !k.startsWith('visual.')),
        ]);
        forms.push(['fused form', fused]);
      }
      for (const [form, sd] of forms) {
        const id = identify(sd);
        expect(id.keys).toBe('openclip');
        expect(id.model, form).toContain(name);
        expect(id.fused, form).toBe(spec.image!.kind === 'mci' ? form === 'fused form' : null);
        const t0 = performance.now();
        const m = new MobileCLIP(g.gpu, spec, sd, null, { source: `${name} (${form})` });
        const live = g.gpu.stats().memory.liveBytes;
        m.dispose();
        console.log(`${name} ${form}: ${sd.size} tensors → built in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(live / 2 ** 20).toFixed(0)} MiB on the GPU; identified as ${id.model}`);
      }
    });
  }
});
