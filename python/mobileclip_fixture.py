#!/usr/bin/env python3
"""Writes a parity fixture from your own PyTorch MobileCLIP model, for `npx mobileclip parity DIR`.

    python3 mobileclip_fixture.py apple mobileclip_s0 --pretrained mobileclip_s0.pt --out fx-s0
    python3 mobileclip_fixture.py open_clip MobileCLIP2-L-14 --pretrained dfndr2b --image-size 336 --out fx-l14
    python3 mobileclip_fixture.py timm vit_base_mci_224 --checkpoint trunk.pt --num-classes 512 --out fx-trunk

It builds the model the way you do (Apple's `mobileclip.create_model_and_transforms`, open_clip's
`create_model_and_transforms` with `force_image_size`, or `timm.create_model` + `set_input_size`),
runs it in eval mode on your images and texts (`--images`, `--texts`; preprocessed and tokenized
by the model's own transform and tokenizer) or on seeded random inputs, records the module
outputs the parity report compares with forward hooks, and writes

    config.json           the model config (Apple's config.json or open_clip's open_clip_config.json)
    model.safetensors     the weights as the run loaded them (before any positional-table resampling)
    inputs.safetensors    `image` float32 [B,3,H,W] (the model input), `text` int64 [T,L]
    outputs.safetensors   features, embeddings, logits and every intermediate, float32

in the format of the project's fixtures (see
https://github.com/mobileclip-webgpu/mobileclip-webgpu/blob/main/docs/parity-fixtures.md). It needs torch and the
model code you already use, nothing else: safetensors are written by this file, and on torch < 2
the two functions open_clip and timm call that torch 1.x lacks (F.scaled_dot_product_attention,
torch.compiler.disable) are supplied as plain-math stand-ins, recorded in config.json.
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

TOOL_VERSION = 1

# --------------------------------------------------------------------------------------------
# safetensors (the format is a JSON header and raw little-endian data; no package needed)

_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8', torch.float64: 'F64', torch.bool: 'BOOL'}
_TORCH = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} to `path` (through a temporary file renamed into place)."""
    items = []
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError(f'{name}: dtype {t.dtype} cannot be stored')
        items.append((name, t))
    # Larger elements first, so every tensor starts at a multiple of its element size.
    items.sort(key=lambda it: -it[1].element_size())
    header, offset, blobs = {}, 0, []
    for name, t in items:
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b''
        header[name] = {'dtype': _DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header['__metadata__'] = {'format': 'pt', **(metadata or {})}
    raw = json.dumps(header, separators=(',', ':')).encode()
    raw += b' ' * (-len(raw) % 8)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """{name: tensor} from a safetensors file (for checkpoints where the `safetensors` package is missing)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        buf = bytearray(data[a:b])
        t = torch.frombuffer(buf, dtype=torch.uint8) if buf else torch.empty(0, dtype=torch.uint8)
        out[name] = t.view(_TORCH[info['dtype']]).reshape(info['shape']).clone()
    return out


# --------------------------------------------------------------------------------------------
# torch 1.x: what open_clip and timm call that it lacks


def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax((q·scale) kᵀ + mask) v, the operation order of timm's and open_clip's non-fused paths."""
    s = q.shape[-1] ** -0.5 if scale is None else scale
    attn = (q * s) @ k.transpose(-2, -1)
    if is_causal:
        n, m = q.shape[-2], k.shape[-2]
        attn = attn.masked_fill(torch.ones(n, m, dtype=torch.bool, device=q.device).triu(1), float('-inf'))
    if attn_mask is not None:
        attn = attn.masked_fill(~attn_mask, float('-inf')) if attn_mask.dtype == torch.bool else attn + attn_mask
    return attn.softmax(dim=-1) @ v


def install_torch1_compat():
    """Adds the stand-ins torch < 2 needs; returns what was added (recorded in config.json)."""
    added = []
    if not hasattr(F, 'scaled_dot_product_attention'):
        F.scaled_dot_product_attention = _sdpa
        added.append('torch.nn.functional.scaled_dot_product_attention (plain math: softmax((q*scale) @ k^T + mask) @ v)')
    if not hasattr(torch, 'compiler'):
        class _Compiler:
            @staticmethod
            def disable(fn=None, recursive=True):
                return fn if fn is not None else (lambda f: f)
        torch.compiler = _Compiler()
        added.append('torch.compiler.disable (identity decorator)')
    if not hasattr(torch.amp, 'GradScaler') and hasattr(torch.cuda.amp, 'GradScaler'):
        torch.amp.GradScaler = torch.cuda.amp.GradScaler
        added.append('torch.amp.GradScaler (alias of torch.cuda.amp.GradScaler)')
    return added


def install_safetensors_reader():
    """Gives open_clip and timm a `safetensors.torch.load_file` where the package is missing."""
    try:
        import safetensors.torch  # noqa: F401
        return None
    except ImportError:
        pass
    import types
    pkg = types.ModuleType('safetensors')
    mod = types.ModuleType('safetensors.torch')
    mod.load_file = lambda path, device='cpu': read_safetensors(path)
    pkg.torch = mod
    sys.modules['safetensors'] = pkg
    sys.modules['safetensors.torch'] = mod
    return 'safetensors.torch.load_file (this tool\'s reader; the safetensors package is not installed)'


# --------------------------------------------------------------------------------------------
# Hooks: named module outputs


class Recorder:
    """Forward hooks that keep named module outputs (or inputs), detached, as float32."""

    def __init__(self):
        self.out = {}
        self.handles = []

    def output(self, module, name, fix=None):
        def hook(_m, _args, result):
            r = result[0] if isinstance(result, (tuple, list)) else result
            self.out[name] = (fix(r) if fix else r).detach().float().clone()
        self.handles.append(module.register_forward_hook(hook))

    def input(self, module, name, fix=None):
        def hook(_m, args):
            r = args[0]
            self.out[name] = (fix(r) if fix else r).detach().float().clone()
        self.handles.append(module.register_forward_pre_hook(hook))

    def close(self):
        for h in self.handles:
            h.remove()


def _is_identity(m):
    return m is None or isinstance(m, torch.nn.Identity)


def hook_timm_trunk(rec, trunk, kind):
    """`image.X` = output of trunk.X (the names of the project's OpenCLIP fixtures)."""
    if kind == 'vit':
        pe = trunk.patch_embed
        if hasattr(pe, 'backbone'):
            for i, m in enumerate(pe.backbone):
                rec.output(m, f'image.patch_embed.backbone.{i}' if i + 1 < len(pe.backbone) else 'image.patch_embed.backbone')
        else:
            rec.output(pe.proj, 'image.patch_embed.proj')
        rec.output(pe, 'image.patch_embed')
        rec.output(trunk.pos_drop, 'image.pos_embed')
        if not _is_identity(trunk.norm_pre):
            rec.output(trunk.norm_pre, 'image.norm_pre')
        for i, b in enumerate(trunk.blocks):
            rec.output(b, f'image.blocks.{i}')
        rec.output(trunk.norm, 'image.norm')
        rec.input(trunk.head, 'image.pooled')
    else:
        for i, m in enumerate(trunk.stem):
            rec.output(m, f'image.stem.{i}' if i + 1 < len(trunk.stem) else 'image.stem')
        for s, stage in enumerate(trunk.stages):
            if not _is_identity(getattr(stage, 'downsample', None)):
                rec.output(stage.downsample, f'image.stages.{s}.downsample')
            if not _is_identity(getattr(stage, 'pos_emb', None)):
                rec.output(stage.pos_emb, f'image.stages.{s}.pos_emb')
            for j, b in enumerate(stage.blocks):
                if j + 1 < len(stage.blocks):
                    rec.output(b, f'image.stages.{s}.blocks.{j}')
            rec.output(stage, f'image.stages.{s}')
        rec.output(trunk.final_conv, 'image.final_conv')
        rec.input(trunk.head.fc, 'image.pooled')


def hook_openclip_text(rec, text):
    # Older open_clip runs the transformer sequence-first ([L, B, W]); store batch-first.
    first = lambda t: t.permute(1, 0, 2) if t.dim() == 3 and not getattr(text.transformer, 'batch_first', True) else t
    rec.input(text.transformer, 'text.embeds', first)
    for i, b in enumerate(text.transformer.resblocks):
        rec.output(b, f'text.resblocks.{i}', first)
    rec.output(text.ln_final, 'text.ln_final')


def hook_apple(rec, model):
    """The names of the project's Apple-format fixtures (module paths under image_encoder.model / text_encoder)."""
    m = model.image_encoder.model
    if hasattr(m, 'network'):  # MCi (FastViT)
        for i, b in enumerate(m.patch_embed):
            rec.output(b, f'image.patch_embed.{i}' if i + 1 < len(m.patch_embed) else 'image.patch_embed')
        for i, block in enumerate(m.network):
            rec.output(block, f'image.network.{i}')
            if isinstance(block, torch.nn.Sequential):
                for j, sub in enumerate(block):
                    if j + 1 < len(block):
                        rec.output(sub, f'image.network.{i}.{j}')
        rec.output(m.conv_exp, 'image.conv_exp')
    else:  # ViT
        rec.output(m.patch_emb, 'image.patch_emb')
        rec.output(m.emb_dropout, 'image.embedding')
        for i, layer in enumerate(m.transformer):
            rec.output(layer, f'image.layer.{i}')
        rec.output(m.post_transformer_norm, 'image.post_transformer_norm')
    t = model.text_encoder
    rec.input(t.transformer[0], 'text.embedding')
    for i, layer in enumerate(t.transformer):
        rec.output(layer, f'text.layer.{i}')
    rec.output(t.final_layer_norm, 'text.final_layer_norm')


# --------------------------------------------------------------------------------------------
# timm towers: their config in the form the project reads


def timm_kind(trunk):
    name = type(trunk).__name__
    if name == 'VisionTransformer':
        return 'vit'
    if name == 'FastVit':
        return 'fastvit'
    raise SystemExit(f'error: timm {name} towers are not supported (VisionTransformer and FastVit are)')


def _layer(m):
    d = {'type': type(m).__name__}
    if hasattr(m, 'eps'):
        d['eps'] = m.eps
    return d


def timm_vit_args(trunk):
    """The VisionTransformer constructor arguments the project reads, from a built model."""
    pe = trunk.patch_embed
    b0 = trunk.blocks[0]
    args = {
        'img_size': list(pe.img_size),
        'embed_dim': trunk.embed_dim,
        'depth': len(trunk.blocks),
        'num_heads': b0.attn.num_heads,
        'mlp_ratio': b0.mlp.fc1.out_features / trunk.embed_dim,
        'qkv_bias': b0.attn.qkv.bias is not None,
        'qk_norm': not _is_identity(getattr(b0.attn, 'q_norm', None)),
        'init_values': 1.0 if not _is_identity(getattr(b0, 'ls1', None)) else None,
        'class_token': trunk.cls_token is not None,
        'no_embed_class': bool(trunk.no_embed_class),
        'reg_tokens': int(getattr(trunk, 'num_reg_tokens', 0)),
        'pre_norm': not _is_identity(trunk.norm_pre),
        'final_norm': not _is_identity(trunk.norm),
        'fc_norm': not _is_identity(getattr(trunk, 'fc_norm', None)),
        'dynamic_img_size': bool(getattr(trunk, 'dynamic_img_size', False)),
        'norm_layer': _layer(trunk.norm) if not _is_identity(trunk.norm) else None,
        'act_layer': {'type': type(b0.mlp.act).__name__},
    }
    if hasattr(pe, 'backbone'):
        convs = list(pe.backbone)
        norm = getattr(convs[0], 'bn', None)
        act = getattr(norm, 'act', None) if norm is not None else None
        args['patch_size'] = pe.patch_size[0]
        args['in_chans'] = convs[0].conv.in_channels
        args['embed_layer'] = {
            'type': 'HybridEmbed',
            'proj': not _is_identity(pe.proj),
            'backbone': {
                'type': type(pe.backbone).__name__,
                'channels': [c.conv.out_channels for c in convs],
                'kernel_size': [c.conv.kernel_size[0] for c in convs],
                'stride': [c.conv.stride[0] for c in convs],
                'padding': [c.conv.padding[0] for c in convs],
                'norm_layer': {'type': 'BatchNorm2d' if isinstance(norm, torch.nn.BatchNorm2d) else type(norm).__name__},
                'act_layer': {'type': type(act).__name__ if act is not None else None},
            },
        }
    else:
        args['patch_size'] = pe.patch_size[0]
        args['in_chans'] = pe.proj.in_channels
        args['embed_layer'] = {'type': 'PatchEmbed'}
    return args


def timm_vision_cfg(trunk, name, image_size, checkpoint_img_size=None):
    """open_clip's vision_cfg for a timm trunk that is its own projection (timm_proj null). A ViT's
    constructor arguments are written out (timm_model_class / timm_model_args, with the img_size
    its positional table was made for), so any ViT, registered or not, is described exactly."""
    kind = timm_kind(trunk)
    cfg = {'timm_model_name': name or f'custom_{kind}', 'timm_model_pretrained': False, 'timm_pool': 'avg', 'timm_proj': None, 'image_size': image_size}
    if kind == 'vit':
        cfg['timm_pool'] = trunk.global_pool
        cfg['timm_model_class'] = 'VisionTransformer'
        cfg['timm_model_args'] = timm_vit_args(trunk)
        if checkpoint_img_size is not None:
            cfg['timm_model_args']['img_size'] = list(checkpoint_img_size)
    elif name is None:
        raise SystemExit('error: a FastVit tower must be a registered timm architecture (fastvit_mci0 … fastvit_mci4)')
    return cfg


def registered_timm_name(trunk):
    """The timm architecture a trunk was made from, where timm registered it (None for a custom one)."""
    try:
        import timm
        arch = (getattr(trunk, 'pretrained_cfg', None) or {}).get('architecture')
        return arch if arch and arch in timm.list_models(arch) else None
    except Exception:
        return None


def grid_of(trunk):
    pe = getattr(trunk, 'patch_embed', None)
    return list(pe.grid_size) if pe is not None and hasattr(pe, 'grid_size') else None


# --------------------------------------------------------------------------------------------
# Inputs


def parse_size(s):
    """'336' → 336, '224x320' → (224, 320) (height × width), as open_clip's force_image_size takes it."""
    if s is None:
        return None
    parts = s.lower().split('x')
    if len(parts) not in (1, 2) or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise SystemExit(f'error: --image-size takes N or HxW (positive integers), got {s!r}')
    return int(parts[0]) if len(parts) == 1 else (int(parts[0]), int(parts[1]))


def hw(size):
    return (size, size) if isinstance(size, int) else tuple(size)


def image_batch(paths, preprocess, size, count, seed):
    """The images through the model's own transform, or `count` seeded uniform-noise inputs."""
    if paths:
        from PIL import Image
        return torch.stack([preprocess(Image.open(p)) for p in paths])
    g = torch.Generator().manual_seed(seed)
    h, w = hw(size)
    return torch.rand(count, 3, h, w, generator=g)


def random_token_rows(count, vocab, context, seed):
    """Rows of SOT (vocab−2), ids below it, EOT (vocab−1, the row's largest id), zero padding; one full row."""
    g = torch.Generator().manual_seed(seed + 1)
    rows = torch.zeros(count, context, dtype=torch.int64)
    for r in range(count):
        n = context if r == 1 else int(torch.randint(2, context, (1,), generator=g))
        rows[r, 0] = vocab - 2
        if n > 2:
            rows[r, 1:n - 1] = torch.randint(1, vocab - 2, (n - 2,), generator=g)
        rows[r, n - 1] = vocab - 1
    return rows


# --------------------------------------------------------------------------------------------
# Running and writing


def features_and_logits(out, image_features, text_features, logit_scale):
    if image_features is not None:
        out['image_features'] = image_features.float()
        out['image_embeddings'] = F.normalize(image_features.float(), dim=-1)
    if text_features is not None:
        out['text_features'] = text_features.float()
        out['text_embeddings'] = F.normalize(text_features.float(), dim=-1)
    if image_features is not None and text_features is not None and logit_scale is not None:
        out['logit_scale'] = logit_scale.float().reshape([])
        out['logits_per_image'] = logit_scale.float() * out['image_embeddings'] @ out['text_embeddings'].t()


def write_fixture(out_dir, config, state_dict, inputs, outputs):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=1)
        f.write('\n')
    write_safetensors(os.path.join(out_dir, 'model.safetensors'), state_dict)
    write_safetensors(os.path.join(out_dir, 'inputs.safetensors'), inputs)
    write_safetensors(os.path.join(out_dir, 'outputs.safetensors'), {k: v.float().contiguous() for k, v in outputs.items()})
    bad = [k for k, v in outputs.items() if not torch.isfinite(v).all()]
    print(f'wrote {out_dir}: {len(outputs)} outputs ({", ".join(sorted(outputs)[:4])}, …), {len(state_dict)} weights' + (f'; NOT FINITE: {bad}' if bad else ''), file=sys.stderr)


