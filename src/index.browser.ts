/** Browser entry: everything in the platform-independent API, plus a Gpu from navigator.gpu. */
export * from './index.js';
export { createGpu } from './gpu/browser.js';
