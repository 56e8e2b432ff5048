/**
 * OpenCLIP / timm checkpoints (fixtures/openclip): the FastViT towers of MobileCLIP-S1/S2 and
 * MobileCLIP2-S0/S2 (oc-mci-tiny) and MobileCLIP2-S3/S4 (oc-mci3-tiny: five stages, LayerNorm2d in
 * the attention blocks, a stem without scale branches), the MCi ViT of MobileCLIP-B / MobileCLIP2-B
 * (oc-vit-mci-tiny: stem padding 0, LayerNorm eps 1e-6, causal text) and ViT-L/14 (oc-vit-l14-tiny:
 * patch conv without bias, class-token positional row, norm_pre), each with open_clip's text tower,
 * from the un-fused and (FastViT) the fused file: every stored tensor within 1e-4·max|ref| (the
 * fixture README's bound), embeddings within cosine 1 − 1e-6, the unclamped logit scale to 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { useGpu } from '../helpers/gpu.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { formatParity, runParity } from '../../src/parity/parity.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { modelSpecFromOpenClip } from '../../src/models/openclip-specs.js';
import { adaptCheckpoint, detectFormat } from '../../src/checkpoints/formats.js';

const g = useGpu();

describe.runIf(haveFixtures())('OpenCLIP-format models match open_clip + timm', () => {
  for (const fixture of ['oc-mci-tiny', 'oc-mci3-tiny', 'oc-vit-mci-tiny', 'oc-vit-l14-tiny']) {
    // The ViT towers have nothing to fuse: their fixtures store one file.
    for (const file of fixture.includes('vit') ? ['model.safetensors'] : ['model.safetensors', 'model.reparam.safetensors']) {
      it(`${fixture} from ${file}: every stored output and intermediate`, async () => {
        const dir = fixturePath('openclip', fixture);
        const r = await runParity(g.gpu, dir, { checkpoint: fixturePath('openclip', fixture, file) });
        console.log(formatParity(r));
        const outputs = await readSafetensors(fixturePath('openclip', fixture, 'outputs.safetensors'));
        // Every stored tensor compared, none left out.
        expect(r.tensors.map((t) => t.name).sort()).toEqual([...outputs.names].sort());
        expect(r.notProduced).toEqual([]);
        for (const t of r.tensors) {
          expect(t.rel, `${t.name}: rel ${t.rel}`).toBeLessThanOrEqual(t.name === 'logit_scale' ? 1e-6 : 1e-4);
          if (t.minCosine !== undefined) expect(1 - t.minCosine, `${t.name} cosine`).toBeLessThanOrEqual(1e-6);
        }
        expect(r.ok).toBe(true);
      });
    }
  }

  it("oc-mci3-tiny's logit scale is open_clip's unclamped exp(4.864) = 129.49, not Apple's 100", async () => {
    const r = await runParity(g.gpu, fixturePath('openclip', 'oc-mci3-tiny'));
    const ref = (await readSafetensors(fixturePath('openclip', 'oc-mci3-tiny', 'outputs.safetensors'))).float32('logit_scale')[0];
    expect(ref).toBeGreaterThan(100);
    expect(r.tensors.find((t) => t.name === 'logit_scale')!.maxAbs).toBe(0);
  });

  it('format detection names what it saw; an Apple config with an OpenCLIP file is refused by name', async () => {
    const st = await readSafetensors(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'));
    expect(detectFormat(st.toStateDict(), 'x')).toBe('openclip');
    const apple = await readSafetensors(fixturePath('mci-tiny', 'model.safetensors'));
    expect(detectFormat(apple.toStateDict(), 'x')).toBe('apple');
    expect(() => detectFormat(new Map([['foo.bar', apple.toStateDict().values().next().value!]]), 'odd.safetensors')).toThrow(/odd\.safetensors: not a checkpoint format this library reads \(keys like foo\.bar\)/);
    const spec = modelSpecFromOpenClip(JSON.parse(readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8')), 'oc-mci-tiny');
    expect(() => adaptCheckpoint(apple.toStateDict(), spec, 'mci-tiny.safetensors')).toThrow(/mci-tiny\.safetensors: the checkpoint is in the Apple's MobileCLIP .* format, but oc-mci-tiny is described as OpenCLIP/);
    // A key the adapter does not know is named in the hub's spelling.
    const sd = st.toStateDict();
    sd.set('visual.trunk.stages.9.blocks.0.mlp.fc1.weight', sd.get('logit_scale')!);
    expect(() => adaptCheckpoint(sd, spec, 'extra.safetensors')).toThrow(/extra\.safetensors: 1 key the oc-mci-tiny OpenCLIP model does not have:\n {2}visual\.trunk\.stages\.9\.blocks\.0\.mlp\.fc1\.weight/);
    // A timm image-only file (no visual.trunk. prefix) has its unknown key named as it spells it.
    const timm = new Map([...sd].filter(([k]) => k.startsWith('visual.trunk.')).map(([k, t]) => [k.slice('visual.trunk.'.length), t]));
    expect(() => adaptCheckpoint(timm, { ...spec, text: null }, 'timm.safetensors')).toThrow(/timm\.safetensors: 1 key the oc-mci-tiny OpenCLIP model does not have:\n {2}stages\.9\.blocks\.0\.mlp\.fc1\.weight$/);
  });
});

describe.runIf(haveFixtures())('a timm image-only checkpoint (no visual.trunk. prefix, no text tower)', () => {
  it('runs the image tower through parity; the text outputs must be skipped by name', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeSafetensors } = await import('../../src/io/safetensors.js');
    const dir = mkdtempSync(join(tmpdir(), 'mc-timm-'));
    try {
      const st = await readSafetensors(fixturePath('openclip', 'oc-mci3-tiny', 'model.safetensors'));
      const trunk = new Map([...st.toStateDict()].filter(([k]) => k.startsWith('visual.trunk.')).map(([k, t]) => [k.slice('visual.trunk.'.length), t]));
      const file = join(dir, 'timm_fastvit.safetensors');
      writeFileSync(file, writeSafetensors(trunk));
      expect(detectFormat(trunk, file)).toBe('timm-image');
      const dirFixture = fixturePath('openclip', 'oc-mci3-tiny');
      const strict = await runParity(g.gpu, dirFixture, { checkpoint: file });
      expect(strict.ok).toBe(false);
      expect(strict.notProduced).toContain('text_embeddings');
      const r = await runParity(g.gpu, dirFixture, { checkpoint: file, skip: ['text*', 'logit_scale', 'logits_per_image'] });
      console.log(formatParity(r));
      expect(r.ok).toBe(true);
      expect(r.tensors.map((t) => t.name)).toContain('image_embeddings');
      expect(r.tensors.every((t) => t.name.startsWith('image'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
