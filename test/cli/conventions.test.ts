/**
 * The CLI's conventions, each through the real entry point (bin/mobileclip.mjs in a child
 * process): --help and --version, strict options with a suggestion, one exit-code rule (2 usage,
 * 1 failure), progress on stderr only when asked or on a terminal, no Dawn noise, convert keeping
 * dtypes, info's form line, parity's exit code, a closed output pipe.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { BIN, runCli as run, runCliWith } from '../helpers/cli.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { isFloat } from '../../src/io/host-tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-conventions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const COMMANDS = ['classify', 'embed', 'preprocess', 'tokenize', 'info', 'convert', 'parity', 'bench', 'list'];
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

describe('mobileclip conventions', () => {
  it('--help of every command: its usage on stdout, exit 0, nothing run', async () => {
    for (const cmd of COMMANDS) {
      for (const flag of cmd === 'bench' ? ['--help', '-h'] : ['--help']) {
        const t0 = performance.now();
        const r = await run(cmd, flag);
        expect(r.code, `${cmd} ${flag}: ${r.err}`).toBe(0);
        expect(r.out).toMatch(new RegExp(`^usage: mobileclip ${cmd} `));
        expect(r.out).toMatch(/--quiet/);
        expect(r.err).toBe('');
        // bench --help must not open a GPU or run anything: no adapter line.
        expect(r.out).not.toMatch(/adapter:/);
        if (cmd === 'bench') console.log(`bench ${flag}: ${(performance.now() - t0).toFixed(0)} ms, usage only`);
      }
    }
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const cmd of COMMANDS) expect(top.out).toContain(`  ${cmd} `);
    expect((await run('help', 'convert')).out).toMatch(/^usage: mobileclip convert /);
  });

  it('--version prints the package version; no command is a usage error', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(VERSION);
    }
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/usage: mobileclip <command>/);
  });

  it('unknown or misspelt options and commands: exit 2 with the nearest name, never read as a path', async () => {
    const cases: [string[], RegExp][] = [
      [['classify', 'photo.jpg', '--lables', 'a,b'], /unknown option --lables; did you mean --labels\?/],
      [['embed', '--imgae', 'a.png'], /unknown option --imgae; did you mean --image\?/],
      [['preprocess', 'a.png', '--sise', '3', '--out', 'x.png'], /did you mean --size\?/],
      [['tokenize', '--vocabb', 'v.gz', 'a cat'], /did you mean --vocab\?/],
      [['info', 'x.pt', '--jsn'], /did you mean --json\?/],
      [['convert', 'a', 'b', '--reparm'], /did you mean --reparam\?/],
      [['parity', 'dir', '--tolerence', '1'], /did you mean --tolerance\?/],
      [['bench', '--model', 's0'], /did you mean --models\?/],
      [['bench', '--frobnicate'], /unknown option --frobnicate\b/],
      [['clasify', 'a.png'], /unknown command "clasify"; did you mean classify\?/],
      [['classify', '--labels'], /argument missing/],
      [['classify', '--labels', 'a', '--labels', 'b', 'x.png'], /--labels given twice/],
      [['info'], /missing argument: usage: mobileclip info/],
      [['info', 'a.pt', 'b.pt'], /unexpected argument "b\.pt"/],
      [['convert', 'a', 'b', '--dtype', 'f8'], /--dtype must be f32 or f16, got f8/],
      [['bench', '--image-batches', '0'], /batch sizes must be positive integers/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
      expect(r.err).not.toMatch(/no such file/);
    }
  });

  it('a missing input file is exit 1 in every command that reads one', async () => {
    const nope = join(dir, 'nope');
    const cases: string[][] = [
      ['info', `${nope}.pt`],
      ['convert', `${nope}.pt`, join(dir, 'out.safetensors')],
      ['preprocess', `${nope}.png`, '--out', join(dir, 'p.png')],
      ['classify', `${nope}.png`, '--labels', 'a,b'],
      ['embed', '--image', `${nope}.png`, '--weights', `${nope}.safetensors`],
      ['tokenize', '--vocab', `${nope}.gz`, 'a cat'],
      ['parity', `${nope}-fixture`],
    ];
    for (const argv of cases) {
      const r = await run(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(1);
      expect(r.err, argv.join(' ')).toMatch(/nope[\w.-]*:? .*(no such file|not found|ENOENT)|no such file/);
    }
  });

  describe.runIf(haveFixtures())('with fixtures', () => {
    const vocab = () => resolve(FIXTURES!, '../vocab/bpe_simple_vocab_16e6.txt.gz');
    const embedArgs = () => ['embed', '--model', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--image', fixturePath('preprocess', 'photo_q90.jpg')];

    it('progress: on stderr with --progress, off in a pipe, off with --quiet; stdout unchanged; no Dawn warnings', async () => {
      const plain = await run(...embedArgs());
      const shown = await run(...embedArgs(), '--progress');
      const quiet = await run(...embedArgs(), '--progress', '--quiet');
      // A terminal on stderr but stdout into a pipe: still quiet (the output is being captured).
      const piped = await runCliWith({ env: { MOBILECLIP_STDERR_TTY: '1' } }, ...embedArgs());
      for (const r of [plain, shown, quiet, piped]) {
        expect(r.code, r.err).toBe(0);
        expect(r.out).toBe(plain.out);
        expect(r.err).not.toMatch(/artificially reduced/);
      }
      expect(shown.err).toMatch(/^loading .*model\.safetensors… done in \d+\.\d\d s$/m);
      expect(shown.err).toMatch(/^embedding 1 image \(the first forward compiles the GPU kernels\)… done in \d+\.\d\d s$/m);
      for (const r of [plain, quiet, piped]) expect(r.err).toBe('');
      // Into a pipe nothing is redrawn: each phase is one line.
      expect(shown.err).not.toContain('\r');
    });

    it('on a narrow terminal every redrawn progress line fits its width (stty cols 60)', () => {
      const images = ['photo_q90.jpg', 'astronaut.png', 'coffee.png'].map((f) => fixturePath('preprocess', f));
      const argv = ['embed', '--model', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), ...images, '--batch-size', '1'];
      const cmd = `stty cols 60; "${process.execPath}" "${BIN}" ${argv.map((x) => `"${x}"`).join(' ')}`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      // (The command's own output shares the terminal: its result lines are taken out first.)
      const redrawn = r.stdout.replace(/image \S+: \[[^\]]*\] \(\d+\)/g, '').split(/\r\n?|\n/).map((l) => l.replace(/\x1b\[K/g, '')).filter((l) => /\[[#.]+\]|kernels? compiled/.test(l));
      expect(redrawn.length).toBeGreaterThan(0);
      for (const l of redrawn.flatMap((x) => x.split('\r'))) expect(l.length, l).toBeLessThan(60);
      expect(r.stdout).toMatch(/\[#+\] 3\/3/);
    });

    it('--json: an error is JSON on stdout ({"error": {"type", "message"}}) with the usual exit code, nothing on stderr', async () => {
      const missing = await run('info', join(dir, 'nope.pt'), '--json');
      expect(missing.code).toBe(1);
      expect(missing.err).toBe('');
      const e1 = JSON.parse(missing.out) as { error: { type: string; message: string } };
      expect(e1.error.type).toMatch(/Error$/);
      expect(e1.error.message).toMatch(/nope\.pt.*no such file/);
      const usage = await run('info', 'a.pt', 'b.pt', '--json');
      expect(usage.code).toBe(2);
      expect(usage.err).toBe('');
      expect(JSON.parse(usage.out)).toEqual({ error: { type: 'UsageError', message: expect.stringMatching(/unexpected argument "b\.pt"/) } });
      // A command without --json keeps the plain form.
      const plain = await run('preprocess', join(dir, 'nope.png'), '--out', join(dir, 'p.png'));
      expect(plain.code).toBe(1);
      expect(plain.out).toBe('');
      expect(plain.err).toMatch(/^mobileclip preprocess: .*nope\.png/);
    });

    it('progress on a real terminal (script(1) gives the command a pty): shown by default, hidden by --quiet', () => {
      const cmd = (extra: string) => `"${process.execPath}" "${BIN}" ${embedArgs().map((x) => `"${x}"`).join(' ')} ${extra}`;
      const onTty = spawnSync('script', ['-qec', cmd(''), '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
      expect(onTty.status, onTty.stderr).toBe(0);
      expect(onTty.stdout).toMatch(/loading .*model\.safetensors… done in \d+\.\d\d s/);
      // On a terminal the kernels are counted as they compile: on the loading line (compiled ahead
      // while the checkpoint loads) or on the first forward's.
      // (A line that would not fit the terminal's width drops the label's parenthetical remark.)
      expect(onTty.stdout).toMatch(/(loading .*model\.safetensors|embedding 1 image( \(the first forward compiles the GPU kernels\))?)… \d+ kernels compiled \(\d+\.\d s\); /);
      expect(onTty.stdout).toMatch(/image .*photo_q90\.jpg: \[/);
      const quiet = spawnSync('script', ['-qec', cmd('--quiet'), '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
      expect(quiet.status, quiet.stderr).toBe(0);
      expect(quiet.stdout).not.toMatch(/loading|done in/);
      expect(quiet.stdout).toMatch(/image .*photo_q90\.jpg: \[/);
    });

    it('convert keeps the input float dtype (also for re-parameterised tensors) unless --dtype', async () => {
      const f16 = join(dir, 'mci.f16.safetensors');
      expect((await run('convert', fixturePath('mci-tiny', 'model.safetensors'), f16, '--dtype', 'f16')).code).toBe(0);
      for (const [args, name] of [[[], 'plain'], [['--reparam'], 'reparam']] as const) {
        const out = join(dir, `mci.${name}.safetensors`);
        const r = await run('convert', f16, out, ...args);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(/, F16(, re-parameterised)?$/);
        const sd = (await readCheckpointFile(out)).stateDict;
        const src = (await readCheckpointFile(f16)).stateDict;
        for (const [k, t] of sd) {
          if (isFloat(t)) expect(t.dtype, k).toBe('F16');
          if (name === 'plain') expect(Buffer.compare(Buffer.from(t.data), Buffer.from(src.get(k)!.data)), k).toBe(0);
        }
      }
      const f32 = join(dir, 'mci.f32.safetensors');
      expect((await run('convert', f16, f32, '--dtype', 'f32')).out).toMatch(/, F32$/);
    });

    it('info: "no model weights" for a file without them, "nothing to re-parameterise" for a ViT or base text tower', async () => {
      const inputs = await run('info', fixturePath('clip-tiny', 'inputs.safetensors'));
      expect(inputs.code).toBe(0);
      expect(inputs.out).toMatch(/^form: +no model weights$/m);
      expect(JSON.parse((await run('info', fixturePath('clip-tiny', 'inputs.safetensors'), '--json')).out).fused).toBeNull();
      for (const f of ['vit-tiny', 'text-base-tiny']) expect((await run('info', fixturePath(f, 'model.safetensors'))).out).toMatch(/^form: +nothing to re-parameterise$/m);
      expect((await run('info', fixturePath('mci-tiny', 'model.safetensors'))).out).toMatch(/^form: +training/m);
      expect((await run('info', fixturePath('mci-tiny', 'model.reparam.safetensors'))).out).toMatch(/^form: +fused/m);
      expect((await run('info', fixturePath('text-perlayer-tiny', 'model.safetensors'))).out).toMatch(/FFN per layer 128\/256/);
    });

    it('parity: exit 0 on the per-layer text fixture, exit 1 when a tensor is out of tolerance', async () => {
      const pass = await run('parity', fixturePath('text-perlayer-tiny'));
      expect(pass.code, pass.err).toBe(0);
      expect(pass.out).toMatch(/^PASS: 6 tensors within tolerance$/m);
      const fail = await run('parity', fixturePath('text-perlayer-tiny'), '--tolerance', '1e-12');
      expect(fail.code).toBe(1);
      expect(fail.out).toMatch(/FAIL/);
    });

    it('a closed output pipe ends the command quietly (tokenize | head -1)', () => {
      const texts = Array.from({ length: 200 }, (_, i) => `"caption number ${i}"`).join(' ');
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" tokenize --vocab "${vocab()}" ${texts} | head -1`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('"caption number 0" (5 ids)');
      expect(r.stderr).toBe('');
    });
  });
});
