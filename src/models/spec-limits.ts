/**
 * The ranges a model description must stay in, checked before anything is built or allocated, so
 * a hostile or mistyped config (`n_transformer_layers: 1e6`, `dim: 1e6`) is an error naming the
 * field, its value and the range, not gigabytes of zeros or "Invalid typed array length".
 */
import type { ImageSpec } from './spec-types.js';
import type { TextConfig } from './text-config.js';
import { ConfigRangeError, integerIn, LIMITS, positiveUpTo } from './config-range.js';
import { MAX_IMAGE_SIDE } from '../preprocess/image-size.js';

export function checkTextConfig(t: TextConfig, where: string): void {
  integerIn(where, 'text width (dim / width)', t.dim, 1, LIMITS.width);
  integerIn(where, 'text layers (n_transformer_layers / layers)', t.transformerLayers, 0, LIMITS.layers);
  integerIn(where, 'vocabulary size (vocab_size)', t.vocabSize, 1, LIMITS.vocab);
  integerIn(where, 'context length (context_length)', t.contextLength, 1, LIMITS.context);
  integerIn(where, 'embedding width (embed_dim)', t.embedDim, 1, LIMITS.width);
  t.headsPerLayer.forEach((h, i) => {
    integerIn(where, `text heads of layer ${i} (n_heads_per_layer / heads)`, h, 1, LIMITS.heads);
    if (t.dim % h !== 0) throw new ConfigRangeError(`${where}: text width ${t.dim} does not split into ${h} heads (layer ${i})`);
  });
  t.ffnMultiplierPerLayer.forEach((m, i) => positiveUpTo(where, `text FFN multiplier of layer ${i} (ffn_multiplier_per_layer / mlp_ratio)`, m, LIMITS.ratio));
}

export function checkImageSpec(image: ImageSpec, where: string): void {
  const c = image.cfg;
  integerIn(where, 'embedding width (embed_dim)', c.embedDim, 1, LIMITS.width);
  for (const [i, s] of c.imageSize.entries()) integerIn(where, `image size [${i}]`, s, 1, MAX_IMAGE_SIDE);
  if (image.kind === 'vit') {
    const v = image.cfg;
    integerIn(where, 'ViT width (embed_dim)', v.dim, 1, LIMITS.width);
    integerIn(where, 'ViT layers (depth / n_transformer_layers)', v.layers, 1, LIMITS.layers);
    integerIn(where, 'ViT heads (num_heads / n_attn_heads)', v.heads, 1, LIMITS.heads);
    if (v.dim % v.heads !== 0) throw new ConfigRangeError(`${where}: ViT width ${v.dim} does not split into ${v.heads} heads`);
    integerIn(where, 'ViT stem width', v.stemWidth, 1, LIMITS.width);
    positiveUpTo(where, 'ViT MLP ratio (mlp_ratio / ffn_multiplier)', v.ffnMultiplier, LIMITS.ratio);
    integerIn(where, 'positional table rows', v.positions, 1, LIMITS.positions);
    if (v.patchEmbed?.kind === 'patch') integerIn(where, 'patch size (patch_size)', v.patchEmbed.patch, 1, 1024);
    return;
  }
  const f = image.cfg.fastvit;
  integerIn(where, 'FastViT stages (layers)', f.layers.length, 1, LIMITS.stages);
  f.layers.forEach((n, i) => integerIn(where, `FastViT blocks of stage ${i} (layers[${i}])`, n, 0, LIMITS.blocksPerStage));
  f.embedDims.forEach((d, i) => integerIn(where, `FastViT width of stage ${i} (embed_dims[${i}])`, d, 1, LIMITS.width));
  f.mlpRatios.forEach((r, i) => positiveUpTo(where, `FastViT MLP ratio of stage ${i} (mlp_ratios[${i}])`, r, LIMITS.ratio));
  integerIn(where, 'RepMixer kernel (repmixer_kernel_size)', f.repmixerKernelSize, 1, LIMITS.kernel);
  integerIn(where, 'down-sampling patch (down_patch_size)', f.downPatchSize, 1, LIMITS.kernel);
  integerIn(where, 'down-sampling stride (down_stride)', f.downStride, 1, LIMITS.stride);
  positiveUpTo(where, 'classifier ratio (cls_ratio)', f.clsRatio, LIMITS.ratio);
  f.posEmbs.forEach((p, i) => p?.kernel.forEach((k, j) => integerIn(where, `RepCPE kernel of stage ${i} (pos_embs[${i}].spatial_shape[${j}])`, k, 1, LIMITS.kernel)));
}
