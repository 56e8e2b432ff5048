/**
 * Every read is bounded, through the real CLI: devices, FIFOs, sockets and directories are refused
 * by name before anything is read (never read whole, never waited on), JSON inputs are size-capped
 * and nesting-limited, configs are checked against sane ranges before anything is allocated, a
 * vocabulary gzip bomb is refused from its trailer. Each run's peak memory (the CLI process and
 * its child, measured by GNU time) stays under 1.5 GB.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-bounded-'));
const TIME = '/usr/bin/time';
const MAX_RSS_MB = 1536;
let socketServer: Server | null = null;

/** The CLI under GNU time (when there is one): exit code, stderr, peak RSS in MB of the process tree's largest. */
function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; err: string; out: string; rssMb: number | null; ms: number }> {
  const timed = existsSync(TIME);
  // Without GNU time the peak-RSS checks would pass having compared nothing: CI must have it.
  if (!timed && process.env.CI) throw new Error(`${TIME} (Debian's time package) is needed under CI to measure peak RSS`);
  return new Promise((done) => {
    const t0 = Date.now();
    const argv = timed ? ['-f', 'maxrss-kb=%M', process.execPath, BIN, ...args] : [BIN, ...args];
    const child = spawn(timed ? TIME : process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MOBILECLIP_CACHE: join(dir, 'cache'), MOBILECLIP_OFFLINE: '1' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /maxrss-kb=(\d+)\s*$/.exec(err);
      const rssMb = m ? Number(m[1]) / 1024 : null;
      err = err.replace(/(Command exited with non-zero status \d+\n)?maxrss-kb=\d+\s*$/, '').trimEnd();
      done({ code, err, out, rssMb, ms: Date.now() - t0 });
    });
  });
}

