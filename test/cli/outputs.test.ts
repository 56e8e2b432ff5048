/**
 * No command loses a user's file: an output that is one of the command's inputs (same path, a
 * ./ alias, a symlink or a hard link) is refused before any work (exit 2), and every output is
 * written atomically, so a write that fails part way (a file-size limit, `ulimit -f`) leaves the
 * previous file byte-identical and no temporary file behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { BIN, runCli as run, runCliWith } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveFixtures())('outputs never destroy a file', () => {
  it('an output that is an input is refused before any work, the input intact', async () => {
    const ckpt = join(dir, 'in.safetensors');
    copyFileSync(fixturePath('clip-tiny', 'model.safetensors'), ckpt);
    const img = join(dir, 'img.png');
    copyFileSync(fixturePath('preprocess', 'coffee.png'), img);
    symlinkSync(ckpt, join(dir, 'link.safetensors'));
    linkSync(img, join(dir, 'hard.png'));
    const before = [readFileSync(ckpt), readFileSync(img)];
    const model = ['--model', fixturePath('clip-tiny', 'config.json'), '--weights', ckpt];
    const cases: string[][] = [
      ['convert', ckpt, ckpt],
      ['convert', ckpt, `${dir}/./in.safetensors`, '--reparam'],
      ['convert', join(dir, 'link.safetensors'), ckpt],
      ['embed', ...model, '--image', img, '--out', ckpt],
      ['embed', ...model, '--image', img, '--out', img],
      ['preprocess', img, '--out', img],
      ['preprocess', img, '--out', join(dir, 'hard.png')],
    ];
    for (const argv of cases) {
      const r = await runCliWith({ cwd: dir }, ...argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(/refusing to overwrite an input/);
    }
    expect(Buffer.compare(readFileSync(ckpt), before[0])).toBe(0);
    expect(Buffer.compare(readFileSync(img), before[1])).toBe(0);
  });

  it('an existing output that is not an input is replaced whole', async () => {
    const out = join(dir, 'replaced.png');
    writeFileSync(out, 'old contents');
    expect((await run('preprocess', fixturePath('preprocess', 'coffee.png'), '--size', '32', '--out', out)).code).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a write cut short by a file-size limit (ulimit -f) leaves the old file and no temporary', () => {
    // (GPU commands cannot run under `ulimit -f 1`: lavapipe's JIT maps files of its own; embed is tested on a full disk below.)
    const commands: [string, string][] = [
      ['convert.safetensors', `convert ${fixturePath('s0-full', 'model.safetensors')} OUT --dtype f32`],
      ['preprocess.safetensors', `preprocess ${fixturePath('preprocess', 'astronaut.png')} --size 512 --out OUT`],
    ];
    for (const [name, cmd] of commands) {
      const out = join(dir, name);
      writeFileSync(out, 'the user\'s previous file\n');
      // 1 block of 512 bytes: every output above is larger.
      const r = spawnSync('bash', ['-c', `ulimit -f 1; exec "${process.execPath}" "${BIN}" ${cmd.replace('OUT', out)}`], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/could not be written \(EFBIG[^)]*\); any previous file is unchanged/);
      expect(readFileSync(out, 'utf8')).toBe("the user's previous file\n");
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('embed --out onto a full disk (an 8 KiB tmpfs in a private mount namespace) leaves the old file and no temporary', () => {
    // Ten files (the same one named ten times is embedded once): JSON too big for 8 KiB.
    const images = Array.from({ length: 10 }, (_, i) => {
      const f = join(dir, `copy${i}.png`);
      copyFileSync(fixturePath('preprocess', 'coffee.png'), f);
      return f;
    }).join(' ');
    const cmd = `embed --model ${fixturePath('clip-tiny', 'config.json')} --weights ${fixturePath('clip-tiny', 'model.safetensors')} --image ${images} --raw --out D/e.json`;
    const d = join(dir, 'full');
    const script = `mkdir -p ${d} && mount -t tmpfs -o size=8k tmpfs ${d} && printf 'previous\\n' > ${d}/e.json && "${process.execPath}" "${BIN}" ${cmd.replaceAll('D/', `${d}/`)}; echo "rc=$?"; cat ${d}/e.json; ls -a ${d}`;
    const r = spawnSync('unshare', ['-rm', 'bash', '-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.error).toBeUndefined();
    const lines = r.stdout.trim().split('\n');
    expect(lines[0], r.stderr).toBe('rc=1');
    expect(r.stderr).toMatch(/e\.json: could not be written \(ENOSPC[^)]*\); any previous file is unchanged/);
    expect(lines[1]).toBe('previous');
    expect(lines.slice(2).sort()).toEqual(['.', '..', 'e.json']);
  });
});
