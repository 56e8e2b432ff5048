/** Browser entry of the API: checkpoint and vocabulary as URLs (cached in Cache Storage), hub references, Blobs/Files or bytes. */
import { browserJpegWasm } from '../preprocess/jpeg-wasm.browser.js';
import { setJpegWasmSource } from '../preprocess/image-wasm.js';
import { createGpu } from '../backends/webgpu/browser.js';
import { startCpuThreads } from '../backends/cpu/threads.browser.js';
import { CacheStorageCache } from '../io/byte-cache.browser.js';
import { type BrowserImageInput, readBrowserImage } from '../preprocess/image-input.browser.js';
import { createModel, type LoadOptions } from './create.js';
import type { ModelAndTransforms } from './mobileclip.js';

// Called, not a bare import: package.json's sideEffects lets the bundler drop bare imports.
setJpegWasmSource(browserJpegWasm);

export type { BrowserImageInput };

/**
 * See LoadOptions. Strings are URLs (relative ones against the page or worker) or `hf-hub:`
 * references; downloads are cached in Cache Storage (where the page has it) unless `cache: null`.
 */
export type BrowserCreateOptions = LoadOptions;

/** Every browser image input: URLs, Blob/File, ImageData, ImageBitmap, <img>, canvases, VideoFrame, bytes, pixels. */
export type BrowserModelAndTransforms = ModelAndTransforms<BrowserImageInput>;

/** `name`: a model name, an `hf-hub:<org>/<repo>` reference, or a config.json / open_clip_config.json's parsed object. */
export async function createModelAndTransforms(name: string | object, o: BrowserCreateOptions = {}): Promise<BrowserModelAndTransforms> {
  const cache = o.cache === undefined ? (CacheStorageCache.available() ? new CacheStorageCache() : null) : o.cache;
  return createModel<BrowserImageInput>(name, { ...o, cache }, { createGpu, webgpuUnavailable, webgpuRemedy: 'use a browser with WebGPU', cpuThreads: () => startCpuThreads(), readImage: readBrowserImage, baseUrl: globalThis.location?.href });
}

/** A browser without WebGPU (Firefox on Linux, Safari before 26, …) runs the model on the CPU under device: 'auto'. */
function webgpuUnavailable(): string | null {
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu ? null : 'this browser has no WebGPU (navigator.gpu)';
}