def fixture_block(args, compat, extra):
    return {
        'made_by': f'mobileclip_fixture.py v{TOOL_VERSION}',
        'torch': torch.__version__,
        'seed': args.seed,
        'compat': compat,
        'image_input': {'files': args.images} if args.images else {'random': args.random_images, 'seed': args.seed},
        'text_input': {'texts': args.texts} if args.texts else {'random': args.random_texts, 'seed': args.seed + 1},
        **extra,
    }


def run_apple(args, compat):
    import mobileclip
    model, _, preprocess = mobileclip.create_model_and_transforms(args.name, pretrained=args.pretrained, reparameterize=not args.no_reparameterize)
    model.eval()
    with open(os.path.join(os.path.dirname(mobileclip.__file__), 'configs', f'{args.name}.json')) as f:
        config = json.load(f)
    size = config['image_cfg']['image_size']
    images = image_batch(args.images, preprocess, size, args.random_images, args.seed)
    ctx = config['text_cfg']['context_length']
    text = mobileclip.get_tokenizer(args.name)(args.texts) if args.texts else random_token_rows(args.random_texts, config['text_cfg']['vocab_size'], ctx, args.seed)
    rec = Recorder()
    hook_apple(rec, model)
    with torch.no_grad():
        image_features = model.encode_image(images)
        text_features = model.encode_text(text)
        scale = model._exponentiate_and_clip_logits()
    rec.close()
    out = dict(rec.out)
    features_and_logits(out, image_features, text_features, scale)
    config['fixture'] = fixture_block(args, compat, {'format': 'apple', 'model': args.name, 'pretrained': args.pretrained, 'reparameterized': not args.no_reparameterize})
    write_fixture(args.out, config, model.state_dict(), {'image': images, 'text': text}, out)


