/**
 * Models at an input size other than their checkpoint's, against references made by timm, open_clip
 * and torchvision themselves (scripts/make-image-size-fixtures.py → test/fixtures/image-size/):
 * timm's positional-table resampling, tiny ViTs run through set_input_size (growing, shrinking and
 * mixed grids, square and not, with and without a class-token row), open_clip's force_image_size
 * on whole CLIPs, and the preprocessing at square and non-square sizes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resampleAbsPosEmbed } from '../../src/layers/resample-pos-embed.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { runParity } from '../../src/parity/parity.js';
import { modelSpec, withImageSize } from '../../src/models/model-specs.js';
import { loadModel } from '../../src/models/load.js';
import { preprocessingFromOpenClip } from '../../src/models/openclip-specs.js';
import { APPLE_PREPROCESSING, pipelineAt, preprocessImage } from '../../src/preprocess/transform.js';
import { decodeImage } from '../../src/preprocess/decode.js';
import { parseImageSize, toImageSize } from '../../src/preprocess/image-size.js';
import { diff } from '../../src/parity/compare.js';
import { useGpu } from '../helpers/gpu.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { createModelAndTransforms } from '../../src/api/node.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'image-size');
const g = useGpu();

describe("timm's resample_abs_pos_embed", () => {
  const index = JSON.parse(readFileSync(join(HERE, 'pos-embed.json'), 'utf8'));
  type Case = { name: string; channels: number; prefix: number; old_grid: [number, number]; new_grid: [number, number] };
  it.each((index.cases as Case[]).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const st = await readSafetensors(join(HERE, 'pos-embed.safetensors'));
    const { name, channels, prefix, old_grid: from, new_grid: to } = c;
    const got = resampleAbsPosEmbed(st.float32(`${name}.table`), channels, from, to, prefix);
    const ref = st.float32(`${name}.resampled`);
    expect(st.info(`${name}.resampled`).shape).toEqual([1, prefix + to[0] * to[1], channels]);
    const d = diff(got, ref);
    // Each output is a sum of at most 4·ceil(in/out) + 1 float32 products per axis, two axes: a few ulps of its range.
    expect(d.rel, `${name}: ${JSON.stringify(d)}`).toBeLessThanOrEqual(4e-6);
    // The class-token rows are kept bit for bit.
    expect(Array.from(got.subarray(0, prefix * channels))).toEqual(Array.from(ref.subarray(0, prefix * channels)));
  });

  it('refuses a table that does not fit the grid, naming both', () => {
    expect(() => resampleAbsPosEmbed(new Float32Array(17 * 4), 4, [4, 4], [2, 2], 0)).toThrow(/17 rows of 4; a 4×4 grid with 0 prefix row\(s\) needs 16/);
  });
});

const VITS = ['vit-cls-grow', 'vit-cls-shrink', 'vit-cls-mixed', 'vit-cls-nonsquare-table', 'vit-stem-grow', 'vit-stem-shrink', 'vit-stem-mixed', 'vit-stem-same-count', 'vit-stem-not-multiple'];

describe('timm ViTs at another input size (set_input_size, as force_image_size runs it)', () => {
  it.each(VITS)('%s passes parity, intermediates and the resampled table included', async (name) => {
    const dir = join(HERE, name);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const r = await runParity(g.gpu, dir);
    const bad = r.tensors.filter((t) => !t.ok).map((t) => `${t.name} rel ${t.rel.toExponential(2)}`);
    expect(bad, name).toEqual([]);
    expect(r.notProduced).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.tensors.length).toBeGreaterThanOrEqual(9);
    for (const t of r.tensors) expect(t.rel, t.name).toBeLessThanOrEqual(1e-4);
    // Where the number of patches changed, timm resampled the table, and it was compared.
    const [from, to] = [cfg.fixture.checkpoint_grid, cfg.fixture.run_grid];
    const resampled = from[0] * from[1] !== to[0] * to[1];
    expect(r.tensors.some((t) => t.name === 'image.pos_embed_resampled')).toBe(resampled);
  });

  it('at the checkpoint size instead, the input is refused by name, never run with the wrong table', async () => {
    const dir = join(HERE, 'vit-cls-mixed');
    await expect(runParity(g.gpu, dir, { imageSize: 48 })).rejects.toThrow(/images of 32×80 give a 4×10 patch grid, but this timm ViT's positional table is for 48 inputs \(6×6 patches\); load the model with imageSize: \[32, 80\] \(--image-size 32x80\)/);
    const stem = join(HERE, 'vit-stem-grow');
    await expect(runParity(g.gpu, stem, { imageSize: 64 })).rejects.toThrow(/images of 112×112 give a 7×7 patch grid, but this timm ViT's positional table is for 64 inputs \(4×4 patches\)/);
  });

  it('a size that gives no patch is refused with the reason', () => {
    const l14 = modelSpec('MobileCLIP2-L-14');
    expect(() => withImageSize(l14, [13, 224])).toThrow(/MobileCLIP2-L-14: imageSize 13×224 gives a 0×16 patch grid; this ViT needs at least 14 pixels a side/);
    expect(() => withImageSize(modelSpec('MobileCLIP-B'), 15)).toThrow(/gives a 0×0 patch grid; this ViT needs at least 16 pixels a side/);
    expect(() => withImageSize(l14, 0)).toThrow(/imageSize must be a positive integer or a \[height, width\] pair of them, each at most 16384; got 0/);
    expect(() => withImageSize(l14, [224, 224, 3] as unknown as number)).toThrow(/imageSize must be/);
    expect(() => parseImageSize('224x')).toThrow(/--image-size takes N or HxW \(height × width, positive integers\), got "224x"/);
    expect(parseImageSize('336')).toEqual([336, 336]);
    expect(parseImageSize('224x320')).toEqual([224, 320]);
    expect(toImageSize([224, 320])).toEqual([224, 320]);
  });

  it('MobileCLIP2-L-14 at 336 (synthetic weights): the table grows from 16×16 to 24×24 at load, and 336 inputs run', async () => {
    const spec = withImageSize(modelSpec('MobileCLIP2-L-14'), 336);
    expect(spec.imageSize).toEqual([336, 336]);
    if (spec.image.kind !== 'vit') throw new Error('MobileCLIP2-L-14 is a ViT');
    const small = { ...spec, image: { kind: 'vit' as const, cfg: { ...spec.image.cfg, layers: 1 } }, text: null };
    const m = loadModel(g.gpu, small, 'synthetic');
    try {
      const vit = m.image as import('../../src/models/vit.js').VisionTransformer;
      expect(vit.runGrid).toEqual([24, 24]);
      expect(vit.resampledTable!.length).toBe((1 + 24 * 24) * 1024);
      const x = g.gpu.upload(new Float32Array(3 * 336 * 336).fill(0.25), [1, 3, 336, 336]);
      const y = vit.forward(x);
      expect(y.shape).toEqual([1, 768]);
      const v = await y.readFloat();
      expect(v.every(Number.isFinite)).toBe(true);
      x.dispose();
      y.dispose();
      const wrong = g.gpu.upload(new Float32Array(3 * 224 * 224), [1, 3, 224, 224]);
      expect(() => vit.forward(wrong)).toThrow(/images of 224×224 give a 16×16 patch grid, but this timm ViT's positional table is for 336 inputs \(24×24 patches\)/);
      wrong.dispose();
    } finally {
      m.store.dispose();
    }
  });
});

describe.runIf(haveFixtures())("open_clip's force_image_size on whole CLIPs (open_clip.create_model_and_transforms)", () => {
  const runs: [string, string][] = [
    ['oc-vit-l14-tiny-98x168', 'oc-vit-l14-tiny'],
    ['oc-mci-tiny-64x96', 'oc-mci-tiny'],
  ];
  it.each(runs)('%s passes parity on the shared weights', async (name, weights) => {
    const r = await runParity(g.gpu, join(HERE, name), { checkpoint: fixturePath('openclip', weights, 'model.safetensors') });
    expect(r.tensors.filter((t) => !t.ok).map((t) => t.name)).toEqual([]);
    expect(r.notProduced).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.tensors.length).toBeGreaterThan(20);
  });

  it('the API at imageSize [98, 168]: preprocessing equals open_clip\'s own on the files, and the embeddings its run', async () => {
    const dir = join(HERE, 'oc-vit-l14-tiny-98x168');
    const { model, dispose } = await createModelAndTransforms(fixturePath('openclip', 'oc-vit-l14-tiny', 'config.json'), {
      weights: fixturePath('openclip', 'oc-vit-l14-tiny', 'model.safetensors'),
      imageSize: [98, 168],
      gpu: g.gpu,
    });
    try {
      expect(model.imageSize).toEqual([98, 168]);
      // open_clip's non-square eval transform: ResizeKeepRatio (always bicubic) + CenterCrop.
      expect(model.pipeline).toMatchObject({ size: [98, 168], resize: 'keep-ratio', interpolation: 'bicubic' });
      const inputs = await readSafetensors(join(dir, 'inputs.safetensors'));
      const outputs = await readSafetensors(join(dir, 'outputs.safetensors'));
      const files = ['chelsea.png', 'photo_q90.jpg'].map((f) => fixturePath('openclip', 'oc-preprocess', f));
      const ref = inputs.float32('image');
      const per = 3 * 98 * 168;
      for (let i = 0; i < files.length; i++) {
        const got = await model.preprocess(files[i]);
        expect(diff(got, ref.subarray(i * per, (i + 1) * per)).maxAbs, files[i]).toBeLessThanOrEqual(1e-6);
      }
      const e = await model.encodeImages(files);
      const d = diff(e.data, outputs.float32('image_embeddings'));
      expect(d.rel, JSON.stringify(d)).toBeLessThanOrEqual(1e-4);
    } finally {
      dispose();
    }
  });
});

describe.runIf(haveFixtures())('preprocessing at square and non-square sizes (open_clip image_transform, Apple\'s Resize + CenterCrop)', () => {
  const index = JSON.parse(readFileSync(join(HERE, 'preprocess.json'), 'utf8'));
  type P = { key: string; transform: 'apple' | 'open_clip'; interpolation?: 'bilinear' | 'bicubic'; resize_mode?: 'shortest' | 'squash'; size: [number, number] };
  it.each((index.pipelines as P[]).map((p) => [p.key, p] as const))('%s', async (_key, p) => {
    const { key, transform, size } = p;
    const st = await readSafetensors(join(HERE, 'preprocess.safetensors'));
    const rule = transform === 'apple' ? APPLE_PREPROCESSING : preprocessingFromOpenClip({ interpolation: p.interpolation, resize_mode: p.resize_mode, mean: [0, 0, 0], std: [1, 1, 1] }, key);
    const pipe = pipelineAt(rule, size);
    for (const file of index.images as string[]) {
      const img = await decodeImage(readFileSync(fixturePath('openclip', 'oc-preprocess', file)), file);
      const r = preprocessImage(img, pipe);
      const ref = st.uint8(`${key}.${file}`);
      expect(st.info(`${key}.${file}`).shape).toEqual([size[0], size[1], 3]);
      const hwc = new Uint8Array(ref.length);
      const plane = size[0] * size[1];
      for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) hwc[i * 3 + c] = r.pixels[c * plane + i];
      expect(diff(hwc, ref).maxAbs, `${key} ${file}`).toBe(0);
    }
  });
});

describe.runIf(haveFixtures())('--image-size through the CLI', () => {
  it('parity reads the size a fixture ran at, and --image-size overrides it (refused here: the table is for another grid)', async () => {
    const ok = await runCli('parity', join(HERE, 'vit-stem-mixed'));
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/image\.pos_embed_resampled\s+\[1,45,32\]/);
    expect(ok.out).toMatch(/PASS: 11 tensors within tolerance/);
    const wrong = await runCli('parity', join(HERE, 'vit-stem-mixed'), '--image-size', '96');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/images of 144×80 give a 9×5 patch grid, but this timm ViT's positional table is for 96 inputs \(6×6 patches\)/);
    const bad = await runCli('parity', join(HERE, 'vit-stem-mixed'), '--image-size', '96x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--image-size takes N or HxW/);
  });

  it("preprocess --model MobileCLIP2-L-14 --image-size 40x64 is open_clip's transform at that size", async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const tmp = mkdtempSync(join((await import('node:os')).tmpdir(), 'mobileclip-size-'));
    try {
      const out = join(tmp, 'x.safetensors');
      const r = await runCli('preprocess', fixturePath('openclip', 'oc-preprocess', 'wide_517x127_q85.jpg'), '--model', 'MobileCLIP2-L-14', '--image-size', '40x64', '--out', out);
      expect(r.code, r.err).toBe(0);
      // ResizeKeepRatio: ratio min(127/40, 517/64) = 3.175, so 163×40; the crop's left edge round(49.5) = 50.
      expect(r.out).toMatch(/→ resized 163×40, crop at \(50, 0\), 40×64 →/);
      const st = await readSafetensors(out);
      expect(st.info('image').shape).toEqual([1, 3, 40, 64]);
      const ref = (await readSafetensors(join(HERE, 'preprocess.safetensors'))).uint8('open_clip.bicubic.shortest.40x64.wide_517x127_q85.jpg');
      const px = st.uint8('pixels');
      const hwc = new Uint8Array(ref.length);
      for (let c = 0; c < 3; c++) for (let i = 0; i < 40 * 64; i++) hwc[i * 3 + c] = px[c * 40 * 64 + i];
      expect(diff(hwc, ref).maxAbs).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
