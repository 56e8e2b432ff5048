/**
 * Node's image reader: everything `readCommonImage` takes, plus a file path, a `file:` URL and an
 * `http(s):` URL (as a `URL` or a string that starts with the scheme), read and decoded by our
 * PNG/JPEG decoders.
 */
import { fileURLToPath } from 'node:url';
import { nodeJpegWasm } from './jpeg-wasm.node.js';
import { setJpegWasmSource } from './image-wasm.js';
import { download } from '../io/download.js';
import { readBytes } from '../io/read-file.js';
import type { RgbImage } from './decode.js';
import { decodeImage } from './decode.js';
import { COMMON_KINDS, type ImageInput, type ImageReader, readCommonImage, unsupportedImage } from './image-input.js';

// Called, not a bare import: package.json's sideEffects lets the bundler drop bare imports.
setJpegWasmSource(nodeJpegWasm);

export type NodeImageInput = ImageInput | string | URL;

export const NODE_IMAGE_KINDS = `a file path, a file: or http(s): URL, ${COMMON_KINDS}`;

async function readUrl(url: URL, name: string): Promise<RgbImage> {
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    return decodeImage(await readBytes(path, 'image'), path);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return decodeImage(await download(url.href, { what: name, kind: 'image' }), url.href);
  throw new TypeError(`${name}: unsupported URL scheme ${url.protocol} (${url.href}); expected file:, http: or https:`);
}

export const readNodeImage: ImageReader<NodeImageInput> = async (input, name) => {
  if (input instanceof URL) return readUrl(input, name);
  if (typeof input === 'string') {
    if (input === '') throw new TypeError(`${name}: an empty string is not a file path`);
    return /^(https?|file):\/\//i.test(input) ? readUrl(new URL(input), name) : decodeImage(await readBytes(input, 'image'), input);
  }
  const r = readCommonImage(input, name);
  if (!r) throw unsupportedImage(input, name, NODE_IMAGE_KINDS);
  return r;
};
