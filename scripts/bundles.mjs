// The browser bundles, built one way for the package (scripts/build.mjs), the demo
// (scripts/demo.mjs) and the real-browser tests (test/browser): the library (index.js), its model
// worker (worker.js, found beside index.js) and the demo page. The JPEG decoder's wasm (~170 kB, scripts/build-jpeg-wasm.mjs)
// is inlined as bytes ('.wasm': 'binary'): one file to serve, no second request, no path to
// configure under a bundler or a CDN, at the price of base64 in the bundle.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const COMMON = { bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning', loader: { '.wasm': 'binary' } };
const browser = { ...COMMON, platform: 'browser' };

/** dist/browser: index.js (the library) and worker.js (createModelInWorker's worker). */
export async function buildBrowser(outDir) {
  await build({ ...browser, entryPoints: ['src/index.browser.ts'], outfile: join(outDir, 'index.js') });
  await build({ ...browser, entryPoints: ['src/worker.browser.ts'], outfile: join(outDir, 'worker.js') });
}

/**
 * The demo page: index.html, style.css, app.js (the page: worker client and model list only),
 * worker.js (the runtime), and index.js (the library, imported by the page only for worker=0).
 */
export async function buildDemo(outDir) {
  mkdirSync(outDir, { recursive: true });
  await build({ ...browser, entryPoints: ['demo/app.ts'], outfile: join(outDir, 'app.js') });
  await buildBrowser(outDir);
  for (const f of ['index.html', 'style.css']) copyFileSync(join('demo', f), join(outDir, f));
}
