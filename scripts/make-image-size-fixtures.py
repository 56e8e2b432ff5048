#!/usr/bin/python3
"""Writes test/fixtures/image-size/: references for running a model at an input size other than its
checkpoint's, made by the reference code itself (timm, open_clip, torchvision; read with the
`fetch` tool, never committed):

  pos-embed.safetensors   timm's resample_abs_pos_embed on random tables: growing, shrinking and
                          mixed grids, square and not, with and without a class-token row
                          (`<case>.table`, `<case>.resampled`; index.json lists the grids)
  vit-*/                  tiny timm ViT towers (both patch embeddings), run at another size through
                          set_input_size, as open_clip's force_image_size runs them; each a fixture
                          directory for `mobileclip parity`, written by python/mobileclip_fixture.py
  oc-*-HxW/               the shared fixtures' oc-vit-l14-tiny and oc-mci-tiny CLIPs through open_clip's
                          create_model_and_transforms(force_image_size=(H, W)), on two image files
                          through its own transform; weights not stored (the shared model.safetensors)
  preprocess.safetensors  open_clip's eval transform (image_transform) and Apple's at square and
                          non-square sizes, on the oc-preprocess images: the uint8 crop [H, W, 3]
                          each gives before ToTensor and Normalize

Run with Debian's python3-torch, python3-torchvision and python3-pil, timm and open_clip on the path:
  PYTHONPATH=<timm>:<open_clip/src> /usr/bin/python3 scripts/make-image-size-fixtures.py [FIXTURES]
(FIXTURES: the shared fixtures folder, default ../shared/fixtures.)
"""
import json
import os
import sys
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'python'))
import mobileclip_fixture as tool  # noqa: E402

tool.install_torch1_compat()
import timm  # noqa: E402
from timm.layers import resample_abs_pos_embed  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402
from timm.models.vision_transformer_hybrid import ConvStem  # noqa: E402
from timm.layers import HybridEmbed  # noqa: E402
from functools import partial  # noqa: E402

OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'image-size')
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', 'shared', 'fixtures')
torch.set_num_threads(2)


def pos_embed_cases():
    """(name, channels, prefix rows, old grid, new grid)."""
    return [
        ('grow_cls', 5, 1, (4, 4), (7, 7)),
        ('shrink_cls', 5, 1, (8, 8), (3, 3)),
        ('shrink_far', 3, 0, (16, 16), (3, 3)),
        ('mixed_rows_shrink', 4, 1, (6, 6), (4, 9)),
        ('mixed_cols_shrink', 4, 0, (6, 6), (9, 4)),
        ('nonsquare_table', 4, 1, (4, 6), (5, 3)),
        ('l14_224_to_336', 3, 1, (16, 16), (24, 24)),
        ('b_224_to_256', 3, 0, (14, 14), (16, 16)),
        ('to_one', 2, 1, (3, 3), (1, 1)),
        ('from_one', 2, 0, (1, 1), (4, 4)),
        ('one_axis', 3, 0, (5, 7), (5, 11)),
    ]


def write_pos_embed():
    g = torch.Generator().manual_seed(2801)
    tensors, index = {}, []
    for name, c, prefix, old, new in pos_embed_cases():
        table = torch.randn(1, prefix + old[0] * old[1], c, generator=g)
        out = resample_abs_pos_embed(table, new_size=list(new), old_size=list(old), num_prefix_tokens=prefix)
        tensors[f'{name}.table'] = table
        tensors[f'{name}.resampled'] = out
        index.append({'name': name, 'channels': c, 'prefix': prefix, 'old_grid': list(old), 'new_grid': list(new)})
    tool.write_safetensors(os.path.join(OUT, 'pos-embed.safetensors'), tensors, {'made_by': 'timm.layers.resample_abs_pos_embed', 'timm': timm.__version__, 'torch': torch.__version__})
    with open(os.path.join(OUT, 'pos-embed.json'), 'w') as f:
        json.dump({'timm': timm.__version__, 'torch': torch.__version__, 'cases': index}, f, indent=1)
        f.write('\n')


