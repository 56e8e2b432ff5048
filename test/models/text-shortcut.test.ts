/**
 * The exact shortcuts of the text towers: a causal tower computes only the positions up to the
 * batch's last end of text, and a tower ending in a transformer layer runs that layer's attention
 * output, FFN and final norm for the pooled row only. Against the full run (same weights, same
 * ids) and against the fixtures' reference outputs, for open_clip's causal tower (oc-vit-mci-tiny,
 * MobileCLIP-B's layout) through the model API and Apple's towers (causal, base, per-layer, mct)
 * through the tower.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { useGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/compare.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { readCheckpointFile, readSafetensors } from '../../src/io/read-file.js';
import { modelSpecFromConfig } from '../../src/models/model-specs.js';
import { MobileCLIP } from '../../src/api/mobileclip.js';
import { loadModel } from '../../src/models/load.js';
import { textConfigFromJson } from '../../src/models/text-config.js';

const g = useGpu();

/** An Apple-format text fixture's tower, loaded alone (the caller disposes the store). */
async function textTower(fixture: string) {
  const dir = fixturePath(fixture);
  const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  const ck = await readCheckpointFile(`${dir}/model.safetensors`);
  return { dir, config, ...loadModel(g.gpu, { name: fixture, image: null, text: textConfigFromJson(config) }, ck.stateDict) };
}

describe.runIf(haveFixtures())('causal text towers: the shortcut equals the full run', () => {
  it('oc-vit-mci-tiny through MobileCLIP.encodeTokens: rows of 13, 77 and 4 tokens, one by one and as a batch', async () => {
    const dir = fixturePath('openclip', 'oc-vit-mci-tiny');
    const spec = modelSpecFromConfig(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')), undefined, 'oc-vit-mci-tiny');
    expect(spec.text.causal).toBe(true);
    const ck = await readCheckpointFile(`${dir}/model.safetensors`);
    const m = new MobileCLIP(g.gpu, spec, ck.stateDict, null, { source: 'oc-vit-mci-tiny' });
    try {
      const ids = (await readSafetensors(`${dir}/inputs.safetensors`)).int32('text');
      const ref = (await readSafetensors(`${dir}/outputs.safetensors`)).float32('text_embeddings');
      m.exactShortcuts = false;
      const full = await m.encodeTokens(ids, 3, { batchSize: 1 });
      const plansFull = m.recordedForwards;
      m.exactShortcuts = true;
      const short = await m.encodeTokens(ids, 3, { batchSize: 1 });
      // Rows of 13 and 4 tokens ran 16 and 8 positions, the 77-token row the full length with the pooled tail: three new plans.
      expect(m.recordedForwards - plansFull).toBe(3);
      expectClose('shortcut vs full run (batch 1)', short.data, full.data, { rel: 1e-6 });
      expectClose('shortcut vs open_clip', short.data, ref, { rel: 1e-4 });
      const two = await m.encodeTokens(Int32Array.from([...ids.subarray(0, 77), ...ids.subarray(154, 231)]), 2);
      expectClose('shortcut, batch of the 13- and 4-token rows (16 positions)', two.data, Float32Array.from([...full.data.subarray(0, 48), ...full.data.subarray(96, 144)]), { rel: 1e-6 });
    } finally {
      m.dispose();
    }
  });

  it("Apple's text-causal-tiny through the tower: the prefix run of each row equals the full run and the reference", async () => {
    const { dir, store, text } = await textTower('text-causal-tiny');
    try {
      const inputs = await readSafetensors(`${dir}/inputs.safetensors`);
      const [b, ctx] = inputs.info('text').shape;
      const ids = inputs.int32('text');
      const ref = (await readSafetensors(`${dir}/outputs.safetensors`)).float32('text_features');
      const dim = ref.length / b;
      for (let r = 0; r < b; r++) {
        const row = ids.subarray(r * ctx, (r + 1) * ctx);
        const p = text!.causalPrefix(row, 1)!;
        const fullT = text!.forward(row, [1, ctx]);
        const head = g.gpu.upload(row.slice(0, p), [1, p], 'i32');
        const shortT = text!.forwardIds(head, undefined, { prefix: true });
        const [full, short] = [await fullT.readFloat(), await shortT.readFloat()];
        console.log(`row ${r}: ${p} of ${ctx} positions`);
        expectClose(`row ${r} prefix vs full`, short, full, { rel: 1e-6 });
        expectClose(`row ${r} prefix vs reference`, short, ref.subarray(r * dim, (r + 1) * dim), { rel: 1e-4 });
        for (const t of [fullT, head, shortT]) t.dispose();
      }
    } finally {
      store.dispose();
    }
  });

  it('a non-causal tower has no shortcut and refuses a prefix run', async () => {
    const { store, text } = await textTower('text-base-tiny');
    try {
      expect(text!.causalPrefix(new Int32Array(77), 1)).toBeNull();
      const ids = g.gpu.upload(new Int32Array(8), [1, 8], 'i32');
      expect(() => text!.forwardIds(ids, undefined, { prefix: true })).toThrow(/a prefix of the context is exact only for a causal base tower/);
      ids.dispose();
    } finally {
      store.dispose();
    }
  });

  for (const fixture of ['text-base-tiny', 'text-perlayer-tiny', 'text-causal-tiny', 'text-mct-tiny']) {
    it(`${fixture}: the last layer for the pooled row only equals the full last layer and the reference`, async () => {
      const { dir, config, store, text } = await textTower(fixture);
      try {
        const inputs = await readSafetensors(`${dir}/inputs.safetensors`);
        const [b, ctx] = inputs.info('text').shape;
        const ids = text!.uploadIds(inputs.int32('text'), [b, ctx]);
        const ref = (await readSafetensors(`${dir}/outputs.safetensors`)).float32('text_features');
        const fullT = text!.forwardIds(ids);
        const tailT = text!.forwardIds(ids, undefined, { pooledTail: true });
        const [full, tail] = [await fullT.readFloat(), await tailT.readFloat()];
        for (const t of [ids, fullT, tailT]) t.dispose();
        if (config.text_cfg.model_name === 'mct') {
          // The mct tower ends in a RepMixer block: nothing to skip, the same run bit for bit.
          expect(Array.from(tail)).toEqual(Array.from(full));
        } else expectClose(`${fixture} pooled tail vs full last layer`, tail, full, { rel: 1e-6 });
        expectClose(`${fixture} pooled tail vs reference`, tail, ref, { rel: 1e-4 });
      } finally {
        store.dispose();
      }
    });
  }

  it('the pooled tail is off under a capture (every row of the last layer is an intermediate)', async () => {
    const { config, store, text } = await textTower('text-base-tiny');
    try {
      const ids = text!.uploadIds(new Int32Array(77).fill(5), [1, 77]);
      const seen: string[] = [];
      const y = text!.forwardIds(ids, (name) => (seen.push(name), false), { pooledTail: true });
      expect(seen).toContain('text.final_layer_norm');
      expect(seen).toContain(`text.layer.${config.text_cfg.n_transformer_layers - 1}`);
      for (const t of [ids, y]) t.dispose();
    } finally {
      store.dispose();
    }
  });
});
