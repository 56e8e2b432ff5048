/** Browser entry: everything in the platform-independent API, plus a Gpu from navigator.gpu. */
export * from './index.js';
export { createGpu } from './backends/webgpu/browser.js';
export { createModelAndTransforms, type BrowserModelAndTransforms, type BrowserCreateOptions, type BrowserImageInput } from './api/browser.js';
export { readBrowserImage } from './preprocess/image-input.browser.js';
export { CacheStorageCache, BROWSER_CACHE_NAME } from './io/byte-cache.browser.js';
export { createModelInWorker, WorkerModel, type WorkerCreateOptions, type WorkerModelInfo } from './api/worker-client.js';
export { modelInfo } from './api/worker-protocol.js';
export { openIndex, fileKey, type BrowserImageIndex, type BrowserIndexUpdateOptions, type SearchHit, type SearchOptions, type UpdateSummary } from './api/collection.browser.js';
export { IndexBusyError } from './collection/index-folder.js';
export { IndexModelError } from './collection/index-store.js';
export { IndexFormatError } from './collection/manifest.js';
