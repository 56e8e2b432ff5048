/**
 * `mobileclip parity` cannot pass vacuously: a config it cannot build is an error, a stored output
 * the build does not produce fails (unless named with --skip), and comparing nothing fails.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { float32Tensor } from '../../src/io/host-tensor.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of text-base-tiny whose outputs are `edit`ed. */
async function fixtureWith(name: string, edit: (outputs: Map<string, ReturnType<typeof float32Tensor>>) => void): Promise<string> {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  const src = fixturePath('text-base-tiny');
  (await import('node:fs')).mkdirSync(d);
  for (const f of ['config.json', 'model.safetensors', 'inputs.safetensors']) copyFileSync(join(src, f), join(d, f));
  const st = await readSafetensors(join(src, 'outputs.safetensors'));
  const outputs = new Map(st.names.map((n) => [n, float32Tensor(st.float32(n), st.info(n).shape)]));
  edit(outputs);
  writeFileSync(join(d, 'outputs.safetensors'), writeSafetensors(outputs));
  return d;
}

describe.runIf(haveFixtures())('parity is never vacuous', () => {
  it('a config it cannot build is an error (exit 1), naming what is unsupported', async () => {
    const convnext = join(dir, 'convnext');
    (await import('node:fs')).mkdirSync(convnext, { recursive: true });
    for (const f of ['model.safetensors', 'inputs.safetensors', 'outputs.safetensors']) copyFileSync(fixturePath('openclip', 'oc-mci-tiny', f), join(convnext, f));
    const cfg = JSON.parse(readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8'));
    cfg.model_cfg.vision_cfg.timm_model_class = 'ConvNeXt';
    writeFileSync(join(convnext, 'config.json'), JSON.stringify(cfg));
    const r = await runCli('parity', convnext);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/convnext\/config\.json: image tower "ConvNeXt" is not supported \(registered: fastvit_mci0, .*vit_large_patch14_clip_224/);
    const empty = join(dir, 'empty');
    (await import('node:fs')).mkdirSync(empty, { recursive: true });
    for (const f of ['model.safetensors', 'inputs.safetensors', 'outputs.safetensors']) copyFileSync(fixturePath('text-base-tiny', f), join(empty, f));
    writeFileSync(join(empty, 'config.json'), '{"embed_dim": 8}');
    const e = await runCli('parity', empty);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/empty\/config\.json: describes no model/);
  });

  it('a stored output the build does not produce fails; --skip names it out; --skip of everything compares nothing and fails', async () => {
    const d = await fixtureWith('extra', (o) => o.set('text.not_a_module', float32Tensor(Float32Array.of(1, 2), [2])));
    const r = await runCli('parity', d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL: stored but not produced by this build .*: text\.not_a_module/);
    const skipped = await runCli('parity', d, '--skip', 'text.not_a_module');
    expect(skipped.code, skipped.out).toBe(0);
    expect(skipped.out).toMatch(/skipped \(--skip\): text\.not_a_module/);
    expect(skipped.out).toMatch(/PASS: 6 tensors within tolerance/);
    const nothing = await runCli('parity', d, '--skip', '*');
    expect(nothing.code).toBe(1);
    expect(nothing.out).toMatch(/FAIL: no tensor was compared/);
  });
});
