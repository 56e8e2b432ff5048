/**
 * Re-parameterisation against PyTorch's own `reparameterize_model`: fusing each fixture's
 * training-form state dict must give the tensors of its model.reparam.safetensors, same key set,
 * each within 1e-5·max|ref|.
 */
import { describe, expect, it } from 'vitest';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { diff, fmtDiff } from '../helpers/compare.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { hasTrainingBranches, reparameterizeStateDict } from '../../src/layers/reparam.js';
import { isFloat, toFloat32, float32Tensor, type StateDict } from '../../src/io/host-tensor.js';

const fused = ['mci-tiny', 'text-mct-tiny', 'clip-tiny'];

describe.runIf(haveFixtures())('reparameterisation vs PyTorch', () => {
  for (const name of fused) {
    for (const file of ['model.safetensors', 'model.pt']) {
      it(`${name}/${file} fuses to model.reparam.safetensors`, async () => {
        const train = (await readCheckpointFile(fixturePath(name, file))).stateDict;
        const ref = (await readCheckpointFile(fixturePath(name, 'model.reparam.safetensors'))).stateDict;
        expect(hasTrainingBranches(train)).toBe(true);
        expect(hasTrainingBranches(ref)).toBe(false);
        const { stateDict: got, fused } = reparameterizeStateDict(train);
        expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
        let worst = { rel: 0, key: '' };
        for (const [k, r] of ref) {
          const g = got.get(k)!;
          expect(g.shape, k).toEqual(r.shape);
          if (!isFloat(r)) continue;
          const d = diff(toFloat32(g), toFloat32(r));
          if (d.rel > worst.rel) worst = { rel: d.rel, key: `${k}: ${fmtDiff(d)}` };
          expect(d.rel, `${k}: ${fmtDiff(d)}`).toBeLessThanOrEqual(1e-5);
        }
        console.log(
          `${name}/${file}: fused ${fused.mobileOne.length} MobileOne, ${fused.repMixer.length} RepMixer, ${fused.largeKernel.length} large-kernel, ${fused.repCpe.length} RepCPE; worst ${worst.key || 'exact'}`,
        );
      });
    }
  }

  it('a fused state dict passes through unchanged', async () => {
    const ref = (await readCheckpointFile(fixturePath('mci-tiny', 'model.reparam.safetensors'))).stateDict;
    const { stateDict, fused } = reparameterizeStateDict(ref);
    expect(Object.values(fused).flat()).toEqual([]);
    expect([...stateDict.keys()]).toEqual([...ref.keys()]);
  });

  it('a training group with a missing branch tensor is an error naming every missing key', async () => {
    const train = (await readCheckpointFile(fixturePath('mci-tiny', 'model.safetensors'))).stateDict;
    const broken: StateDict = new Map(train);
    broken.delete('image_encoder.model.patch_embed.0.rbr_scale.bn.running_var');
    broken.delete('image_encoder.model.patch_embed.0.rbr_conv.0.bn.bias');
    expect(() => reparameterizeStateDict(broken)).toThrow(
      /MobileOneBlock image_encoder\.model\.patch_embed\.0: missing image_encoder\.model\.patch_embed\.0\.rbr_conv\.0\.bn\.bias, image_encoder\.model\.patch_embed\.0\.rbr_scale\.bn\.running_var/,
    );
    const wrong: StateDict = new Map(train);
    wrong.set('image_encoder.model.patch_embed.0.rbr_scale.bn.weight', float32Tensor(new Float32Array(3), [3]));
    expect(() => reparameterizeStateDict(wrong)).toThrow(/rbr_scale.bn.bias has shape \[\d+\], .*weight has 3 channels/);
  });
});
