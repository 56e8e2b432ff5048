/**
 * A folder of photos through the real CLI entry point: directories walked (a symlink loop, dotfiles,
 * other file types), globs, `@list.txt` and `-`, broken files skipped and counted (exit 0 unless
 * --strict), `--jsonl` streamed, `--out` carrying the paths (.safetensors metadata; .npy with a
 * sidecar, read back by numpy where Python has it), `--text -`. The streamed embeddings equal
 * encodeImages' over the same files, bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { runCliWith } from '../helpers/cli.js';
import { writeFullVocabClipTiny } from '../helpers/full-vocab.js';
import { readSafetensors } from '../../src/io/read-file.js';
import { createModelAndTransforms } from '../../src/api/node.js';

const haveNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

describe.runIf(haveFixtures())('collections through the CLI: folders, lists, stdin, skips, streams', () => {
  let dir: string;
  const model = () => ['--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--device', 'cpu'];
  const run = (...argv: string[]) => runCliWith({ cwd: dir, timeoutMs: 180_000 }, ...argv);
  const pre = (f: string) => fixturePath('preprocess', f);
  /** The images the walk of photos/ takes, in its order (names sorted in each folder, code-unit order). */
  const GOOD = ['photos/a.png', 'photos/b.png', 'photos/sub/C.PNG', 'photos/sub/d.jpg', 'photos/sub/e.png', 'photos/sub/f.png', 'photos/z.jpg'];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-collections-'));
    mkdirSync(join(dir, 'photos/sub'), { recursive: true });
    mkdirSync(join(dir, 'photos/.thumbs'));
    copyFileSync(pre('astronaut.png'), join(dir, 'photos/a.png'));
    copyFileSync(pre('chelsea.png'), join(dir, 'photos/b.png'));
    copyFileSync(pre('coffee.png'), join(dir, 'photos/sub/C.PNG'));
    copyFileSync(pre('photo_q90.jpg'), join(dir, 'photos/sub/d.jpg'));
    copyFileSync(pre('gradient_300x200.png'), join(dir, 'photos/sub/e.png'));
    copyFileSync(pre('rgba_160x120.png'), join(dir, 'photos/sub/f.png'));
    copyFileSync(pre('photo_q90.jpg'), join(dir, 'photos/z.jpg'));
    copyFileSync(pre('coffee.png'), join(dir, 'photos/.thumbs/t.png')); // a dot-folder: not walked
    const jpg = readFileSync(pre('photo_q90.jpg'));
    writeFileSync(join(dir, 'photos/sub/cut.jpg'), jpg.subarray(0, 3000)); // truncated: cannot decode
    writeFileSync(join(dir, 'photos/sub/fake.png'), 'not a png\n'); // a text file named .png
    writeFileSync(join(dir, 'photos/notes.txt'), 'notes\n');
    writeFileSync(join(dir, 'photos/clip.mov'), '');
    symlinkSync('..', join(dir, 'photos/sub/loop')); // a loop: walked once
    writeFileSync(join(dir, 'list.txt'), 'photos/b.png\r\n\r\nphotos/sub/d.jpg\r\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('embed DIR --jsonl: every image once in walk order, broken and other files skipped with reasons and counted, exit 0', async () => {
    const r = await run('embed', 'photos', 'missing.png', '--jsonl', '--batch-size', '3', ...model());
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n').map((l) => JSON.parse(l) as { file: string; embedding?: number[]; skipped?: string });
    const embedded = lines.filter((l) => l.embedding);
    expect(embedded.map((l) => l.file)).toEqual(GOOD);
    for (const l of embedded) expect(l.embedding).toHaveLength(64);
    expect(lines.filter((l) => l.skipped).map((l) => [l.file, l.skipped])).toEqual([
      ['photos/sub/cut.jpg', 'corrupt or truncated JPEG data (libjpeg-turbo: Premature end of JPEG file)'],
      ['photos/sub/fake.png', expect.stringMatching(/^a text file; only PNG and JPEG/)],
    ]);
    const err = r.err.split('\n');
    expect(err).toEqual([
      'skipped photos/clip.mov: not a supported image type (.mov)',
      'skipped photos/notes.txt: not a supported image type (.txt)',
      'skipped missing.png: no such file or directory',
      'skipped photos/sub/cut.jpg: corrupt or truncated JPEG data (libjpeg-turbo: Premature end of JPEG file)',
      expect.stringMatching(/^skipped photos\/sub\/fake\.png: a text file; only PNG and JPEG/),
      'embedded 7 images; 5 skipped: 2 cannot decode, 2 not a supported image type, 1 no such file or directory',
    ]);
  });

  it('--strict stops at the first input that cannot be used, before the model loads, and writes nothing', async () => {
    const r = await run('embed', 'photos', '--strict', '--out', 'strict.safetensors', ...model());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/photos\/clip\.mov: not a supported image type \(\.mov\) \(--strict: stopping at the first input that cannot be used\)/);
    expect(existsSync(join(dir, 'strict.safetensors'))).toBe(false);
    // A file that fails only when decoded: the stream stops there, and nothing is written either.
    const broken = await run('embed', 'photos/a.png', 'photos/sub/cut.jpg', '--strict', '--out', 'strict.safetensors', ...model());
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/photos\/sub\/cut\.jpg: corrupt or truncated JPEG data \(libjpeg-turbo: Premature end of JPEG file\) \(--strict/);
    expect(existsSync(join(dir, 'strict.safetensors'))).toBe(false);
  });

  it('a glob, @list.txt and - (paths from stdin) give the same files and the same embeddings as naming them', async () => {
    const named = await run('embed', 'photos/b.png', 'photos/sub/d.jpg', 'photos/z.jpg', '--jsonl', ...model());
    expect(named.code, named.err).toBe(0);
    const glob = await run('embed', 'photos/**/*.jpg', '--jsonl', ...model());
    const listed = await run('embed', '@list.txt', '--jsonl', ...model());
    const piped = await runCliWith({ cwd: dir, stdin: 'photos/b.png\nphotos/sub/d.jpg\n', timeoutMs: 180_000 }, 'embed', '-', '--jsonl', ...model());
    const rows = (out: string) => out.split('\n').map((l) => JSON.parse(l) as { file: string; embedding?: number[] }).filter((l) => l.embedding);
    const byFile = new Map(rows(named.out).map((l) => [l.file, l.embedding]));
    // The glob reaches the truncated JPEG too: skipped, and said.
    expect(rows(glob.out).map((l) => l.file)).toEqual(['photos/sub/d.jpg', 'photos/z.jpg']);
    expect(glob.err.split('\n')).toEqual(['skipped photos/sub/cut.jpg: corrupt or truncated JPEG data (libjpeg-turbo: Premature end of JPEG file)', 'embedded 2 images; 1 skipped: 1 cannot decode']);
    for (const r of [glob, listed, piped]) {
      expect(r.code, r.err).toBe(0);
      for (const l of rows(r.out)) expect(l.embedding).toEqual(byFile.get(l.file));
    }
    expect(listed.err).toBe('');
    expect(piped.err).toBe('');
    expect(rows(listed.out).map((l) => l.file)).toEqual(['photos/b.png', 'photos/sub/d.jpg']);
    expect(rows(piped.out).map((l) => l.file)).toEqual(['photos/b.png', 'photos/sub/d.jpg']);
  });

  it('--out FILE.safetensors carries the paths; its rows equal encodeImages over the same files, bit for bit', async () => {
    const r = await run('embed', 'photos', '--batch-size', '3', '--out', 'all.safetensors', ...model());
    expect(r.code, r.err).toBe(0);
    const st = await readSafetensors(join(dir, 'all.safetensors'));
    expect(JSON.parse(st.metadata.image_paths)).toEqual(GOOD);
    const streamed = st.float32('image_embeddings');
    expect(st.info('image_embeddings').shape).toEqual([GOOD.length, 64]);
    const m = await createModelAndTransforms(fixturePath('clip-tiny', 'config.json'), { weights: fixturePath('clip-tiny', 'model.safetensors'), vocab: false, device: 'cpu' });
    try {
      const direct = await m.model.encodeImages(GOOD.map((f) => join(dir, f)), { batchSize: 3 });
      let maxDiff = 0;
      for (let i = 0; i < direct.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(direct.data[i] - streamed[i]));
      console.log(`streamed (broken files skipped between batches) vs encodeImages: max|Δ| ${maxDiff} over ${direct.data.length} values`);
      expect(direct.data.length).toBe(streamed.length);
      expect(maxDiff).toBe(0);
    } finally {
      m.dispose();
    }
  });

  it('--out FILE.npy writes the matrix and FILE.paths.json beside it; numpy reads them where Python has it', async () => {
    const r = await run('embed', 'photos', '--out', 'all.npy', ...model());
    expect(r.code, r.err).toBe(0);
    const bytes = readFileSync(join(dir, 'all.npy'));
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]));
    const headerLength = bytes.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes.subarray(10, 10 + headerLength).toString('latin1')).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(7, 64\), \} *\n$/);
    const sidecar = JSON.parse(readFileSync(join(dir, 'all.paths.json'), 'utf8'));
    expect(sidecar.image_paths).toEqual(GOOD);
    expect(sidecar.array).toBe('all.npy');
    const npy = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
    const st = await readSafetensors(join(dir, 'all.safetensors'));
    expect(Array.from(npy)).toEqual(Array.from(st.float32('image_embeddings')));
    if (haveNumpy) {
      const py = spawnSync('python3', ['-c', "import json, numpy as np; a = np.load('all.npy'); p = json.load(open('all.paths.json'))['image_paths']; print(a.shape, a.dtype, len(p), float(abs(a[2]).sum()))"], { cwd: dir, encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      const row2 = npy.subarray(2 * 64, 3 * 64).reduce((s, v) => s + Math.abs(v), 0);
      const [, shape, dtype, n, sum] = /^\((\d+, \d+)\) (\w+) (\d+) ([\d.e+-]+)$/.exec(py.stdout.trim())!;
      expect([shape, dtype, Number(n)]).toEqual(['7, 64', 'float32', 7]);
      expect(Math.abs(Number(sum) - row2)).toBeLessThan(1e-4);
    } else console.log('numpy not found: the .npy read back by its bytes only');
  });

  it('--text - reads the texts from stdin, one a line; classify DIR --jsonl streams predictions and skips the broken', async () => {
    const fv = join(dir, 'fullvocab');
    mkdirSync(fv, { recursive: true });
    await writeFullVocabClipTiny(fv);
    const vocab = resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz');
    const fvModel = ['--config', join(fv, 'config.json'), '--weights', join(fv, 'model.safetensors'), '--vocab', vocab, '--device', 'cpu'];
    const piped = await runCliWith({ cwd: dir, stdin: 'a cat\r\n\r\na photo of a dog\n', timeoutMs: 180_000 }, 'embed', '--text', '-', '--jsonl', ...fvModel);
    const named = await run('embed', '--text', 'a cat', 'a photo of a dog', '--jsonl', ...fvModel);
    expect(piped.code, piped.err).toBe(0);
    expect(piped.out).toBe(named.out);
    expect(piped.out.split('\n').map((l) => JSON.parse(l).text)).toEqual(['a cat', 'a photo of a dog']);

    const c = await run('classify', 'photos', '--labels', 'a cat,an astronaut,coffee', '--jsonl', '--top', '2', ...fvModel);
    expect(c.code, c.err).toBe(0);
    const lines = c.out.split('\n').map((l) => JSON.parse(l) as { file: string; predictions?: { label: string; probability: number }[]; skipped?: string });
    expect(lines.filter((l) => l.predictions).map((l) => l.file)).toEqual(GOOD);
    for (const l of lines.filter((x) => x.predictions)) {
      expect(l.predictions).toHaveLength(2);
      expect(l.predictions![0].probability).toBeGreaterThanOrEqual(l.predictions![1].probability);
    }
    expect(lines.filter((l) => l.skipped).map((l) => l.file)).toEqual(['photos/sub/cut.jpg', 'photos/sub/fake.png']);
    expect(c.err.split('\n').at(-1)).toBe('classified 7 images; 4 skipped: 2 cannot decode, 2 not a supported image type');
  });
});
