/**
 * A checkpoint that does not fit the model named is reported in one screen, through the real entry
 * point: what the file looks like, the first few keys of each kind with shapes, the count of the
 * rest, and the command that would work; --verbose lists every key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { writeSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-wrong-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = () => fixturePath('preprocess', 'astronaut.png');
const VOCAB = () => join(fixturePath(), '..', 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
const MAX_LINES = 15;

describe.runIf(haveFixtures())('a checkpoint for another model, in one screen', () => {
  let s0Shaped = '';
  beforeAll(() => {
    // Exactly the real MobileCLIP2-S0's keys and shapes (oc-keys), zero-filled: 301 MB.
    const keys = JSON.parse(readFileSync(fixturePath('openclip', 'oc-keys', 'MobileCLIP2-S0.json'), 'utf8')).state_dict as Record<string, { shape: number[]; dtype: string }>;
    const sd = new Map(
      Object.entries(keys).map(([k, e]) => {
        const dtype = e.dtype === 'int64' ? ('I64' as const) : ('F32' as const);
        const n = e.shape.reduce((a, b) => a * b, 1);
        return [k, { dtype, shape: e.shape, data: new Uint8Array(n * (dtype === 'I64' ? 8 : 4)) }];
      }),
    );
    s0Shaped = join(dir, 'open_clip_model.safetensors');
    writeFileSync(s0Shaped, writeSafetensors(sd));
  });

  it("Apple's S0 loaded as mobileclip_s1: the file named, --model mobileclip_s0 suggested as a whole command", async () => {
    const r = await runCli('embed', '--model', 'mobileclip_s1', '--weights', fixturePath('s0-full', 'model.safetensors'), '--image', IMAGE());
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines.length, r.err).toBeLessThanOrEqual(MAX_LINES);
    expect(lines[0]).toMatch(/^mobileclip embed: WeightLoadError: .*s0-full\/model\.safetensors does not fit mobileclip_s1: \d+ missing, \d+ unexpected keys\.$/);
    expect(lines[1]).toBe('It looks like mobileclip_s0: load it with --model mobileclip_s0.');
    expect(r.err).toMatch(/\n {2}missing {5}image_encoder\.model\.\S+ {2}\[\d+(, \d+)*\]\n/);
    expect(r.err).toMatch(/\n {2}unexpected {2}text_encoder\.\S+ {2}\[\d+(, \d+)*\]\n/);
    expect(r.err).toMatch(/\n {2}… and \d+ more \(error\.details, or --verbose, lists every key\)\n/);
    expect(lines.at(-1)).toBe(`try: mobileclip embed --weights ${fixturePath('s0-full', 'model.safetensors')} --image ${IMAGE()} --model mobileclip_s0`);
  });

  it('--verbose lists every key, each once', async () => {
    const r = await runCli('embed', '--model', 'mobileclip_s1', '--weights', fixturePath('s0-full', 'model.safetensors'), '--image', IMAGE(), '--verbose');
    expect(r.code).toBe(1);
    const [, missing, unexpected] = /(\d+) missing, (\d+) unexpected keys/.exec(r.err)!.map(Number);
    expect(r.err).toMatch(new RegExp(`\\n {2}missing keys \\(${missing}\\):\\n`));
    expect(r.err).toMatch(new RegExp(`\\n {2}unexpected keys \\(${unexpected}\\):\\n`));
    const listed = r.err.split('\n').filter((l) => /^ {4}\S/.test(l));
    expect(listed.length).toBe(missing + unexpected);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('a real-shaped MobileCLIP2-S0 file loaded as MobileCLIP2-S2 or MobileCLIP2-B: its keys in the file\'s names, --model MobileCLIP2-S0', async () => {
    for (const asked of ['MobileCLIP2-S2', 'MobileCLIP2-B']) {
      const r = await runCli('classify', IMAGE(), '--labels', 'a cat,a dog', '--model', asked, '--weights', s0Shaped, '--vocab', VOCAB());
      expect(r.code, r.err).toBe(1);
      const lines = r.err.split('\n');
      expect(lines.length, r.err).toBeLessThanOrEqual(MAX_LINES);
      expect(lines[0]).toMatch(new RegExp(`open_clip_model\\.safetensors does not fit ${asked}: `));
      expect(lines[1]).toBe('It looks like MobileCLIP2-S0 (OpenCLIP, FastViT): load it with --model MobileCLIP2-S0.');
      // Keys the file has are named as the file names them.
      expect(r.err).toMatch(/\n {2}(unexpected|mis-shaped) {1,2}visual\.trunk\./);
      expect(lines.at(-1)).toBe(`try: mobileclip classify ${IMAGE()} --labels 'a cat,a dog' --weights ${s0Shaped} --vocab ${VOCAB()} --model MobileCLIP2-S0`);
    }
  });

  it('a MobileCLIP of its own shape: --config is the way, and no command is made up', async () => {
    const r = await runCli('classify', IMAGE(), '--labels', 'a,b', '--model', 'MobileCLIP2-S3', '--weights', fixturePath('openclip', 'oc-mci3-tiny', 'model.safetensors'), '--vocab', VOCAB());
    expect(r.code).toBe(1);
    const lines = r.err.split('\n');
    expect(lines.length, r.err).toBeLessThanOrEqual(MAX_LINES);
    expect(lines[1]).toBe('It looks like custom OpenCLIP (mci layers [1,2,2,1,1] widths [8,16,32,64,128]; text 2 layers width 64): load it with --config FILE (its open_clip_config.json).');
    expect(r.err).not.toMatch(/\ntry: /);
    // Mis-shaped keys are not listed as unexpected too.
    expect(r.err).toMatch(/\n {2}mis-shaped {2}visual\.trunk\.stem\.0\.conv_kxk\.0\.conv\.weight: checkpoint \[8, 3, 3, 3\], model expects \[96, 3, 3, 3\]\n/);
    expect(r.err).not.toMatch(/unexpected {2}visual\.trunk\.stem\.0\.conv_kxk\.0\.conv\.weight/);
  });
});
