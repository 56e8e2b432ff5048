/** Node entry: everything in the platform-independent API, plus a Gpu through Dawn and file readers. */
export * from './index.js';
export { createGpu } from './backends/webgpu/node.js';
export { readSafetensors, readCheckpointFile, loadTokenizer } from './io/read-file.js';
export { FileReadError } from './io/regular-file.js';
export { createModelAndTransforms, createBackend, downloadModel, readImageFile, type ModelAndTransforms, type NodeCreateOptions, type NodeImageInput } from './api/node.js';
export { readNodeImage } from './preprocess/image-input.node.js';
export { FolderCache, defaultCacheDir } from './io/byte-cache.node.js';
export { openIndex, topK, type ImageIndex, type IndexUpdateOptions, type SearchHit, type UpdateSummary } from './api/collection.node.js';
export { IndexBusyError, IndexModelError } from './collection/index-store.node.js';
export { IndexFormatError } from './collection/manifest.js';
