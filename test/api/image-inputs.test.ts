/**
 * Image inputs as users hold them, through the one normalisation path (src/preprocess/image-input*).
 * Node: path, file: URL (object and string), http URL (a local server), Buffer, Uint8Array,
 * ArrayBuffer, decoded pixels with 1/3/4 channels, a decoded RgbImage. Browser: the same reader the
 * bundle uses, in Node with DOM-free stand-ins for ImageData, ImageBitmap, HTMLImageElement,
 * HTMLCanvasElement, OffscreenCanvas and VideoFrame (Node's own Blob and File are real). Each must
 * give PIL's RGB (the fixtures' decoded arrays); a bad input is a TypeError naming what it got,
 * and the model never returns NaN for one. (Here the JPEG wasm comes from the Node reader's module;
 * that the browser bundle registers its own is checked in test/runtime/browser-bundle.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { readSafetensors } from '../../src/io/read-file.js';
import type { SafetensorsFile } from '../../src/io/safetensors.js';
import { createModelAndTransforms } from '../../src/api/node.js';
import { createFromBytes } from '../../src/api/mobileclip.js';
import { modelSpecFromConfig } from '../../src/models/model-specs.js';
import { readNodeImage } from '../../src/preprocess/image-input.node.js';
import { readBrowserImage } from '../../src/preprocess/image-input.browser.js';
import { readImageInput } from '../../src/preprocess/image-input.js';
import type { RgbImage } from '../../src/preprocess/decode.js';

const g = useGpu();

/** RGBA of `rgb` with a varying alpha: converting back to RGB must drop it, not composite. */
function withAlpha(rgb: Uint8Array): Uint8ClampedArray {
  const n = rgb.length / 3;
  const out = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    out.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = p % 256;
  }
  return out;
}

