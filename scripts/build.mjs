// Bundles the library for Node (Dawn through the `webgpu` package, kept external) and for browsers
// (navigator.gpu; no Node built-ins may leak in: the build fails if one does).
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', sourcemap: true, target: 'es2022', logLevel: 'info', loader: { '.wasm': 'binary' } };

await build({ ...common, entryPoints: ['src/index.node.ts'], outfile: 'dist/node/index.js', platform: 'node', external: ['webgpu'] });
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/node/cli.js', platform: 'node', external: ['webgpu'] });
await build({ ...common, entryPoints: ['src/index.browser.ts'], outfile: 'dist/browser/index.js', platform: 'browser' });
