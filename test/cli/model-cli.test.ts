/**
 * End to end through the CLI: classify on S0 (f16 fixture weights) against the reference logits,
 * embed on clip-tiny (a converted checkpoint and its config.json) against the reference
 * embeddings, preprocess against the reference pixels, and the errors users hit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURES, haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { expectClose } from '../helpers/compare.js';
import { BIN, runCli, runCliWith } from '../helpers/cli.js';
import { readSafetensors } from '../../src/io/read-file.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VOCAB = FIXTURES ? resolve(FIXTURES, '../vocab/bpe_simple_vocab_16e6.txt.gz') : '';

const run = runCli;

describe.runIf(haveFixtures())('mobileclip classify / embed / preprocess', () => {
  it('classify on S0 gives softmax of the reference logits for the reference captions', async () => {
    const captions = JSON.parse(readFileSync(fixturePath('s0-full', 'config.json'), 'utf8')).fixture.text_input.captions as string[];
    const images = ['astronaut.png', 'chelsea.png'].map((f) => fixturePath('preprocess', f));
    const r = await run('classify', ...images, '--labels', captions.join('|'), '--weights', fixturePath('s0-full', 'model.safetensors'), '--vocab', VOCAB, '--json');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out) as { file: string; predictions: { label: string; probability: number }[] }[];
    const logits = (await readSafetensors(fixturePath('s0-full', 'outputs.safetensors'))).float32('logits_per_image');
    for (let i = 0; i < 2; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const want = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      const gotRow = captions.map((c) => got[i].predictions.find((p) => p.label === c)!.probability);
      expectClose(`classify ${got[i].file}`, gotRow, want, { rel: 0, abs: 1e-5 });
    }
  });

  it('embed on clip-tiny (converted checkpoint + config.json): image and token embeddings match the reference', async () => {
    const ckpt = join(dir, 'clip-tiny.fused.safetensors');
    expect((await run('convert', fixturePath('clip-tiny', 'model.pt'), ckpt, '--reparam')).code).toBe(0);
    const inputs = await readSafetensors(fixturePath('clip-tiny', 'inputs.safetensors'));
    const ids = inputs.int32('text');
    const rows = [0, 1, 2].map((i) => Array.from(ids.subarray(i * 77, (i + 1) * 77)));
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify(rows));
    const out = join(dir, 'emb.safetensors');
    // clip-tiny's image 0 is coffee.png through the reference preprocessing at 96 px.
    const r = await run('embed', '--model', fixturePath('clip-tiny', 'config.json'), '--weights', ckpt, '--image', fixturePath('preprocess', 'coffee.png'), '--tokens', tokens, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const ref = await readSafetensors(fixturePath('clip-tiny', 'outputs.safetensors'));
    const got = await readSafetensors(out);
    expectClose('embed image (coffee.png)', got.float32('image_embeddings'), ref.float32('image_embeddings').subarray(0, 64), { rel: 1e-4 });
    expectClose('embed token rows', got.float32('token_embeddings'), ref.float32('text_embeddings'), { rel: 1e-4 });
    const json = JSON.parse(r.out);
    expect(json.images[0].embedding).toHaveLength(64);
  });

  it('preprocess writes the reference pixels', async () => {
    const out = join(dir, 'chelsea.safetensors');
    const r = await run('preprocess', fixturePath('preprocess', 'photo_q90.jpg'), '--size', '224', '--out', out);
    expect(r.code, r.err).toBe(0);
    const got = (await readSafetensors(out)).uint8('pixels');
    const want = (await readSafetensors(fixturePath('preprocess', 'preprocess.safetensors'))).uint8('photo_q90.pixels_224');
    expect(Buffer.compare(Buffer.from(got), Buffer.from(want))).toBe(0);
    expect((await run('preprocess', fixturePath('preprocess', 'tiny_50x37.png'), '--size', '64', '--out', join(dir, 'tiny.png'))).code).toBe(0);
  });

  it('clear errors and non-zero exits: corrupt image, missing file, text file as image, unknown model, wrong checkpoint', async () => {
    const corrupt = join(dir, 'corrupt.png');
    const png = readFileSync(fixturePath('preprocess', 'gradient_300x200.png'));
    writeFileSync(corrupt, png.subarray(0, png.length - 60));
    const notes = join(dir, 'notes.jpg');
    writeFileSync(notes, 'this is not an image\n');
    const common = ['--weights', fixturePath('s0-full', 'model.safetensors'), '--vocab', VOCAB, '--labels', 'a,b'];
    const cases: [string[], RegExp][] = [
      [['classify', corrupt, ...common], /corrupt\.png: truncated PNG: the IDAT chunk at byte 33 runs past the end of the file/],
      [['classify', join(dir, 'missing.png'), ...common], /missing\.png: no such file/],
      [['classify', notes, ...common], /notes\.jpg: a text file; only PNG and JPEG/],
      [['embed', '--model', 'mobileclip_s9', '--weights', fixturePath('s0-full', 'model.safetensors'), '--image', fixturePath('preprocess', 'astronaut.png')], /unknown model "mobileclip_s9"/],
      [['embed', '--model', 'mobileclip_s1', '--weights', fixturePath('s0-full', 'model.safetensors'), '--image', fixturePath('preprocess', 'astronaut.png')], /does not fit mobileclip_s1[\s\S]*It looks like mobileclip_s0: load it with --model mobileclip_s0/],
      [['embed', '--weights', join(dir, 'nope.safetensors'), '--image', fixturePath('preprocess', 'astronaut.png')], /nope\.safetensors.*(no such file|ENOENT)/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.err).toMatch(re);
    }
  });
});

describe.runIf(haveFixtures())("the README's quick start", () => {
  it('its classify command runs as written, with the default weights paths, on a JPEG and a PNG', async () => {
    // The command from README.md's first code block under "Classify images", as written (the
    // package test runs every marked block from the installed tarball; this one runs in the checkout).
    const readme = readFileSync(resolve(BIN, '../../README.md'), 'utf8');
    const block = /## Classify images\s+(?:<!--[^>]*-->\s+)?```sh\n([\s\S]*?)```/.exec(readme)![1];
    const line = block.split('\n').find((l) => l.startsWith('npx mobileclip classify'))!;
    const argv = [...line.replace(/#.*$/, '').matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(2);
    expect(argv.slice(0, 3)).toEqual(['classify', 'cat.jpg', 'dog.png']);
    // What weights/fetch.sh leaves behind (the download step aside): the default paths.
    const cwd = mkdtempSync(join(tmpdir(), 'mobileclip-readme-'));
    try {
      mkdirSync(join(cwd, 'weights'));
      symlinkSync(fixturePath('s0-full', 'model.safetensors'), join(cwd, 'weights/mobileclip_s0.safetensors'));
      symlinkSync(VOCAB, join(cwd, 'weights/bpe_simple_vocab_16e6.txt.gz'));
      copyFileSync(fixturePath('preprocess', 'photo_q90.jpg'), join(cwd, 'cat.jpg'));
      copyFileSync(fixturePath('preprocess', 'astronaut.png'), join(cwd, 'dog.png'));
      const r = await runCliWith({ cwd }, ...argv);
      expect(r.code, r.err).toBe(0);
      const lines = r.out.split('\n');
      expect(lines.filter((l) => /^ +\d+\.\d\d% {2}(cat|dog|a cup of coffee)$/.test(l))).toHaveLength(6);
      expect(lines.filter((l) => /^(cat\.jpg|dog\.png)$/.test(l))).toEqual(['cat.jpg', 'dog.png']);
      console.log(r.out);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