/** Stand-ins for the DOM's decoded-image classes: each holds RGBA, which a 2-D context draws. */
class StandInImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}
class Drawable {
  constructor(
    readonly rgba: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}
class StandInImageBitmap extends Drawable {}
class StandInVideoFrame extends Drawable {
  get displayWidth() {
    return this.width;
  }
  get displayHeight() {
    return this.height;
  }
}
class StandInImageElement extends Drawable {
  complete = false;
  decoded = false;
  get naturalWidth() {
    return this.decoded ? this.width : 0;
  }
  get naturalHeight() {
    return this.decoded ? this.height : 0;
  }
  async decode() {
    this.decoded = true;
    this.complete = true;
  }
}
class StandInCanvas extends Drawable {}
class StandInOffscreenCanvas {
  private pixels: Uint8ClampedArray;
  constructor(
    readonly width: number,
    readonly height: number,
    source?: Uint8ClampedArray,
  ) {
    this.pixels = source ?? new Uint8ClampedArray(width * height * 4);
  }
  getContext(kind: string) {
    if (kind !== '2d') return null;
    return {
      drawImage: (src: Drawable | StandInOffscreenCanvas) => {
        const from = src instanceof StandInOffscreenCanvas ? src.pixels : src.rgba;
        if (src.width !== this.width || src.height !== this.height) throw new Error('stand-in draws at natural size only');
        this.pixels.set(from);
      },
      getImageData: (x: number, y: number, w: number, h: number) => {
        expect([x, y, w, h]).toEqual([0, 0, this.width, this.height]);
        return new StandInImageData(this.pixels.slice(), w, h);
      },
    };
  }
}
const STAND_INS = {
  ImageData: StandInImageData,
  ImageBitmap: StandInImageBitmap,
  VideoFrame: StandInVideoFrame,
  HTMLImageElement: StandInImageElement,
  HTMLCanvasElement: StandInCanvas,
  OffscreenCanvas: StandInOffscreenCanvas,
};

describe.runIf(haveFixtures())('image inputs', () => {
  let st: SafetensorsFile;
  let server: Server;
  let base = '';
  const rgbOf = (key: string) => st.uint8(`${key}.rgb`);
  const same = (img: RgbImage, key: string, what: string) => {
    const want = rgbOf(key);
    expect(img.data.length, what).toBe(want.length);
    expect(Buffer.compare(Buffer.from(img.data), Buffer.from(want)), `${what}: pixels differ from PIL's`).toBe(0);
  };

  beforeAll(async () => {
    st = await readSafetensors(fixturePath('preprocess', 'preprocess.safetensors'));
    server = createServer((req, res) => {
      const name = (req.url ?? '/').slice(1);
      if (!/^[\w.]+$/.test(name)) return void res.writeHead(404).end();
      let body: Buffer;
      try {
        body = readFileSync(fixturePath('preprocess', name));
      } catch {
        return void res.writeHead(404).end();
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    Object.assign(globalThis, STAND_INS);
  });
  afterAll(() => {
    server?.close();
    for (const k of Object.keys(STAND_INS)) delete (globalThis as Record<string, unknown>)[k];
  });

  it('Node: path, file: URL, file:// string, http URL, Buffer, Uint8Array, ArrayBuffer — PIL-exact, JPEG and PNG', async () => {
    for (const [file, key] of [['photo_q90.jpg', 'photo_q90'], ['rgba_160x120.png', 'rgba_160x120'], ['gray_120x90.png', 'gray_120x90']]) {
      const path = fixturePath('preprocess', file);
      const buf = readFileSync(path);
      const bytes = new Uint8Array(buf);
      const inputs: [string, unknown][] = [
        ['path', path],
        ['file: URL', pathToFileURL(path)],
        ['file:// string', pathToFileURL(path).href],
        ['http URL', new URL(`${base}/${file}`)],
        ['http string', `${base}/${file}`],
        ['Buffer', buf],
        ['Uint8Array', bytes],
        ['ArrayBuffer', bytes.slice().buffer],
      ];
      for (const [what, input] of inputs) same(await readNodeImage(input as string, 'image'), key, `${file} as ${what}`);
    }
  });

  it('decoded pixels: channels 3 as given, 4 with alpha dropped (not composited), 1 replicated; an RgbImage', async () => {
    const rgb = rgbOf('coffee');
    const [w, h] = [600, 400];
    same(await readImageInput({ data: rgb, width: w, height: h, channels: 3 }, 'x'), 'coffee', 'channels 3');
    same(await readImageInput({ data: withAlpha(rgb), width: w, height: h, channels: 4 }, 'x'), 'coffee', 'channels 4');
    const grey = rgbOf('gray_120x90').filter((_, i) => i % 3 === 0);
    same(await readImageInput({ data: grey, width: 120, height: 90, channels: 1 }, 'x'), 'gray_120x90', 'channels 1');
    const decoded = await readNodeImage(fixturePath('preprocess', 'coffee.png'), 'x');
    same(await readImageInput(decoded, 'x'), 'coffee', 'RgbImage');
  });

  it('browser kinds (DOM stand-ins; real Blob and File): Blob/File/URL via our decoders, decoded images drawn and read back', async () => {
    const path = fixturePath('preprocess', 'rgba_160x120.png');
    const bytes = new Uint8Array(readFileSync(path));
    same(await readBrowserImage(new Blob([bytes]), 'x'), 'rgba_160x120', 'Blob');
    same(await readBrowserImage(new File([bytes], 'rgba.png'), 'x'), 'rgba_160x120', 'File');
    same(await readBrowserImage(`${base}/rgba_160x120.png`, 'x'), 'rgba_160x120', 'URL string');
    same(await readBrowserImage(new URL(`${base}/photo_q90.jpg`), 'x'), 'photo_q90', 'URL');
    same(await readBrowserImage(bytes.buffer, 'x'), 'rgba_160x120', 'ArrayBuffer');
    // Pixels the browser decoded: RGBA with alpha; ours must drop the alpha.
    const rgba = withAlpha(rgbOf('chelsea'));
    const [w, h] = [451, 300];
    const kinds: [string, unknown][] = [
      ['ImageData', new StandInImageData(rgba, w, h)],
      ['ImageBitmap', new StandInImageBitmap(rgba, w, h)],
      ['HTMLImageElement (not yet decoded)', new StandInImageElement(rgba, w, h)],
      ['HTMLCanvasElement', new StandInCanvas(rgba, w, h)],
      ['OffscreenCanvas', new StandInOffscreenCanvas(w, h, rgba.slice())],
      ['VideoFrame', new StandInVideoFrame(rgba, w, h)],
    ];
    for (const [what, input] of kinds) {
      const img = await readBrowserImage(input as ImageData, 'x');
      expect([img.width, img.height], what).toEqual([w, h]);
      same(img, 'chelsea', what);
    }
  });

  it('anything else: a TypeError naming what was received and what is accepted', async () => {
    const bad: [unknown, RegExp][] = [
      [{}, /image: decoded pixels need `channels`|cannot read an image from an empty object/],
      [null, /cannot read an image from null; expected a file path/],
      [42, /from a number/],
      [new Float32Array(12), /from a Float32Array/],
      [{ data: new Uint8Array(10), width: 2, height: 2, channels: 3 }, /10 samples do not fill 2×2 pixels × 3 channels \(12\)/],
      [{ data: new Uint8Array(8), width: 2, height: 2, channels: 2 }, /channels must be 1, 3 or 4, got 2/],
      [{ data: new Float32Array(12), width: 2, height: 2, channels: 3 }, /8-bit samples .* got a Float32Array/],
      [{ data: new Uint8Array(12), width: 2.5, height: 2, channels: 3 }, /width and height must be positive integers, got 2\.5×2/],
      [{ data: new Uint8Array(12), width: 2, height: 2 }, /decoded pixels need `channels`/],
      [new URL('ftp://example.org/a.png'), /unsupported URL scheme ftp:/],
      ['', /an empty string is not a file path/],
    ];
    for (const [input, re] of bad) await expect(readNodeImage(input as string, 'image'), String(re)).rejects.toThrow(re);
    for (const [input] of bad.slice(0, 9)) await expect(readNodeImage(input as string, 'image')).rejects.toBeInstanceOf(TypeError);
    await expect(readBrowserImage({ width: 3 } as unknown as Blob, 'image 0')).rejects.toThrow(/image 0: cannot read an image from an object with keys \{width\}; expected a URL, a Blob/);
    await expect(readNodeImage(`${base}/missing.png`, 'image')).rejects.toThrow(/missing\.png answered HTTP 404/);
  });

  it('the model: every kind gives the same embedding as the bytes; a bad input rejects (never NaN)', async () => {
    const cfg = fixturePath('clip-tiny', 'config.json');
    const m = await createModelAndTransforms(cfg, { weights: fixturePath('clip-tiny', 'model.safetensors'), gpu: g.gpu });
    try {
      const path = fixturePath('preprocess', 'coffee.png');
      const buf = readFileSync(path);
      const rgb = rgbOf('coffee');
      const e = await m.model.encodeImages([path, pathToFileURL(path), buf, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), { data: withAlpha(rgb), width: 600, height: 400, channels: 4 }]);
      for (let k = 1; k < e.count; k++) expect(Array.from(e.data.subarray(k * e.dim, (k + 1) * e.dim)), `input ${k}`).toEqual(Array.from(e.data.subarray(0, e.dim)));
      expect(e.data.every(Number.isFinite)).toBe(true);
      for (const bad of [{}, 'does-not-exist.png', new ArrayBuffer(0), null]) {
        await expect(m.model.encodeImages([bad as string])).rejects.toThrow();
      }
      await expect(m.model.encodeImages({} as string[])).rejects.toThrow(TypeError);
      await expect(m.model.encodeTexts([7 as unknown as string])).rejects.toThrow(/text 0 is a number, not a string/);
      expect((await m.preprocess(path)).length).toBe(3 * 96 * 96);
    } finally {
      m.dispose();
    }
    // The browser path: a MobileCLIP with the browser reader takes a Blob and a stand-in canvas.
    const model = createFromBytes({
      gpu: g.gpu,
      spec: modelSpecFromConfig(JSON.parse(readFileSync(cfg, 'utf8'))),
      weights: new Uint8Array(readFileSync(fixturePath('clip-tiny', 'model.safetensors'))),
      readImage: readBrowserImage,
    });
    try {
      const bytes = new Uint8Array(readFileSync(fixturePath('preprocess', 'coffee.png')));
      const rgba = withAlpha(rgbOf('coffee'));
      const e = await model.encodeImages([bytes, new Blob([bytes]), new StandInCanvas(rgba, 600, 400) as unknown as HTMLCanvasElement]);
      for (let k = 1; k < e.count; k++) expect(Array.from(e.data.subarray(k * e.dim, (k + 1) * e.dim)), `browser input ${k}`).toEqual(Array.from(e.data.subarray(0, e.dim)));
      await expect(model.encodeImages([{ nope: 1 } as unknown as Blob])).rejects.toThrow(TypeError);
    } finally {
      model.dispose();
    }
  });
});
