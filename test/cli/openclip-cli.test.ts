/**
 * The OpenCLIP user path through the real CLI: `--config` with an OpenCLIP checkpoint (each tiny
 * fixture: its own preprocessing from the photo it was made from, then both towers), open_clip's
 * preprocessing by model name (palette, RGBA, bicubic, --from-rgb), `list models`, `info`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { expectClose } from '../helpers/compare.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-oc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), a.length === b.length ? 0 : Infinity);

describe.runIf(haveFixtures())('OpenCLIP models through the CLI', () => {
  for (const fixture of ['oc-mci-tiny', 'oc-mci3-tiny', 'oc-vit-mci-tiny', 'oc-vit-l14-tiny']) {
    it(`${fixture}: preprocess and embed with --config reproduce the fixture's input and embeddings`, async () => {
      const config = fixturePath('openclip', fixture, 'config.json');
      const photo = (JSON.parse(readFileSync(config, 'utf8')).fixture.image_input.sources[0] as string).replace('photo:', '');
      const image = fixturePath('preprocess', photo);
      const inputs = await readSafetensors(fixturePath('openclip', fixture, 'inputs.safetensors'));
      const outputs = await readSafetensors(fixturePath('openclip', fixture, 'outputs.safetensors'));
      const [, c, h, w] = inputs.info('image').shape;
      const want = inputs.float32('image').subarray(0, c * h * w);
      const pre = join(dir, `${fixture}.safetensors`);
      const p = await runCli('preprocess', image, '--config', config, '--out', pre);
      expect(p.code, p.err).toBe(0);
      const got = (await readSafetensors(pre)).float32('image');
      expect(maxAbs(got, want), 'preprocess max|Δ|').toBeLessThanOrEqual(1e-6);

      const ids = inputs.int32('text');
      const rows = Array.from({ length: 3 }, (_, i) => Array.from(ids.subarray(i * 77, (i + 1) * 77)));
      const tokens = join(dir, `${fixture}.tokens.json`);
      writeFileSync(tokens, JSON.stringify(rows));
      const e = await runCli('embed', '--config', config, '--weights', fixturePath('openclip', fixture, 'model.safetensors'), '--image', image, '--tokens', tokens, '--json');
      expect(e.code, e.err).toBe(0);
      const res = JSON.parse(e.out) as { images: { embedding: number[] }[]; tokens: { embedding: number[] }[] };
      const ie = outputs.float32('image_embeddings');
      const dim = outputs.info('image_embeddings').shape[1];
      // The CLI prints 8 significant digits: the bound is float32 noise plus that rounding.
      expectClose(`${fixture} image embedding (CLI)`, Float32Array.from(res.images[0].embedding), ie.subarray(0, dim), { rel: 1e-4 });
      expectClose(`${fixture} text embeddings (CLI)`, Float32Array.from(res.tokens.flatMap((t) => t.embedding)), outputs.float32('text_embeddings'), { rel: 1e-4 });
    });
  }

  it("preprocess --model: open_clip's order for palette and RGBA files, bicubic for L-14, --from-rgb for Apple's order", async () => {
    const st = await readSafetensors(fixturePath('openclip', 'oc-preprocess', 'preprocess.safetensors'));
    const cases: [string, string[], string][] = [
      ['palette_131x93.png', ['--model', 'MobileCLIP-S2'], 'palette_131x93.mc_256'],
      ['rgba_160x120.png', ['--model', 'MobileCLIP2-S3'], 'rgba_160x120.mc2_256'],
      ['palette_131x93.png', ['--model', 'MobileCLIP2-L-14'], 'palette_131x93.mc2_bicubic_224'],
      ['rgba_160x120.png', ['--model', 'MobileCLIP-S2', '--from-rgb'], 'rgba_160x120.mc_256.from_rgb'],
      ['rgba_160x120.png', ['--model', 'mobileclip2-s0:dfndr2b'], 'rgba_160x120.mc_256'],
    ];
    for (const [file, args, tensor] of cases) {
      const out = join(dir, `${tensor}.safetensors`);
      const r = await runCli('preprocess', fixturePath('openclip', 'oc-preprocess', file), ...args, '--out', out);
      expect(r.code, r.err).toBe(0);
      expect(maxAbs((await readSafetensors(out)).float32('image'), st.float32(tensor)), `${file} ${args.join(' ')}`).toBeLessThanOrEqual(1e-6);
    }
    // --size with a model is that model's transform at that size (open_clip's force_image_size); the
    // reference is open_clip's image_transform at 48 (test/fixtures/image-size, made by open_clip).
    const sized = await runCli('preprocess', fixturePath('openclip', 'oc-preprocess', 'chelsea.png'), '--model', 'MobileCLIP-S2', '--size', '48', '--out', join(dir, 'x.safetensors'));
    expect(sized.code, sized.err).toBe(0);
    const px = (await readSafetensors(join(dir, 'x.safetensors'))).uint8('pixels');
    const ref = (await readSafetensors(new URL('../fixtures/image-size/preprocess.safetensors', import.meta.url).pathname)).uint8('open_clip.bilinear.shortest.48x48.chelsea.png');
    expect(Array.from({ length: ref.length }, (_, i) => px[(i % 3) * 48 * 48 + Math.floor(i / 3)])).toEqual(Array.from(ref));
    const tag = await runCli('preprocess', fixturePath('openclip', 'oc-preprocess', 'chelsea.png'), '--model', 'MobileCLIP-B:laion', '--out', join(dir, 'y.safetensors'));
    expect(tag.code).toBe(1);
    expect(tag.err).toMatch(/MobileCLIP-B has no pretrained tag "laion" \(known: datacompdr, datacompdr_lt\)/);
  });

  it('parity through the CLI on an OpenCLIP fixture (fused file), and info naming a real-shaped MobileCLIP2-S0 file', async () => {
    const p = await runCli('parity', fixturePath('openclip', 'oc-mci-tiny'), '--checkpoint', fixturePath('openclip', 'oc-mci-tiny', 'model.reparam.safetensors'));
    expect(p.code, p.out + p.err).toBe(0);
    expect(p.out).toMatch(/PASS: 28 tensors within tolerance/);
    // Exactly the real model's keys and shapes (oc-keys), zero-filled: 301 MB.
    const keys = JSON.parse(readFileSync(fixturePath('openclip', 'oc-keys', 'MobileCLIP2-S0.json'), 'utf8')).state_dict as Record<string, { shape: number[]; dtype: string }>;
    const sd = new Map(Object.entries(keys).map(([k, e]) => {
      const dtype = e.dtype === 'int64' ? ('I64' as const) : ('F32' as const);
      const n = e.shape.reduce((a, b) => a * b, 1);
      return [k, { dtype, shape: e.shape, data: new Uint8Array(n * (dtype === 'I64' ? 8 : 4)) }];
    }));
    const file = join(dir, 'open_clip_model.safetensors');
    writeFileSync(file, writeSafetensors(sd));
    const i = await runCli('info', file);
    expect(i.code, i.err).toBe(0);
    expect(i.out).toMatch(/model: +MobileCLIP2-S0 \(OpenCLIP, FastViT\)/);
    expect(i.out).toMatch(/parameters: +image 11,406,976, text 63,428,096, other 1/);
    rmSync(file);
  });

  it('list models and info', async () => {
    const l = await runCli('list', 'models', '--json');
    expect(l.code, l.err).toBe(0);
    const names = (JSON.parse(l.out) as { name: string }[]).map((m) => m.name);
    expect(names).toEqual(['mobileclip_s0', 'mobileclip_s1', 'mobileclip_s2', 'mobileclip_b', 'mobileclip_blt', 'MobileCLIP-S1', 'MobileCLIP-S2', 'MobileCLIP-B', 'MobileCLIP2-S0', 'MobileCLIP2-S2', 'MobileCLIP2-S3', 'MobileCLIP2-S4', 'MobileCLIP2-B', 'MobileCLIP2-L-14']);
    const i = await runCli('info', fixturePath('openclip', 'oc-mci3-tiny', 'model.reparam.safetensors'));
    expect(i.code, i.err).toBe(0);
    expect(i.out).toMatch(/format: +safetensors, OpenCLIP\/timm key names/);
    expect(i.out).toMatch(/form: +fused/);
    const u = await runCli('embed', '--model', 'MobileCLIP2-S9', '--text', 'a');
    expect(u.code).toBe(1);
    expect(u.err).toMatch(/unknown model "MobileCLIP2-S9": .*MobileCLIP2-L-14/);
  });
});
