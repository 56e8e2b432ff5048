/**
 * open_clip's eval transform (fixtures/openclip/oc-preprocess): 6 images × 3 pipelines (mean 0 /
 * std 1 bilinear 256, OpenAI mean/std bilinear 256, OpenAI mean/std bicubic 224), applied to the
 * image as PIL opened it (palette resized NEAREST, RGBA premultiplied, RGB conversion after the
 * crop) and, where the fixture stores it, to the RGB-converted image (`.from_rgb`). Within float32
 * rounding of the reference: max |Δ| ≤ 1e-6 (the fixture's bound); sizes and crops exact.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FIXTURES, fixturePath, haveFixtures, loadFixture } from '../helpers/fixtures.js';
import '../../src/preprocess/image-input.node.js';
import { decodeImage } from '../../src/preprocess/decode.js';
import { type Pipeline, preprocessImage } from '../../src/preprocess/transform.js';
import { pipelineFromOpenClip } from '../../src/models/openclip-specs.js';

interface Entry {
  key: string;
  file: string;
  pil_mode: string;
  width: number;
  height: number;
  rgb: string;
  [pipeline: string]: unknown;
}
interface Spec {
  tensor: string;
  resized_width: number;
  resized_height: number;
  crop_left: number;
  crop_top: number;
  equals_transform_of_rgb_converted_image: boolean;
}

const index = FIXTURES ? JSON.parse(readFileSync(fixturePath('openclip', 'oc-preprocess', 'index.json'), 'utf8')) : { images: [], pipelines: {} };

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length && m < Infinity; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.runIf(haveFixtures())("open_clip's preprocessing, to float32 rounding", () => {
  for (const [name, p] of Object.entries(index.pipelines as Record<string, { preprocess_cfg: object }>)) {
    const pipe: Pipeline = pipelineFromOpenClip(p.preprocess_cfg, `oc-preprocess ${name}`);
    for (const im of index.images as Entry[]) {
      const spec = im[name] as Spec;
      it(`${im.key} (${im.pil_mode} ${im.width}×${im.height}) through ${name}`, async () => {
        const st = await loadFixture('openclip', 'oc-preprocess', 'preprocess.safetensors');
        const ref = st.float32(spec.tensor);
        const img = await decodeImage(new Uint8Array(readFileSync(fixturePath('openclip', 'oc-preprocess', im.file))), im.file);
        expect(img.mode).toBe(im.pil_mode);
        // Decoder-independent: from the fixture's own RGB for RGB files (JPEG decoders may differ).
        const source = im.pil_mode === 'RGB' ? { width: im.width, height: im.height, data: st.uint8(im.rgb), mode: 'RGB' } : img;
        const r = preprocessImage(source, pipe);
        expect([r.resizedWidth, r.resizedHeight, r.cropLeft, r.cropTop]).toEqual([spec.resized_width, spec.resized_height, spec.crop_left, spec.crop_top]);
        const d = maxAbs(r.tensor, ref);
        expect(d, `max|Δ| ${d}`).toBeLessThanOrEqual(1e-6);
        // The RGB-converted variant: equal to the stored .from_rgb where they differ, to the same tensor where not.
        const rgbFirst = preprocessImage({ ...img, native: undefined }, { ...pipe, order: 'rgb-first' });
        if (st.names.includes(`${spec.tensor}.from_rgb`)) {
          expect(maxAbs(rgbFirst.tensor, st.float32(`${spec.tensor}.from_rgb`))).toBeLessThanOrEqual(1e-6);
          expect(maxAbs(rgbFirst.tensor, ref)).toBeGreaterThan(1e-3); // the two orders really differ here
        } else if (spec.equals_transform_of_rgb_converted_image && im.pil_mode !== 'RGB') {
          expect(maxAbs(rgbFirst.tensor, ref)).toBeLessThanOrEqual(1e-6);
        }
        if (im.file.endsWith('.png')) expect(maxAbs(preprocessImage(img, pipe).tensor, ref)).toBeLessThanOrEqual(1e-6);
      });
    }
  }
});
