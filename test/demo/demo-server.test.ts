/**
 * `npm run demo`'s server (scripts/demo.mjs, spawned as a user runs it) against what a hostile web
 * page or a hostile folder can do: read files outside the mount through symlinks, dotfiles,
 * another site's Host header (DNS rebinding), CORS; and stop it: malformed URLs, a directory named
 * index.html, FIFOs, devices, stalled clients. Every case is a response, and the server stays up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-demo-'));
const mnt = join(dir, 'mnt');
const outside = join(dir, 'outside');
let child: ChildProcess;
let port = 0;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the raw path and the headers given (Host defaults to the server's own). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { host: `127.0.0.1:${port}`, connection: 'close', ...headers }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (d) => (body += d)).on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 10 s`)));
    req.on('error', fail);
    req.end();
  });
}

/** A raw request line (paths node:http would refuse to send), the status line back. */
function raw(lines: string): Promise<string> {
  return new Promise((done, fail) => {
    const s = connect(port, '127.0.0.1', () => s.write(lines));
    let got = '';
    s.setEncoding('latin1').on('data', (d) => (got += d)).on('end', () => done(got.split('\r\n')[0])).on('error', fail);
    s.setTimeout(10_000, () => s.destroy(new Error('no answer in 10 s')));
  });
}

const openFds = () => readdirSync(`/proc/${child.pid}/fd`).length;

beforeAll(async () => {
  mkdirSync(mnt);
  mkdirSync(outside);
  writeFileSync(join(mnt, 'weights.bin'), 'WEIGHTS');
  writeFileSync(join(mnt, '.env'), 'SECRET=1');
  mkdirSync(join(mnt, '.git'));
  writeFileSync(join(mnt, '.git', 'config'), 'git secret');
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE SECRET');
  symlinkSync('/etc/passwd', join(mnt, 'passwd_link'));
  symlinkSync(outside, join(mnt, 'linked_folder'));
  symlinkSync('/dev/zero', join(mnt, 'zero'));
  mkdirSync(join(mnt, 'sub'));
  writeFileSync(join(mnt, 'sub', 'inside.txt'), 'inside');
  symlinkSync(join(mnt, 'sub', 'inside.txt'), join(mnt, 'link_inside.txt')); // a link that stays inside is fine
  mkdirSync(join(mnt, 'dir', 'index.html'), { recursive: true });
  execFileSync('mkfifo', [join(mnt, 'fifo')]);
  child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs'), '--port', '0', '--mount', `/files/=${mnt}`, '--header-timeout', '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no address in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        done(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => fail(new Error(`demo exited (${code}):\n${out}`)));
  });
}, 90_000);

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the demo server', () => {
  it('serves the page and mounted files, same-origin only: no Access-Control-Allow-Origin, COOP/COEP sent', async () => {
    const page = await get('/', { origin: 'http://attacker.example' });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<html/i);
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    const w = await get('/files/weights.bin', { origin: 'http://attacker.example' });
    expect([w.status, w.body]).toEqual([200, 'WEIGHTS']);
    expect(w.headers['access-control-allow-origin']).toBeUndefined();
    expect((await get('/files/link_inside.txt')).body).toBe('inside');
    for (const h of [`localhost:${port}`, `[::1]:${port}`]) expect((await get('/files/weights.bin', { host: h })).status).toBe(200);
  });

  it('refuses another Host (DNS rebinding) before touching the file system', async () => {
    for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port + 1}`]) {
      const r = await get('/files/weights.bin', { host });
      expect(r.status, host).toBe(421);
      expect(r.body).not.toMatch(/WEIGHTS/);
    }
  });

  it('never serves what lies outside the mount (links to files, folders, devices) nor dotfiles', async () => {
    for (const path of ['/files/passwd_link', '/files/linked_folder/secret.txt', '/files/linked_folder/', '/files/zero', '/files/.env', '/files/.git/config', '/files/%2eenv', '/files/sub/../.env', '/files/..%2f..%2fetc%2fpasswd', '/files/%2e%2e/outside/secret.txt']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toMatch(/root:|SECRET|git secret/);
    }
    for (const line of ['GET /files/../../etc/passwd HTTP/1.1', 'GET /files/%5c..%5c..%5cetc%5cpasswd HTTP/1.1', 'GET /files/weights.bin%00.png HTTP/1.1']) {
      expect(await raw(`${line}\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n\r\n`), line).toMatch(/^HTTP\/1\.1 (400|404) /);
    }
  });

  it('answers every bad request and stays up: malformed URL, a folder named index.html, a FIFO (at once), methods', async () => {
    expect(await raw(`GET /%E0%A4%A HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n\r\n`)).toBe('HTTP/1.1 400 Bad Request');
    expect((await get('/files/dir/')).status).toBe(404);
    const t0 = Date.now();
    expect((await get('/files/fifo')).status).toBe(404);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await get('/files/weights.bin', {}, 'POST')).status).toBe(405);
    expect((await get('/files/weights.bin', {}, 'HEAD')).status).toBe(200);
    expect(await raw('NOT-HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect((await get('/files/weights.bin')).body).toBe('WEIGHTS');
    expect(child.exitCode).toBeNull();
  });

  it('leaks no file handles (FIFOs, devices, refused links, 200 requests)', async () => {
    await get('/files/weights.bin');
    const before = openFds();
    for (let i = 0; i < 50; i++) await Promise.all(['/files/fifo', '/files/zero', '/files/passwd_link', '/files/weights.bin'].map((p) => get(p)));
    await new Promise((r) => setTimeout(r, 200)); // the last connections' sockets close
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('closes a client that never finishes its headers (slowloris) after --header-timeout', async () => {
    const t0 = Date.now();
    const closed = await new Promise<string>((done) => {
      const s = connect(port, '127.0.0.1', () => s.write(`GET /files/weights.bin HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`));
      let got = '';
      s.setEncoding('latin1').on('data', (d) => (got += d));
      s.on('close', () => done(got.split('\r\n')[0]));
      s.setTimeout(20_000, () => s.destroy());
    });
    expect(closed).toMatch(/^(HTTP\/1\.1 408|)/);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect((await get('/files/weights.bin')).status).toBe(200);
  });
});