def _strip_fixture_keys(model_cfg):
    """Removes the project's fixture-only keys (timm_model_class / _args) and registers that timm architecture."""
    v = model_cfg.get('vision_cfg', {})
    cls, targs = v.pop('timm_model_class', None), v.pop('timm_model_args', None)
    if cls is None:
        return
    import timm
    from timm.models import register_model
    name = v['timm_model_name']
    if name in timm.list_models(name):
        return
    if cls == 'VisionTransformer':
        from timm.models.vision_transformer import _create_vision_transformer as build
        targs = _decode_timm_args(targs)
    elif cls == 'FastVit':
        from timm.models.fastvit import _create_fastvit as build
        targs = _decode_timm_args(targs)
    else:
        raise SystemExit(f'error: timm_model_class {cls} is not supported')

    def factory(pretrained=False, **kwargs):
        return build(name, pretrained=pretrained, **dict(targs, **kwargs))
    factory.__name__ = name
    factory.__module__ = build.__module__  # registered beside timm's own architectures of that class
    register_model(factory)


def _decode_timm_args(a):
    """The fixtures' JSON spelling of classes ({"type": "GELU"}, …) back to the timm classes."""
    from functools import partial
    import timm.layers as L
    import timm.models.vision_transformer as vt
    import timm.models.fastvit as fv
    table = {'GELU': torch.nn.GELU, 'BatchNorm2d': torch.nn.BatchNorm2d, 'LayerNorm': L.LayerNorm, 'LayerNorm2d': L.LayerNorm2d,
             'Block': vt.Block, 'Mlp': L.Mlp, 'Attention': getattr(vt, 'Attention', None), 'PatchEmbed': L.PatchEmbed,
             'RepConditionalPosEnc': getattr(fv, 'RepConditionalPosEnc', None)}

    def dec(v):
        if isinstance(v, dict) and 'type' in v:
            t, rest = v['type'], {k: x for k, x in v.items() if k != 'type'}
            if t == 'HybridEmbed':
                from timm.models.vision_transformer_hybrid import ConvStem
                b = {k: dec(x) for k, x in rest['backbone'].items() if k != 'type'}
                return partial(L.HybridEmbed, proj=rest.get('proj', True), backbone=ConvStem(**b))
            cls = table.get(t)
            if cls is None:
                raise SystemExit(f'error: cannot rebuild {t} from the config')
            return partial(cls, **{k: dec(x) for k, x in rest.items()}) if rest else cls
        if isinstance(v, list):
            return tuple(dec(x) for x in v)
        return v
    return {k: dec(v) for k, v in a.items()}


