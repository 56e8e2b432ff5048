/**
 * python/mobileclip_fixture.py, run as the README's recipe runs it: a fixture from a model built by
 * the reference code itself (Apple's mobileclip, open_clip, timm), then `mobileclip parity` on it
 * through the real CLI. These need a Python with torch (MOBILECLIP_PYTHON, else python3, else
 * /usr/bin/python3) and the model code on its path (MOBILECLIP_PYTHONPATH); each test that lacks
 * one says which and why it did not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, fixturePath } from '../helpers/fixtures.js';
import { readSafetensors } from '../../src/io/read-file.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TOOL = join(ROOT, 'python', 'mobileclip_fixture.py');
const env = { ...process.env, PYTHONPATH: [process.env.MOBILECLIP_PYTHONPATH, join(ROOT, 'python')].filter(Boolean).join(':') };

function py(python: string, args: string[], timeout = 600_000) {
  return spawnSync(python, args, { env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
}

/** The first interpreter that imports torch, or why there is none. */
function findPython(): { python: string | null; why: string } {
  const tried: string[] = [];
  for (const p of [process.env.MOBILECLIP_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x)) {
    const r = py(p, ['-c', 'import torch; print(torch.__version__)'], 60_000);
    if (r.status === 0) return { python: p, why: '' };
    tried.push(`${p}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { python: null, why: `no Python with torch (${tried.join('; ')}): set MOBILECLIP_PYTHON, or apt-get install python3-torch` };
}

const { python, why } = findPython();
/** Why `modules` cannot be imported by the found Python (null when they can). */
function missing(modules: string[]): string | null {
  if (!python) return why;
  if (!FIXTURES) return 'the shared fixtures are not there (MOBILECLIP_FIXTURES)';
  const r = py(python, ['-c', `import mobileclip_fixture as t; t.install_torch1_compat()\n${modules.map((m) => `import ${m}`).join('\n')}`], 120_000);
  return r.status === 0 ? null : `${modules.join(', ')} cannot be imported by ${python} (PYTHONPATH from MOBILECLIP_PYTHONPATH=${process.env.MOBILECLIP_PYTHONPATH ?? ''}): ${r.stderr.trim().split('\n').at(-1)}`;
}

const skipped = (what: string, reason: string | null) => {
  if (reason) console.warn(`python fixture tool, ${what}: not run: ${reason}`);
  return reason !== null;
};

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-pytool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runTool(args: string[]): void {
  const r = py(python!, [TOOL, ...args]);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}

async function parityPasses(out: string, extra: string[] = []): Promise<string> {
  const r = await runCli('parity', out, ...extra);
  expect(r.code, r.out + r.err).toBe(0);
  expect(r.out).toMatch(/^PASS: \d+ tensors within tolerance$/m);
  return r.out;
}

describe('python/mobileclip_fixture.py', () => {
  it.skipIf(skipped('safetensors writer', python ? null : why))("writes safetensors our reader reads back exactly (dtypes, 0-d, empty), and parses sizes as open_clip's force_image_size", async () => {
    const out = join(dir, 'w.safetensors');
    const r = py(python!, ['-c', `
import torch, mobileclip_fixture as t
t.write_safetensors(${JSON.stringify(out)}, {'f': torch.arange(6, dtype=torch.float32).reshape(2, 3) / 7, 'i': torch.tensor([[1, -2**40]], dtype=torch.int64),
  'u': torch.tensor([0, 255], dtype=torch.uint8), 's': torch.tensor(2.5), 'h': torch.tensor([0.1, 65504.0], dtype=torch.float16), 'e': torch.zeros(0, 4)})
assert t.parse_size('336') == 336 and t.parse_size('224x320') == (224, 320)
back = t.read_safetensors(${JSON.stringify(out)})
assert torch.equal(back['i'], torch.tensor([[1, -2**40]])) and back['s'].shape == () and back['e'].shape == (0, 4)
`]);
    expect(r.status, r.stderr).toBe(0);
    const st = await readSafetensors(out);
    expect(Array.from(st.float32('f'))).toEqual(Array.from({ length: 6 }, (_, i) => Math.fround(Math.fround(i) / 7)));
    expect(st.info('i')).toMatchObject({ dtype: 'I64', shape: [1, 2] });
    expect(Array.from(st.uint8('u'))).toEqual([0, 255]);
    expect(st.info('s').shape).toEqual([]);
    expect(Array.from(st.float32('s'))).toEqual([2.5]);
    expect(Array.from(st.float32('h'))).toEqual([Math.fround(0.0999755859375), 65504]);
    expect(st.info('e').shape).toEqual([0, 4]);
  });

  it.skipIf(skipped('timm', missing(['timm'])))('a bare timm ViT through set_input_size (40×56 from 32×32): parity passes, the resampled table included', async () => {
    const out = join(dir, 'timm-vit');
    const r = py(python!, ['-c', `
import types, torch, mobileclip_fixture as t
t.install_torch1_compat()
from timm.models.vision_transformer import VisionTransformer
torch.manual_seed(3)
m = VisionTransformer(img_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=2, mlp_ratio=2.0, num_classes=16, global_pool='token', pre_norm=True)
with torch.no_grad():
    m.pos_embed.normal_(0, 0.5); m.cls_token.normal_(0, 0.5)
t.dump_timm_model(m, ${JSON.stringify(out)}, types.SimpleNamespace(image_size='40x56', images=None, random_images=2, random_texts=0, texts=None, seed=1), [])
`]);
    expect(r.status, r.stderr).toBe(0);
    const report = await parityPasses(out);
    expect(report).toMatch(/image\.pos_embed_resampled\s+\[1,36,32\]/); // 5×7 patches + the class-token row
  });

  it.skipIf(skipped('open_clip', missing(['open_clip', 'timm'])))("open_clip with --config and --image-size (the oc-vit-l14-tiny CLIP at 98×168, on two image files): parity passes", async () => {
    const out = join(dir, 'oc-l14');
    const src = fixturePath('openclip', 'oc-vit-l14-tiny');
    runTool(['open_clip', '--config', join(src, 'config.json'), '--pretrained', join(src, 'model.safetensors'), '--image-size', '98x168', '--images', fixturePath('openclip', 'oc-preprocess', 'chelsea.png'), fixturePath('openclip', 'oc-preprocess', 'photo_q90.jpg'), '--out', out]);
    const report = await parityPasses(out);
    expect(report).toMatch(/image\.pos_embed_resampled\s+\[1,85,64\]/); // 7×12 patches + the class-token row
    expect(report).toMatch(/text\.pooled/);
  });

  it.skipIf(skipped('open_clip', missing(['open_clip', 'timm'])))('open_clip with a MobileCLIP2-S3/S4-shaped tiny config (oc-mci3-tiny): parity passes', async () => {
    const out = join(dir, 'oc-mci3');
    const src = fixturePath('openclip', 'oc-mci3-tiny');
    runTool(['open_clip', '--config', join(src, 'config.json'), '--pretrained', join(src, 'model.safetensors'), '--out', out]);
    await parityPasses(out);
  });

  it.skipIf(skipped("Apple's mobileclip", missing(['mobileclip'])))("Apple's mobileclip_s0 (the s0-full weights as a .pt), on image files and texts through its own transform and tokenizer: parity passes", async () => {
    const pt = join(dir, 'mobileclip_s0.pt');
    const conv = py(python!, ['-c', `import torch, mobileclip_fixture as t\ntorch.save(t.read_safetensors(${JSON.stringify(fixturePath('s0-full', 'model.safetensors'))}), ${JSON.stringify(pt)})`]);
    expect(conv.status, conv.stderr).toBe(0);
    const out = join(dir, 'apple-s0');
    runTool(['apple', 'mobileclip_s0', '--pretrained', pt, '--images', fixturePath('preprocess', 'astronaut.png'), fixturePath('preprocess', 'photo_q90.jpg'), '--texts', 'a photo of an astronaut', 'a cup of coffee', '--out', out]);
    const report = await parityPasses(out);
    expect(report).toMatch(/image\.network\.7\s/);
    expect(report).toMatch(/text\.layer\.5\s/);
  });
});
