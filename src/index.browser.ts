/** Browser entry: everything in the platform-independent API, plus a Gpu from navigator.gpu. */
export * from './index.js';
export { createGpu } from './backends/webgpu/browser.js';
export { createModelAndTransforms, type BrowserModelAndTransforms, type BrowserCreateOptions, type BrowserImageInput } from './api/browser.js';
export { readBrowserImage } from './preprocess/image-input.browser.js';
export { CacheStorageCache, BROWSER_CACHE_NAME } from './io/byte-cache.browser.js';
export { createModelInWorker, WorkerModel, type WorkerCreateOptions, type WorkerModelInfo } from './api/worker-client.js';
export { modelInfo } from './api/worker-protocol.js';