def run_open_clip(args, compat):
    import open_clip
    name = args.name
    if args.config:
        with open(args.config) as f:
            cfg = json.load(f)
        model_cfg = json.loads(json.dumps(cfg['model_cfg']))
        _strip_fixture_keys(model_cfg)
        name = os.path.splitext(os.path.basename(args.config))[0]
        _add_model_config(open_clip, name, model_cfg)
    if open_clip.get_model_config(name) is None:
        raise SystemExit(f'error: open_clip has no model config {name!r}: name a registered model (open_clip.list_models()) or pass --config open_clip_config.json')
    size = parse_size(args.image_size)
    # A forced size makes open_clip load the checkpoint, then resample the timm trunk's table in
    # place (set_input_size): the table as the file holds it is kept as that call receives it.
    import open_clip.timm_model
    timm_tower = open_clip.timm_model.TimmModel
    resize = timm_tower.set_input_size
    as_loaded = {}

    def keep_then_resize(self, image_size):
        if getattr(self.trunk, 'pos_embed', None) is not None:
            as_loaded['visual.trunk.pos_embed'] = self.trunk.pos_embed.detach().clone()
        return resize(self, image_size)

    # A config file's preprocess_cfg is what a hub repo's open_clip_config.json gives open_clip; its
    # size follows the model (open_clip takes it from the image tower, force_image_size included).
    given = (cfg.get('preprocess_cfg') or {}) if args.config else {}
    timm_tower.set_input_size = keep_then_resize
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            name, pretrained=args.pretrained, force_image_size=size, image_mean=given.get('mean'), image_std=given.get('std'),
            image_interpolation=given.get('interpolation'), image_resize_mode=given.get('resize_mode'))
    finally:
        timm_tower.set_input_size = resize
    model.eval()
    state_dict = {**model.state_dict(), **as_loaded}
    model_cfg = open_clip.get_model_config(name)
    pcfg = dict(getattr(model.visual, 'preprocess_cfg', {}) or {})
    run_size = pcfg.get('size', model_cfg['vision_cfg'].get('image_size'))
    images = image_batch(args.images, preprocess, run_size, args.random_images, args.seed)
    tcfg = model_cfg['text_cfg']
    text = open_clip.get_tokenizer(name)(args.texts) if args.texts else random_token_rows(args.random_texts, tcfg.get('vocab_size', 49408), tcfg.get('context_length', 77), args.seed)
    trunk = model.visual.trunk
    kind = timm_kind(trunk)
    rec = Recorder()
    hook_timm_trunk(rec, trunk, kind)
    hook_openclip_text(rec, model.text)
    with torch.no_grad():
        image_features = model.encode_image(images)
        text_features = model.encode_text(text)
        scale = model.logit_scale.exp()
    rec.close()
    out = dict(rec.out)
    out['text.pooled'] = out['text.ln_final'][torch.arange(text.shape[0]), text.argmax(dim=-1)]
    resampled = _resampled_table(state_dict, 'visual.trunk.pos_embed', trunk)
    if resampled is not None:
        out['image.pos_embed_resampled'] = resampled
    features_and_logits(out, image_features, text_features, scale)
    vision = dict(model_cfg['vision_cfg'])
    if args.config:
        vision = dict(cfg['model_cfg']['vision_cfg'])  # keep the fixture-only keys the project reads
    vision['image_size'] = list(size) if isinstance(size, tuple) else (size or vision.get('image_size'))
    config = {'model_cfg': dict(model_cfg, vision_cfg=vision), 'preprocess_cfg': _jsonable(pcfg)}
    config['fixture'] = fixture_block(args, compat, {'format': 'open_clip', 'model': args.name or args.config, 'pretrained': args.pretrained, 'force_image_size': list(hw(size)) if size else None,
                                                     'run_grid': grid_of(trunk)})
    write_fixture(args.out, config, state_dict, {'image': images, 'text': text}, out)


