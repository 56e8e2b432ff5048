/**
 * An upper bound of a model's weights (elements, BatchNorm statistics included), from its
 * description alone: what bounds a checkpoint download before the file is seen (an endless body
 * stops there). Checked against the nine real models' counts (test/models/parameter-count.test.ts):
 * 1.0–1.3 × theirs.
 */
import type { ImageSpec } from './spec-types.js';
import { ffnWidth, type TextConfig } from './text-config.js';

function textParameters(t: TextConfig): number {
  const d = t.dim;
  let n = t.vocabSize * d + t.contextLength * d + 2 * d + d * t.embedDim;
  for (let i = 0; i < t.transformerLayers; i++) {
    const f = ffnWidth(d, t.ffnMultiplierPerLayer[i]);
    n += 4 * d * d + 2 * d * f + f + 9 * d;
  }
  // mct: a RepMixer block (convolutional FFN of 4× width, 1×11 kernels) before and after the transformer layers.
  if (t.variant === 'mct') n += 2 * (8 * d * d + 64 * d);
  return n;
}

function imageParameters(image: ImageSpec): number {
  if (image.kind === 'vit') {
    const v = image.cfg;
    const d = v.dim;
    const f = ffnWidth(d, v.ffnMultiplier);
    const s = v.stemWidth;
    const stem = v.patchEmbed?.kind === 'patch' ? 3 * v.patchEmbed.patch ** 2 * d : 3 * 16 * s + 4 * s * s + 4 * s * d + 10 * s + d;
    return stem + (v.positions + 1) * d + d + v.layers * (4 * d * d + 2 * d * f + f + 9 * d) + 4 * d + d * v.embedDim + v.embedDim;
  }
  const f = image.cfg.fastvit;
  const c0 = f.embedDims[0];
  let n = 3 * 9 * c0 + 2 * 9 * c0 + c0 * c0 + 20 * c0;
  let c = c0;
  for (let i = 0; i < f.layers.length; i++) {
    const w = f.embedDims[i];
    if (w !== c || i > 0) n += c * 2 * 58 + 2 * w * w + 100 * w; // down-sampler: 7×7 + 3×3 grouped convs, 1×1, squeeze/excite
    if (f.posEmbs[i]) n += 50 * w;
    const hidden = Math.ceil(w * f.mlpRatios[i]);
    n += f.layers[i] * (4 * w * w + 2 * w * hidden + 120 * w); // attention (or RepMixer) + ConvFFN
    c = w;
  }
  const out = Math.round(c * f.clsRatio);
  n += 9 * out + out * out + 20 * out + out * image.cfg.embedDim + image.cfg.embedDim; // final conv + squeeze/excite + head
  return n;
}

/** Elements of a model's weights, at most (see above). */
export function parameterBound(spec: { image: ImageSpec | null; text: TextConfig | null }): number {
  return Math.ceil(1.05 * ((spec.image ? imageParameters(spec.image) : 0) + (spec.text ? textParameters(spec.text) : 0))) + 1;
}
