/**
 * The browser bundle: built by esbuild for platform "browser", it must not pull in Node built-ins
 * or the Dawn package, and it must run: here navigator.gpu is Dawn's GPU object, so the bundle's
 * own code path (browser device bootstrap included) computes a linear layer.
 */
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randn } from '../helpers/random.js';
import { gemmRef } from '../../src/ops/index.js';
import { expectClose } from '../helpers/compare.js';

describe('browser bundle', () => {
  it('has no Node imports and runs a kernel through navigator.gpu', async () => {
    const out = await build({ entryPoints: ['src/index.browser.ts'], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', target: 'es2022', loader: { '.wasm': 'binary' } });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*["'](node:|fs|path|webgpu)/);
    expect(code).not.toMatch(/require\(["'](node:|fs|webgpu)/);

    const dir = mkdtempSync(join(tmpdir(), 'mobileclip-browser-'));
    const file = join(dir, 'bundle.mjs');
    writeFileSync(file, code);
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    const nav = globalThis as unknown as { navigator?: { gpu?: GPU } };
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true, writable: true });
    try {
      const lib = await import(pathToFileURL(file).href);
      if (haveFixtures()) {
        // The tokenizer (ftfy port, gunzip, BPE) through the bundle: a mojibake case from the fixtures.
        const tok = lib.SimpleTokenizer.fromGzip(new Uint8Array(readFileSync(resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz'))));
        const cases = JSON.parse(readFileSync(fixturePath('tokenizer', 'tokenizer.json'), 'utf8')).cases as { text: string; ids: number[] }[];
        for (const c of cases) expect(Array.from(tok.tokenize(c.text).ids)).toEqual(c.ids);
        // Image decoding and preprocessing through the bundle (libjpeg-turbo wasm bundled as bytes).
        // Every preprocessing case, from the source files, at both sizes.
        const st = lib.SafetensorsFile.parse(new Uint8Array(readFileSync(fixturePath('preprocess', 'preprocess.safetensors'))));
        const index = JSON.parse(readFileSync(fixturePath('preprocess', 'index.json'), 'utf8'));
        for (const im of index.images as { key: string; file: string }[]) {
          const img = await lib.decodeImage(new Uint8Array(readFileSync(fixturePath('preprocess', im.file))), im.file);
          for (const size of [256, 224]) {
            const r = lib.preprocessRgb(img, size);
            expect(Buffer.compare(Buffer.from(r.pixels), Buffer.from(st.uint8(`${im.key}.pixels_${size}`))), `${im.file} at ${size} through the browser bundle`).toBe(0);
          }
          // The bundle's own image reader (its JPEG wasm registered by the bundle, not by this test): a Blob of the file.
          const fromBlob = await lib.readBrowserImage(new Blob([readFileSync(fixturePath('preprocess', im.file))]), im.file);
          expect(Buffer.compare(Buffer.from(fromBlob.data), Buffer.from(st.uint8(`${im.key}.rgb`))), `${im.file} as a Blob through the bundle's reader`).toBe(0);
        }
      }
      const gpu = await lib.createGpu();
      try {
        const x = randn(5 * 12, 1);
        const w = randn(7 * 12, 2);
        const y = lib.kernels.linear(gpu.upload(x, [5, 12]), gpu.upload(w, [7, 12]), { act: 'gelu' });
        expectClose('browser bundle linear+gelu', await y.read(), gemmRef({ a: x, b: w, bLayout: 'nk', M: 5, N: 7, K: 12, act: 'gelu' }), { rel: 1e-5 });
      } finally {
        gpu.destroy();
      }
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete nav.navigator;
    }
  });
});