def randomize(model, seed):
    """Weights with signal everywhere: a positional table of std 0.5 (so resampling it matters),
    BatchNorms with real statistics, LayerNorms off identity, linears at 1/sqrt(fan in)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith('num_batches_tracked'):
                continue
            if name.endswith('running_var'):
                p.copy_(0.5 + torch.rand(p.shape, generator=g))
            elif name.endswith('running_mean'):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name in ('pos_embed', 'cls_token'):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                base = 1.0 if name.endswith('weight') else 0.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def tiny_vit(img_size, stem, seed):
    """A one-block ViT of width 32: ViT-L/14's layout (patch 8 conv, class-token row, pre-norm) or the MCi ViT's (conv stem, patches-only table)."""
    common = dict(img_size=img_size, embed_dim=32, depth=1, num_heads=2, mlp_ratio=2.0, num_classes=24, global_pool='token', qkv_bias=True)
    if stem:
        backbone = ConvStem(in_chans=3, depth=3, channels=(8, 8, 32), kernel_size=(4, 2, 2), stride=(4, 2, 2), padding=(0, 0, 0), norm_layer=torch.nn.BatchNorm2d, act_layer=torch.nn.GELU)
        model = VisionTransformer(patch_size=1, class_token=True, no_embed_class=True, pre_norm=False, embed_layer=partial(HybridEmbed, proj=False, backbone=backbone), **common)
    else:
        model = VisionTransformer(patch_size=8, class_token=True, no_embed_class=False, pre_norm=True, norm_layer=partial(torch.nn.LayerNorm, eps=1e-5), **common)
    randomize(model, seed)
    return model


# (directory, conv stem?, checkpoint img_size, run size): the grids are size / 8 (patch) or / 16 (stem).
VIT_CASES = [
    ('vit-cls-grow', False, 32, '56'),            # 4×4 → 7×7, class-token row
    ('vit-cls-shrink', False, 64, '24'),          # 8×8 → 3×3
    ('vit-cls-mixed', False, 48, '32x80'),        # 6×6 → 4×10
    ('vit-cls-nonsquare-table', False, (32, 48), '40x24'),  # 4×6 → 5×3
    ('vit-stem-grow', True, 64, '112'),           # 4×4 → 7×7, patches-only table
    ('vit-stem-shrink', True, 128, '48'),         # 8×8 → 3×3
    ('vit-stem-mixed', True, 96, '144x80'),       # 6×6 → 9×5
    ('vit-stem-same-count', True, 64, '32x128'),  # 4×4 → 2×8: as many patches, so timm keeps the table
    ('vit-stem-not-multiple', True, 64, '100x90'),  # 6×5 patches, the stem's floor division
]


def write_vits():
    for i, (name, stem, img, size) in enumerate(VIT_CASES):
        model = tiny_vit(img, stem, 4000 + i)
        args = types.SimpleNamespace(image_size=size, images=None, random_images=1, random_texts=0, texts=None, seed=10 + i)
        tool.dump_timm_model(model, os.path.join(OUT, name), args, [], None)


def write_preprocess():
    """open_clip's image_transform and Apple's Resize + CenterCrop + ToTensor at these sizes."""
    from PIL import Image
    import open_clip
    from open_clip.transform import image_transform
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Resize, ToTensor
    src = os.path.join(SHARED, 'openclip', 'oc-preprocess')
    images = ['chelsea.png', 'photo_q90.jpg', 'tall_83x297.png', 'wide_517x127_q85.jpg', 'palette_131x93.png', 'rgba_160x120.png']
    sizes = [48, (40, 64), (64, 40)]
    mean, std = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
    tensors, index = {}, []

    def crop(t, im):
        # Every step before ToTensor (and Normalize): the uint8 pixels the model input is made of.
        for step in t.transforms:
            if type(step).__name__ in ('ToTensor', 'MaybeToTensor', 'Normalize'):
                break
            im = step(im)
        return torch.tensor(list(im.convert('RGB').getdata()), dtype=torch.uint8).reshape(im.size[1], im.size[0], 3)

    for interp in ('bilinear', 'bicubic'):
        for mode in ('shortest', 'squash'):
            for size in sizes:
                t = image_transform(size, is_train=False, mean=mean, std=std, resize_mode=mode, interpolation=interp)
                key = f'open_clip.{interp}.{mode}.{"x".join(map(str, tool.hw(size)))}'
                index.append({'key': key, 'transform': 'open_clip', 'interpolation': interp, 'resize_mode': mode, 'size': list(tool.hw(size)), 'repr': repr(t)})
                for im in images:
                    tensors[f'{key}.{im}'] = crop(t, Image.open(os.path.join(src, im)))
    for size in sizes:
        # Apple's create_model_and_transforms with image_cfg.image_size = size.
        t = Compose([Resize(size, interpolation=InterpolationMode.BILINEAR), CenterCrop(size), ToTensor()])
        key = f'apple.{"x".join(map(str, tool.hw(size)))}'
        index.append({'key': key, 'transform': 'apple', 'size': list(tool.hw(size)), 'repr': repr(t)})
        for im in images:
            tensors[f'{key}.{im}'] = crop(t, Image.open(os.path.join(src, im)).convert('RGB'))
    tool.write_safetensors(os.path.join(OUT, 'preprocess.safetensors'), tensors, {'open_clip': open_clip.__version__})
    with open(os.path.join(OUT, 'preprocess.json'), 'w') as f:
        json.dump({'open_clip': open_clip.__version__, 'images': images, 'pipelines': index}, f, indent=1)
        f.write('\n')


def write_openclip_runs():
    images = [os.path.join(SHARED, 'openclip', 'oc-preprocess', f) for f in ('chelsea.png', 'photo_q90.jpg')]
    # The MCi run takes noise images: real photos drive its attention stage, with these random weights,
    # to where float32 alone moves it by 4e-5 of its range (torch float32 vs float64).
    for fixture, size, files in (('oc-vit-l14-tiny', '98x168', images), ('oc-mci-tiny', '64x96', [])):
        src = os.path.join(SHARED, 'openclip', fixture)
        out = os.path.join(OUT, f'{fixture}-{size}')
        tool.main(['open_clip', '--config', os.path.join(src, 'config.json'), '--pretrained', os.path.join(src, 'model.safetensors'), '--image-size', size,
                   *(['--images', *files] if files else []), '--out', out])  # random token rows: the tiny text towers have 1000 ids
        os.remove(os.path.join(out, 'model.safetensors'))  # the shared fixture's, unchanged
        with open(os.path.join(out, 'config.json')) as f:
            cfg = json.load(f)
        # Paths and versions that say where it was made, not what it is.
        cfg['fixture']['pretrained'] = f'../shared/fixtures/openclip/{fixture}/model.safetensors'
        cfg['fixture']['model'] = f'../shared/fixtures/openclip/{fixture}/config.json'
        if files:
            cfg['fixture']['image_input'] = {'files': [os.path.basename(p) for p in files], 'from': 'shared/fixtures/openclip/oc-preprocess'}
        with open(os.path.join(out, 'config.json'), 'w') as f:
            json.dump(cfg, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    write_pos_embed()
    write_vits()
    write_openclip_runs()
    write_preprocess()
