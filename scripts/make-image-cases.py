#!/usr/bin/python3
"""Writes test/fixtures/images/: small PNG and JPEG files in every mode PIL opens, and PIL's pixels for
each (the reference our decoder must match byte for byte).

PNGs are encoded here by hand (any colour type, bit depth, Adam7, tRNS, short palettes, every
filter type, split IDAT) because PIL's writer covers only a few of those; PIL then decodes them.
JPEGs come from PIL's writer and from libjpeg-turbo's cjpeg (restart markers, 4:1:1 and 4:4:0
sampling). For every file NAME the folder holds NAME.rgb = Image.open(f).convert('RGB').tobytes(),
NAME.crop5.rgb = the reference transform at size 5 (Resize(5, bilinear) on the shorter side,
CenterCrop(5), as torchvision computes it on a PIL image), and NAME.native5.{bilinear,bicubic}.rgb =
open_clip's order (the same resize and crop on the image in the mode PIL opened it in, then
convert('RGB')), all HWC; manifest.json lists sizes and PIL's mode. Run with Debian's python3-pil:  /usr/bin/python3 scripts/make-image-cases.py
"""
import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'images')
rng = random.Random(20261201)


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def pack_row(samples, depth):
    """Samples (ints) to PNG row bytes: big-endian 16-bit, or MSB-first packing below 8 bits."""
    if depth == 16:
        return b''.join(struct.pack('>H', s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp, first_filter):
    """Each row gets filter type (first_filter + y) % 5, so every filter meets every layout."""
    out, prev = bytearray(), None
    for y, row in enumerate(rows):
        f = (first_filter + y) % 5
        up = prev if prev is not None else bytes(len(row))
        line = bytearray([f])
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = up[i]
            c = up[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
            line.append((x - pred) & 0xFF)
        out += line
        prev = row
    return bytes(out)


def encode_png(width, height, ctype, depth, pixels, interlace=False, palette=None, trns=None, extra=(), split_idat=False):
    """pixels[y][x] = tuple of samples."""
    ch = CHANNELS[ctype]
    bpp = max(1, ch * depth // 8)
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for k, (x0, y0, dx, dy) in enumerate(passes):
        xs, ys = range(x0, width, dx), range(y0, height, dy)
        if not xs or not ys:
            continue
        rows = [pack_row([s for x in xs for s in pixels[y][x]], depth) for y in ys]
        raw += filter_rows(rows, bpp, k)
    data = zlib.compress(bytes(raw), 9)
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, ctype, 0, 0, 1 if interlace else 0))
    for e in extra:
        out += e
    if palette is not None:
        out += chunk(b'PLTE', bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        out += chunk(b'tRNS', trns)
    parts = [data[: len(data) // 3], data[len(data) // 3 :]] if split_idat else [data]
    for p in parts:
        out += chunk(b'IDAT', p)
    return out + chunk(b'IEND', b'')


def random_pixels(width, height, ch, maxval):
    return [[tuple(rng.randint(0, maxval) for _ in range(ch)) for _ in range(width)] for _ in range(height)]


def png_cases():
    cases = []
    for depth in (1, 2, 4, 8, 16):
        for inter in (False, True):
            cases.append((f'grey{depth}{"-adam7" if inter else ""}', 13, 7, 0, depth, inter, {}))
    cases.append(('grey2-trns', 13, 7, 0, 2, False, {'trns': struct.pack('>H', 1)}))
    cases.append(('grey16-trns-adam7', 13, 7, 0, 16, True, {'trns': struct.pack('>H', 300)}))
    cases.append(('grey16-low', 13, 7, 0, 16, False, {'max': 300}))  # most samples ≤ 255: PIL's I→RGB clip shows
    for depth in (8, 16):
        for inter in (False, True):
            cases.append((f'greyalpha{depth}{"-adam7" if inter else ""}', 11, 9, 4, depth, inter, {}))
            cases.append((f'rgb{depth}{"-adam7" if inter else ""}', 11, 9, 2, depth, inter, {}))
            cases.append((f'rgba{depth}{"-adam7" if inter else ""}', 11, 9, 6, depth, inter, {}))
    cases.append(('rgb8-trns', 11, 9, 2, 8, False, {'trns': struct.pack('>HHH', 1, 2, 3)}))
    cases.append(('rgb16-trns-adam7', 11, 9, 2, 16, True, {'trns': struct.pack('>HHH', 1, 2, 3)}))
    for depth in (1, 2, 4, 8):
        for inter in (False, True):
            cases.append((f'palette{depth}{"-adam7" if inter else ""}', 13, 7, 3, depth, inter, {}))
    cases.append(('palette4-trns', 13, 7, 3, 4, False, {'trns': bytes([0, 128, 255])}))
    cases.append(('palette8-trns-adam7', 13, 7, 3, 8, True, {'trns': bytes(range(0, 250, 7))}))
    cases.append(('palette4-short', 13, 7, 3, 4, False, {'palette_size': 5}))  # indices past the PLTE's 5 entries
    cases.append(('palette2-adam7-1x1', 1, 1, 3, 2, True, {}))
    cases.append(('grey1-adam7-3x2', 3, 2, 0, 1, True, {}))
    cases.append(('rgb8-adam7-2x9', 2, 9, 2, 8, True, {}))
    cases.append(('rgba8-ancillary-split', 11, 9, 6, 8, False, {'ancillary': True, 'split': True}))
    out = []
    for name, w, h, ctype, depth, inter, opt in cases:
        ch = CHANNELS[ctype]
        maxval = opt.get('max', (1 << depth) - 1)
        pal = None
        if ctype == 3:
            n = opt.get('palette_size', 1 << depth)
            pal = [tuple(rng.randint(0, 255) for _ in range(3)) for _ in range(n)]
        px = random_pixels(w, h, ch, maxval)
        extra = []
        if opt.get('ancillary'):
            extra = [chunk(b'gAMA', struct.pack('>I', 45455)), chunk(b'tEXt', b'Comment\x00made for the decoder tests')]
        data = encode_png(w, h, ctype, depth, px, inter, pal, opt.get('trns'), extra, opt.get('split', False))
        out.append((name + '.png', data))
    return out


def jpeg_cases():
    base = Image.frombytes('RGB', (33, 17), bytes(rng.randint(0, 255) for _ in range(33 * 17 * 3)))
    # smooth content so the JPEG is not all noise: a gradient plus noise
    grad = Image.linear_gradient('L').resize((33, 17)).convert('RGB')
    img = Image.blend(base, grad, 0.6)
    out = []

    def save(name, im, **kw):
        b = io.BytesIO()
        im.save(b, 'JPEG', **kw)
        out.append((name, b.getvalue()))

    save('grey.jpg', img.convert('L'), quality=90)
    save('rgb444.jpg', img, quality=90, subsampling=0)
    save('rgb422.jpg', img, quality=90, subsampling=1)
    save('rgb420.jpg', img, quality=90, subsampling=2)
    save('rgb420-progressive.jpg', img, quality=85, subsampling=2, progressive=True)
    save('grey-progressive.jpg', img.convert('L'), quality=85, progressive=True)
    cmyk = Image.frombytes('CMYK', (33, 17), bytes(rng.randint(0, 255) for _ in range(33 * 17 * 4)))
    save('cmyk-adobe.jpg', cmyk, quality=90)
    # The same CMYK file without its APP14 "Adobe" segment: PIL assumes Adobe polarity regardless.
    data = out[-1][1]
    i = data.find(b'\xff\xee')
    assert i > 0 and data[i + 4 : i + 9] == b'Adobe'
    seg = struct.unpack('>H', data[i + 2 : i + 4])[0]
    out.append(('cmyk-no-adobe-marker.jpg', data[:i] + data[i + 2 + seg :]))
    save('cmyk-progressive.jpg', cmyk, quality=80, progressive=True)
    with tempfile.TemporaryDirectory() as d:
        ppm = os.path.join(d, 'in.ppm')
        img.save(ppm)
        pgm = os.path.join(d, 'in.pgm')
        img.convert('L').save(pgm)
        for name, args, src in [
            ('rgb420-restart1.jpg', ['-quality', '90', '-restart', '1B'], ppm),
            ('rgb444-restart-rows.jpg', ['-quality', '90', '-sample', '1x1', '-restart', '1'], ppm),
            ('rgb411.jpg', ['-quality', '90', '-sample', '4x1,1x1,1x1'], ppm),
            ('rgb440.jpg', ['-quality', '90', '-sample', '1x2,1x1,1x1'], ppm),
            ('rgb420-optimized-progressive-restart.jpg', ['-quality', '75', '-optimize', '-progressive', '-restart', '2B'], ppm),
            ('grey-restart.jpg', ['-quality', '90', '-grayscale', '-restart', '1B'], pgm),
        ]:
            out.append((name, subprocess.run(['cjpeg', *args, src], check=True, capture_output=True).stdout))
    return out


def reference_crop(rgb, size, filt=Image.BILINEAR):
    """torchvision Resize(size) (a PIL filter) + CenterCrop(size) on a PIL image, in its own mode."""
    w, h = rgb.size
    short, long = min(w, h), max(w, h)
    if short != size:
        new_long = int(size * long / short)
        rgb = rgb.resize((size, new_long) if w <= h else (new_long, size), filt)
    w, h = rgb.size
    left = int(round((w - size) / 2.0))
    top = int(round((h - size) / 2.0))
    return rgb.crop((left, top, left + size, top + size))


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {'pillow': PIL.__version__, 'files': []}
    for name, data in png_cases() + jpeg_cases():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        mode = im.mode
        rgb = im.convert('RGB')
        stem = os.path.splitext(name)[0]
        with open(os.path.join(OUT, stem + '.rgb'), 'wb') as f:
            f.write(rgb.tobytes())
        with open(os.path.join(OUT, stem + '.crop5.rgb'), 'wb') as f:
            f.write(reference_crop(rgb, 5).tobytes())
        # open_clip's order: resize and crop the image in its own mode, convert afterwards.
        for fname, filt in (('bilinear', Image.BILINEAR), ('bicubic', Image.BICUBIC)):
            with open(os.path.join(OUT, f'{stem}.native5.{fname}.rgb'), 'wb') as f:
                f.write(reference_crop(im, 5, filt).convert('RGB').tobytes())
        manifest['files'].append({'file': name, 'width': rgb.size[0], 'height': rgb.size[1], 'pilMode': mode})
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    print(f"{len(manifest['files'])} files, Pillow {PIL.__version__}", file=sys.stderr)


if __name__ == '__main__':
    main()