def _jsonable(d):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def _add_model_config(open_clip, name, model_cfg):
    """Registers `model_cfg` with open_clip under `name` (it reads configs from files)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix='mobileclip_fixture_') as d:
        p = os.path.join(d, f'{name}.json')
        with open(p, 'w') as f:
            json.dump(model_cfg, f)
        open_clip.add_model_config(p)


def _resampled_table(state_dict, key, trunk):
    """The table the run used, where it differs from the checkpoint's (timm resampled it)."""
    before = state_dict.get(key)
    after = getattr(trunk, 'pos_embed', None)
    if before is None or after is None or (before.shape == after.shape and torch.equal(before, after)):
        return None
    return after.detach().float().clone()


def run_timm(args, compat):
    import timm
    kwargs = {}
    if args.num_classes is not None:
        kwargs['num_classes'] = args.num_classes
    if args.global_pool is not None:
        kwargs['global_pool'] = args.global_pool
    model = timm.create_model(args.name, pretrained=False, **kwargs)
    if args.checkpoint:
        sd = read_safetensors(args.checkpoint) if args.checkpoint.endswith('.safetensors') else torch.load(args.checkpoint, map_location='cpu')
        model.load_state_dict(sd['state_dict'] if isinstance(sd, dict) and 'state_dict' in sd else sd)
    dump_timm_model(model, args.out, args, compat, registered_timm_name(model) or args.name)


