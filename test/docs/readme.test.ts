/**
 * The README as the npm page shows it: every link and image an absolute URL (a relative one is
 * broken on npmjs.com) into this repository, naming a file that exists; no repository-only file
 * named as if the user had it; every `npx mobileclip` example using only options the command's
 * --help lists. Running the marked examples is test/package/package.test.ts's job (it needs the
 * packed tarball); this file makes sure there is something for it to run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliWith } from '../helpers/cli.js';
import { mobileclipCalls, readmeShellBlocks, readmeText } from '../helpers/readme.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string } };
const REPO = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const text = readmeText();

describe('README.md', () => {
  it('links and images are absolute URLs; those into this repository name files that exist', () => {
    expect(REPO).toBe('https://github.com/mobileclip-webgpu/mobileclip-webgpu');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g), ...text.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(5);
    expect(targets.filter((t) => !/^https?:\/\//.test(t))).toEqual([]);
    const raw = REPO.replace('https://github.com/', 'https://raw.githubusercontent.com/') + '/main/';
    const inRepo = targets.flatMap((t) => {
      const path = t.startsWith(`${REPO}/blob/main/`) ? t.slice(`${REPO}/blob/main/`.length) : t.startsWith(raw) ? t.slice(raw.length) : null;
      return path === null ? [] : [path.replace(/#.*$/, '')];
    });
    expect(inRepo).toContain('docs/demo.png');
    expect(inRepo).toContain('docs/demo-phone.png');
    expect(inRepo.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('names no repository file an npm user does not have', () => {
    // The contributor's set-up lives in docs/contributing.md; `npm run demo` is named there as a checkout's.
    expect(text).not.toMatch(/weights\/|scripts\/|\bbash\b|npm run setup|npm test|MOBILECLIP_FIXTURES/);
  });

  it('has marked examples for the package test to run, and every `npx mobileclip` example uses options its --help lists', async () => {
    const blocks = readmeShellBlocks(text);
    const run = blocks.filter((b) => b.mode === 'run').flatMap((b) => b.commands);
    const offline = blocks.filter((b) => b.mode === 'offline').flatMap((b) => b.commands);
    expect(run.length).toBeGreaterThanOrEqual(10);
    expect(offline.length).toBeGreaterThanOrEqual(2);
    const calls = blocks.flatMap((b) => b.commands.flatMap((c) => mobileclipCalls(c).map((call) => ({ ...call, line: c }))));
    expect(calls.length).toBeGreaterThanOrEqual(run.length + offline.length);
    const help = new Map<string, string>();
    for (const call of calls) {
      if (!help.has(call.command)) {
        const r = await runCliWith({}, call.command, '--help');
        expect(r.code, `mobileclip ${call.command} --help: ${r.err}`).toBe(0);
        help.set(call.command, r.out);
      }
      const listed = help.get(call.command)!;
      for (const option of call.options) expect(listed, `${call.line}: ${option}`).toMatch(new RegExp(`(^|\\s)${option}(\\s|$)`, 'm'));
    }
  });
});
