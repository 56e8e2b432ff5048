/** Node entry: everything in the platform-independent API, plus a Gpu through Dawn and file readers. */
export * from './index.js';
export { createGpu } from './backends/webgpu/node.js';
export { readSafetensors, readCheckpointFile, loadTokenizer } from './io/read-file.js';
export { FileReadError } from './io/regular-file.js';
export { createModelAndTransforms, createBackend, downloadModel, readImageFile, type ModelAndTransforms, type NodeCreateOptions, type NodeImageInput } from './api/node.js';
export { readNodeImage } from './preprocess/image-input.node.js';
export { FolderCache, defaultCacheDir } from './io/byte-cache.node.js';