def dump_timm_model(model, out_dir, args, compat, name=None):
    """A bare timm image tower (its head is the projection), run at args.image_size as
    set_input_size makes it (the same call open_clip's force_image_size makes)."""
    model.eval()
    kind = timm_kind(model)
    state_dict = {k: v.detach().clone() for k, v in model.state_dict().items()}
    checkpoint_size = list(model.patch_embed.img_size) if kind == 'vit' else None
    checkpoint_grid = grid_of(model) if kind == 'vit' else None
    size = parse_size(args.image_size)
    if size is not None and kind == 'vit':
        model.set_input_size(size)
    run = list(hw(size)) if size is not None else (checkpoint_size or [256, 256])
    images = image_batch(args.images, _timm_preprocess(model, run) if args.images else None, run, args.random_images, args.seed)
    rec = Recorder()
    hook_timm_trunk(rec, model, kind)
    with torch.no_grad():
        features = model(images)
    rec.close()
    out = dict(rec.out)
    resampled = _resampled_table(state_dict, 'pos_embed', model)
    if resampled is not None:
        out['image.pos_embed_resampled'] = resampled
    features_and_logits(out, features, None, None)
    json_size = run[0] if run[0] == run[1] else run
    config = {'model_cfg': {'embed_dim': features.shape[-1], 'vision_cfg': timm_vision_cfg(model, name, json_size, checkpoint_size)}, 'preprocess_cfg': {'size': json_size}}
    config['fixture'] = fixture_block(args, compat, {'format': 'timm', 'model': name, 'force_image_size': list(hw(size)) if size is not None else None,
                                                     'checkpoint_grid': checkpoint_grid, 'run_grid': grid_of(model) if kind == 'vit' else None})
    write_fixture(out_dir, config, state_dict, {'image': images}, out)