beforeAll(async () => {
  execFileSync('mkfifo', [join(dir, 'fifo.png')]);
  symlinkSync('/dev/zero', join(dir, 'dev.json'));
  mkdirSync(join(dir, 'a-folder.png'));
  writeFileSync(join(dir, 'brackets.json'), '['.repeat(100 << 20));
  writeFileSync(join(dir, 'deep.json'), `${'['.repeat(100_000)}1${']'.repeat(100_000)}`);
  writeFileSync(join(dir, 'bomb.txt.gz'), gzipSync(new Uint8Array(512 << 20), { level: 9 }));
  socketServer = createServer().listen(join(dir, 'socket.png'));
  await new Promise((r) => socketServer!.once('listening', r));
});
afterAll(() => {
  socketServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(haveFixtures())('bounded reads through the CLI', () => {
  const weights = () => fixturePath('clip-tiny', 'model.safetensors');
  const config = () => fixturePath('clip-tiny', 'config.json');
  const vocab = () => join(fixturePath(), '..', 'vocab', 'bpe_simple_vocab_16e6.txt.gz');
  const img = () => fixturePath('preprocess', 'coffee.png');
  const cases = (): [string, string[], RegExp][] => [
    ['--image /dev/zero', ['embed', '--config', config(), '--weights', weights(), '--image', '/dev/zero'], /\/dev\/zero: is a character device, not a file; an image must be a regular file/],
    ['--image /dev/urandom', ['embed', '--config', config(), '--weights', weights(), '--image', '/dev/urandom'], /\/dev\/urandom: is a character device/],
    ['--image FIFO', ['embed', '--config', config(), '--weights', weights(), '--image', join(dir, 'fifo.png')], /fifo\.png: is a FIFO \(named pipe\), not a file/],
    ['--image socket', ['embed', '--config', config(), '--weights', weights(), '--image', join(dir, 'socket.png')], /socket\.png: is a socket, not a file/],
    ['classify a folder', ['classify', join(dir, 'a-folder.png'), '--labels', 'a,b', '--config', config(), '--weights', weights(), '--vocab', vocab()], /skipped .*a-folder\.png: a directory with no image files in it \(looked for \.jpg, \.jpeg, \.jpe, \.jfif, \.png\)/],
    ['--weights /dev/zero', ['embed', '--config', config(), '--weights', '/dev/zero', '--image', img()], /\/dev\/zero: is a character device, not a file; a checkpoint must be a regular file/],
    ['info /dev/zero', ['info', '/dev/zero'], /\/dev\/zero: is a character device/],
    ['--vocab /dev/zero', ['embed', '--config', config(), '--weights', weights(), '--text', 'a cat', '--vocab', '/dev/zero'], /\/dev\/zero: is a character device, not a file; a vocabulary must be a regular file/],
    ['--vocab FIFO', ['embed', '--config', config(), '--weights', weights(), '--text', 'a cat', '--vocab', join(dir, 'fifo.png')], /fifo\.png: is a FIFO/],
    ['--vocab gzip bomb', ['embed', '--config', config(), '--weights', weights(), '--text', 'a cat', '--vocab', join(dir, 'bomb.txt.gz')], /inflates to 536870912 bytes, more than a vocabulary can be/],
    ['--labels @/dev/zero', ['classify', img(), '--labels', '@/dev/zero', '--config', config(), '--weights', weights(), '--vocab', vocab()], /\/dev\/zero: is a character device, not a file; a label file must be a regular file/],
    ['--labels @folder', ['classify', img(), '--labels', `@${dir}`, '--config', config(), '--weights', weights(), '--vocab', vocab()], new RegExp(`${dir.replace(/[/.]/g, '\\$&')}: is a directory, not a file`)],
    ['--tokens 100 MB of [', ['embed', '--config', config(), '--weights', weights(), '--tokens', join(dir, 'brackets.json')], /brackets\.json: JSON nested deeper than 4 levels/],
    ['--tokens 100,000 deep', ['embed', '--config', config(), '--weights', weights(), '--tokens', join(dir, 'deep.json')], /deep\.json: JSON nested deeper than 4 levels/],
    ['--tokens /dev/zero', ['embed', '--config', config(), '--weights', weights(), '--tokens', '/dev/zero'], /\/dev\/zero: is a character device/],
    ['--config /dev/zero', ['embed', '--config', '/dev/zero', '--weights', weights(), '--image', img()], /unknown model "\/dev\/zero"/],
    ['--config dev.json → /dev/zero', ['embed', '--config', join(dir, 'dev.json'), '--weights', weights(), '--image', img()], /dev\.json: is a character device/],
  ];

  it('refuses each by name, at once, in little memory', async () => {
    const rows: string[] = [];
    for (const [name, args, re] of cases()) {
      const r = await run(args);
      rows.push(`| ${name} | ${r.code} | ${(r.ms / 1000).toFixed(1)} | ${r.rssMb?.toFixed(0) ?? '-'} | ${r.err.split('\n')[0].slice(0, 120)} |`);
      expect(r.code, `${name}: ${r.err}`).toBe(1);
      expect(r.err, name).toMatch(re);
      expect(r.err, name).not.toMatch(/\n\s+at /); // no stack
      if (r.rssMb !== null) expect(r.rssMb, `${name}: peak RSS`).toBeLessThan(MAX_RSS_MB);
    }
    console.log(['| input | exit | s | peak RSS MB | error |', '|---|---|---|---|---|', ...rows].join('\n'));
  });

  it('configs out of range are refused naming the field, the value and the range, before anything is allocated', async () => {
    const oc = JSON.parse(readFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), 'utf8'));
    const apple = JSON.parse(readFileSync(config(), 'utf8'));
    const variants: [string, object, string, RegExp][] = [
      ['text layers 1e6', { ...oc, model_cfg: { ...oc.model_cfg, text_cfg: { ...oc.model_cfg.text_cfg, layers: 1e6 } } }, 'open_clip_config.json', /text_cfg\.layers is 1000000; it must be an integer from 0 to 256/],
      ['text width 1e6', { ...oc, model_cfg: { ...oc.model_cfg, text_cfg: { ...oc.model_cfg.text_cfg, width: 1e6 } } }, 'open_clip_config.json', /text width \(dim \/ width\) is 1000000; it must be an integer from 1 to 8192/],
      ['image stage of 1e5 blocks', { ...oc, model_cfg: { ...oc.model_cfg, vision_cfg: { ...oc.model_cfg.vision_cfg, timm_model_args: { ...oc.model_cfg.vision_cfg.timm_model_args, layers: [2, 2, 100000, 2] } } } }, 'open_clip_config.json', /FastViT blocks of stage 2 \(layers\[2\]\) is 100000; it must be an integer from 0 to 128/],
      ['vocab 1e9', { ...oc, model_cfg: { ...oc.model_cfg, text_cfg: { ...oc.model_cfg.text_cfg, vocab_size: 1e9 } } }, 'open_clip_config.json', /vocabulary size \(vocab_size\) is 1000000000; it must be an integer from 1 to 1048576/],
      ['image size 1e6', { ...oc, model_cfg: { ...oc.model_cfg, vision_cfg: { ...oc.model_cfg.vision_cfg, image_size: 1e6 } } }, 'open_clip_config.json', /image_size must be a positive integer or a \[height, width\] pair of them, each at most 16384; got 1000000/],
      ['Apple n_transformer_layers 1e6', { ...apple, text_cfg: { ...apple.text_cfg, n_transformer_layers: 1e6 } }, 'config.json', /n_transformer_layers is 1000000; it must be an integer from 0 to 256/],
      ['Apple heads 0.5', { ...apple, text_cfg: { ...apple.text_cfg, n_heads_per_layer: 0.5 } }, 'config.json', /n_heads_per_layer: expected a positive integer/],
    ];
    for (const [name, cfg, file, re] of variants) {
      const d = join(dir, name.replace(/\W+/g, '-'));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, file), JSON.stringify(cfg));
      const w = file === 'open_clip_config.json' ? fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors') : weights();
      const r = await run(['embed', '--config', join(d, file), '--weights', w, '--image', img()]);
      expect(r.code, `${name}: ${r.err}`).toBe(1);
      expect(r.err, name).toMatch(re);
      if (r.rssMb !== null) expect(r.rssMb, `${name}: peak RSS`).toBeLessThan(MAX_RSS_MB);
    }
  });

  it('a config asking for far more weights than the checkpoint holds stops early, in bounded memory', async () => {
    const apple = JSON.parse(readFileSync(config(), 'utf8'));
    const d = join(dir, 'wide');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...apple, text_cfg: { ...apple.text_cfg, dim: 8192, n_transformer_layers: 256, n_heads_per_layer: 64 } }));
    const r = await run(['embed', '--config', join(d, 'config.json'), '--weights', weights(), '--image', img()]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/does not fit .*config\.json: [\s\S]*stopped there: the model needs more weights than twice what the checkpoint holds/);
    if (r.rssMb !== null) expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
  });
});
