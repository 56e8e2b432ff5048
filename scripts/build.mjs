// Bundles the library for Node (Dawn through the `webgpu` package, kept external: an optional
// dependency; undici too, loaded only behind a proxy, so its security fixes reach users through
// npm rather than our release) and for browsers (navigator.gpu; no Node built-ins may leak in: the build fails if
// one does; see bundles.mjs), and the CLI. No source maps: with sources inlined they are 6 MB a
// bundle, and the TypeScript sources (run through tsx in a checkout) are the place to debug.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildBrowser, COMMON } from './bundles.mjs';

rmSync('dist', { recursive: true, force: true });
const node = { ...COMMON, platform: 'node', external: ['webgpu', 'undici'] };
await build({ ...node, entryPoints: ['src/index.node.ts'], outfile: 'dist/node/index.js' });
await build({ ...node, entryPoints: ['src/cli/run.ts'], outfile: 'dist/node/cli.js' });
// The decode pool's worker (src/preprocess/decode-pool.node.ts loads it beside index.js and cli.js).
await build({ ...node, entryPoints: ['src/preprocess/decode-worker.node.ts'], outfile: 'dist/node/decode-worker.js' });
await buildBrowser('dist/browser');
// The JPEG decoder (scripts/build-jpeg-wasm.mjs): Node reads it beside index.js, cli.js and
// decode-worker.js (src/preprocess/jpeg-wasm.node.ts); the browser bundles inline it. Its licence
// ships with it.
copyFileSync('src/preprocess/jpeg-turbo.wasm', 'dist/node/jpeg-turbo.wasm');
mkdirSync('dist/licenses', { recursive: true });
copyFileSync('src/preprocess/jpeg-turbo.LICENSE.md', 'dist/licenses/libjpeg-turbo.md');

// TypeScript 6 and later declare WebGPU in lib.dom; for older versions the package's `types@<6`
// export condition points here, where the entries add the @webgpu/types globals (a dependency).
mkdirSync('dist/types/ts5', { recursive: true });
for (const entry of ['index.node', 'index.browser']) {
  writeFileSync(`dist/types/ts5/${entry}.d.ts`, `/// <reference types="@webgpu/types" />\nexport * from '../${entry}.js';\n`);
}

// On stderr: `npm pack --json` (prepack builds) keeps stdout for its JSON.
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
for (const f of ['dist/browser/index.js', 'dist/browser/worker.js', 'dist/node/index.js', 'dist/node/jpeg-turbo.wasm']) {
  console.error(`${f}: ${kb(statSync(f).size)} (${kb(gzipSync(readFileSync(f)).length)} gzipped)`);
}
