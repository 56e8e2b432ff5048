// Bundles the library for Node (Dawn through the `webgpu` package, kept external: an optional
// dependency) and for browsers (navigator.gpu; no Node built-ins may leak in: the build fails if
// one does), and the CLI. No source maps: with sources inlined they are 6 MB a bundle, and the
// TypeScript sources (run through tsx in a checkout) are the place to debug.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning', loader: { '.wasm': 'binary' } };

await build({ ...common, entryPoints: ['src/index.node.ts'], outfile: 'dist/node/index.js', platform: 'node', external: ['webgpu'] });
await build({ ...common, entryPoints: ['src/cli/run.ts'], outfile: 'dist/node/cli.js', platform: 'node', external: ['webgpu'] });
await build({ ...common, entryPoints: ['src/index.browser.ts'], outfile: 'dist/browser/index.js', platform: 'browser' });

// TypeScript 6 and later declare WebGPU in lib.dom; for older versions the package's `types@<6`
// export condition points here, where the entries add the @webgpu/types globals (a dependency).
mkdirSync('dist/types/ts5', { recursive: true });
for (const entry of ['index.node', 'index.browser']) {
  writeFileSync(`dist/types/ts5/${entry}.d.ts`, `/// <reference types="@webgpu/types" />\nexport * from '../${entry}.js';\n`);
}
