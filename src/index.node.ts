/** Node entry: everything in the platform-independent API, plus a Gpu through Dawn and file readers. */
import './preprocess/jpeg-wasm.node.js';
export * from './index.js';
export { createGpu } from './gpu/node.js';
export { readSafetensors, readCheckpointFile, loadTokenizer } from './io/read-file.js';
export { createModelAndTransforms, readImageFile, type ModelAndTransforms } from './api/node.js';
