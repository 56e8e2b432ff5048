/**
 * No temporary file outlives a run: Ctrl-C or SIGTERM while an output is being written removes it
 * (through the real entry point, the signal sent while the temporary file exists), and the next
 * run removes temporary files older than a day beside its outputs and in the download cache.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCliWith } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-leftovers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const temporaries = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

/** Runs `convert` to a large output and sends `signal` to its process group as soon as the temporary file appears. */
function interrupt(signal: 'SIGINT' | 'SIGTERM', out: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; sawTemporary: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'convert', fixturePath('s0-full', 'model.safetensors'), out, '--dtype', 'f32'], { stdio: 'ignore', detached: true });
    let sawTemporary = false;
    const poll = setInterval(() => {
      if (temporaries(dir).length) {
        sawTemporary = true;
        clearInterval(poll);
        process.kill(-child.pid!, signal);
      }
    }, 1);
    const timer = setTimeout(() => fail(new Error('convert did not end in 120 s')), 120_000);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      clearTimeout(timer);
      done({ code, signal: sig, sawTemporary });
    });
  });
}

describe.runIf(haveFixtures())('temporary files', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s while the output is written: the temporary file is removed, no output is left', async (signal) => {
    const out = join(dir, `out-${signal}.safetensors`);
    const r = await interrupt(signal, out);
    // The write can win the race on a fast disk; then there was nothing to interrupt, and the test says so.
    expect(r.sawTemporary, 'the temporary file was never seen: the write finished before the poll').toBe(true);
    expect(r.code === (signal === 'SIGINT' ? 130 : 143) || r.signal === signal, JSON.stringify(r)).toBe(true);
    expect(temporaries(dir)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('a download into a cache on a full disk (a 64 KiB tmpfs) goes on in memory: the command succeeds, the cache holds no partial file', async () => {
    const { TestServer } = await import('../helpers/http-server.js');
    const server = await TestServer.start();
    try {
      server.set('/w.safetensors', { body: new Uint8Array((await import('node:fs')).readFileSync(fixturePath('clip-tiny', 'model.safetensors'))) });
      const d = join(dir, 'full-cache');
      const cmd = `embed --config ${fixturePath('clip-tiny', 'config.json')} --weights ${server.url}/w.safetensors --image ${fixturePath('preprocess', 'coffee.png')}`;
      const script = `mkdir -p ${d} && mount -t tmpfs -o size=64k tmpfs ${d} && MOBILECLIP_CACHE=${d} "${process.execPath}" "${BIN}" ${cmd}; echo "rc=$?"; ls -a ${d}`;
      // Not spawnSync: the server answering it lives in this process.
      const r = await new Promise<{ stdout: string; stderr: string }>((done) => {
        const c = spawn('unshare', ['-rm', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        c.stdout.setEncoding('utf8').on('data', (x) => (stdout += x));
        c.stderr.setEncoding('utf8').on('data', (x) => (stderr += x));
        c.on('close', () => done({ stdout, stderr }));
      });
      const lines = r.stdout.trim().split('\n');
      const rc = lines.findIndex((l) => l.startsWith('rc='));
      expect(lines[rc], r.stderr).toBe('rc=0');
      expect(lines[rc - 1]).toMatch(/^image .*coffee\.png: \[/);
      expect(r.stderr).toMatch(/could not cache .*w\.safetensors in .* \(ENOSPC[^)]*\); downloading into memory/);
      expect(lines.slice(rc + 1).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('the next run removes day-old temporaries beside its output and in the cache, and keeps fresh ones', async () => {
    const cache = join(dir, 'cache');
    mkdirSync(cache, { recursive: true });
    const out = join(dir, 'pre.safetensors');
    const old = Date.now() / 1000 - 2 * 86_400;
    const files = {
      staleOutput: join(dir, '.pre.safetensors.4242.0badc0de.tmp'),
      freshOutput: join(dir, '.pre.safetensors.4243.0badc0df.tmp'),
      otherOutput: join(dir, '.other.safetensors.4242.0badc0de.tmp'),
      staleCache: join(cache, '.0123abcd.bin.4242.0badc0de.tmp'),
      freshCache: join(cache, '.0123abcd.bin.4243.0badc0df.tmp'),
    };
    for (const f of Object.values(files)) writeFileSync(f, 'x');
    for (const f of [files.staleOutput, files.otherOutput, files.staleCache]) utimesSync(f, old, old);
    const r = await runCliWith({ env: { MOBILECLIP_CACHE: cache } }, 'preprocess', fixturePath('preprocess', 'coffee.png'), '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(files.staleOutput)).toBe(false);
    expect(existsSync(files.freshOutput)).toBe(true);
    expect(existsSync(files.otherOutput)).toBe(true); // another output's: not this run's to judge
    // The cache is swept when the cache is written: a download.
    const { TestServer } = await import('../helpers/http-server.js');
    const server = await TestServer.start();
    try {
      server.set('/vocab.txt.gz', { body: new Uint8Array((await import('node:fs')).readFileSync(join(fixturePath(), '..', 'vocab', 'bpe_simple_vocab_16e6.txt.gz'))) });
      const t = await runCliWith({ env: { MOBILECLIP_CACHE: cache } }, 'embed', '--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--vocab', `${server.url}/vocab.txt.gz`, '--image', fixturePath('preprocess', 'coffee.png'));
      expect(t.code, t.err).toBe(0);
    } finally {
      await server.close();
    }
    expect(existsSync(files.staleCache)).toBe(false);
    expect(existsSync(files.freshCache)).toBe(true);
  });
});