def _timm_preprocess(model, size):
    import timm.data
    cfg = timm.data.resolve_model_data_config(model)
    cfg['input_size'] = (3, *size)
    return timm.data.create_transform(**cfg, is_training=False)


def main(argv=None):
    p = argparse.ArgumentParser(prog='mobileclip_fixture.py', description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('format', choices=['apple', 'open_clip', 'timm'], help="whose code builds the model: Apple's mobileclip, open_clip, or a bare timm image tower")
    p.add_argument('name', nargs='?', help='model name (mobileclip_s0, MobileCLIP2-S4, vit_base_mci_224, …)')
    p.add_argument('--out', required=True, help='the fixture directory to write')
    p.add_argument('--pretrained', help="apple: the .pt file; open_clip: a pretrained tag or a checkpoint file")
    p.add_argument('--config', help='open_clip: an open_clip_config.json to build instead of a registered name')
    p.add_argument('--checkpoint', help='timm: a state dict file (.pt, .bin or .safetensors)')
    p.add_argument('--num-classes', type=int, help="timm: the head's width (the embedding dimension)")
    p.add_argument('--global-pool', help='timm: the pooling (token, avg)')
    p.add_argument('--image-size', help="open_clip's force_image_size / timm's set_input_size: N or HxW")
    p.add_argument('--no-reparameterize', action='store_true', help="apple: keep the training-form branches (create_model_and_transforms(reparameterize=False))")
    p.add_argument('--images', nargs='+', help='image files, preprocessed by the model\'s own transform')
    p.add_argument('--texts', nargs='+', help="texts, tokenized by the model's own tokenizer")
    p.add_argument('--random-images', type=int, default=2, help='without --images: this many uniform-noise inputs (default 2)')
    p.add_argument('--random-texts', type=int, default=3, help='without --texts: this many random token rows (default 3)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=None, help='torch threads')
    args = p.parse_args(argv)
    if args.format != 'open_clip' and args.config:
        p.error('--config is for open_clip')
    if not args.name and not args.config:
        p.error('name a model (or, for open_clip, pass --config)')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    compat = install_torch1_compat()
    reader = install_safetensors_reader()
    if reader:
        compat.append(reader)
    {'apple': run_apple, 'open_clip': run_open_clip, 'timm': run_timm}[args.format](args, compat)


if __name__ == '__main__':
    main()
