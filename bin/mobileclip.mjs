#!/usr/bin/env node
// In a checkout, run the TypeScript sources through tsx; in an installed package, the built CLI.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
let mod;
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(src.href);
} else {
  mod = await import(new URL('../dist/node/cli.js', import.meta.url).href);
}
process.exitCode = await mod.main(process.argv.slice(2));
