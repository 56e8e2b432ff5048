/** Browser entry: everything in the platform-independent API, plus a Gpu from navigator.gpu. */
import './preprocess/jpeg-wasm.browser.js';
export * from './index.js';
export { createGpu } from './gpu/browser.js';
export { createModelAndTransforms } from './api/browser.js';
