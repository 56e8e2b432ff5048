import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { expandInputs, InputPathError, readLines } from '../../src/io/input-paths.node.js';

const EXT = ['.jpg', '.jpeg', '.png'] as const;

/*
 * T/photos/  a.jpg B.PNG c.heic notes.txt noext .DS_Store .hidden/x.jpg
 *            link.jpg -> sub/d.jpeg
 *            sub/ d.jpeg e.png loop -> ..
 * T/shots/   top.png 2024/{s1.png,s2.PNG,s3.jpg} .h/hid.png
 * T/odd/     ok.jpg broken.jpg -> missing.jpg
 * T/empty/   (nothing)
 */
let T: string;
const p = (...parts: string[]): string => join(T, ...parts);

beforeAll(() => {
  T = mkdtempSync(join(tmpdir(), 'input-paths-'));
  const touch = (...parts: string[]) => writeFileSync(p(...parts), parts.join('/'));
  mkdirSync(p('photos', 'sub'), { recursive: true });
  mkdirSync(p('photos', '.hidden'));
  for (const f of ['a.jpg', 'B.PNG', 'c.heic', 'notes.txt', 'noext', '.DS_Store']) touch('photos', f);
  touch('photos', '.hidden', 'x.jpg');
  touch('photos', 'sub', 'd.jpeg');
  touch('photos', 'sub', 'e.png');
  symlinkSync('..', p('photos', 'sub', 'loop'));
  symlinkSync(join('sub', 'd.jpeg'), p('photos', 'link.jpg'));
  mkdirSync(p('shots', '2024'), { recursive: true });
  mkdirSync(p('shots', '.h'));
  touch('shots', 'top.png');
  for (const f of ['s1.png', 's2.PNG', 's3.jpg']) touch('shots', '2024', f);
  touch('shots', '.h', 'hid.png');
  mkdirSync(p('odd'));
  touch('odd', 'ok.jpg');
  symlinkSync('missing.jpg', p('odd', 'broken.jpg'));
  mkdirSync(p('empty'));
});

afterAll(() => {
  if (T) rmSync(T, { recursive: true, force: true });
});

describe('expandInputs: directories', () => {
  it('walks in code-unit order, filters extensions, ignores dotfiles, ends the link loop and drops the file reached twice', async () => {
    const r = await expandInputs([p('photos')], { extensions: EXT });
    // 'B.PNG' < 'a.jpg' (uppercase first); sub/d.jpeg is the file link.jpg already gave; sub/loop is photos again.
    expect(r.files).toEqual([p('photos', 'B.PNG'), p('photos', 'a.jpg'), p('photos', 'link.jpg'), p('photos', 'sub', 'e.png')]);
    expect(r.skipped).toEqual([
      { path: p('photos', 'c.heic'), reason: 'not a supported image type (.heic)' },
      { path: p('photos', 'noext'), reason: 'not a supported image type (no extension)' },
      { path: p('photos', 'notes.txt'), reason: 'not a supported image type (.txt)' },
    ]);
  });

  it('keeps a relative spec relative', async () => {
    const rel = relative(process.cwd(), p('shots'));
    const r = await expandInputs([rel], { extensions: EXT });
    expect(r.files).toEqual([join(rel, '2024', 's1.png'), join(rel, '2024', 's2.PNG'), join(rel, '2024', 's3.jpg'), join(rel, 'top.png')]);
    expect(r.skipped).toEqual([]);
  });

  it('reports a broken link, and an empty directory as one (a folder named by mistake is said, not silent)', async () => {
    const r = await expandInputs([p('odd'), p('empty')], { extensions: EXT });
    expect(r.files).toEqual([p('odd', 'ok.jpg')]);
    expect(r.skipped).toEqual([
      { path: p('odd', 'broken.jpg'), reason: 'a broken symbolic link' },
      { path: p('empty'), reason: `a directory with no image files in it (looked for ${EXT.join(', ')})` },
    ]);
  });

  it('reports an unreadable directory instead of throwing (as root: checked as the user nobody, whom permissions bind)', async () => {
    const locked = p('locked');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    try {
      let r: unknown;
      if (process.getuid?.() === 0) {
        // Root reads any folder: run the expansion as nobody (runuser, util-linux), through a readable path.
        chmodSync(T, 0o755);
        const script = `import { expandInputs } from ${JSON.stringify(new URL('../../src/io/input-paths.node.ts', import.meta.url).pathname)};
console.log(JSON.stringify(await expandInputs([${JSON.stringify(locked)}], { extensions: ['.jpg'] })));`;
        const child = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, HOME: '/tmp' } });
        expect(child.status, child.stderr).toBe(0);
        r = JSON.parse(child.stdout);
      } else r = await expandInputs([locked], { extensions: EXT });
      expect(r).toEqual({ files: [], skipped: [{ path: locked, reason: 'cannot read the directory: EACCES' }] });
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});

describe('expandInputs: files and duplicates', () => {
  it('takes a named file whatever its extension, and a link to a file', async () => {
    const r = await expandInputs([p('photos', 'notes.txt'), p('photos', 'link.jpg')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'notes.txt'), p('photos', 'link.jpg')]);
    expect(r.skipped).toEqual([]);
  });

  it('reports a missing path', async () => {
    const r = await expandInputs([p('nope.jpg'), p('photos', 'a.jpg')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'a.jpg')]);
    expect(r.skipped).toEqual([{ path: p('nope.jpg'), reason: 'no such file or directory' }]);
  });

  it('keeps the first occurrence of the same file reached by several paths', async () => {
    const dotted = join(T, '.', 'photos', '.', 'a.jpg');
    const r = await expandInputs([p('photos', 'a.jpg'), dotted, p('photos', 'link.jpg'), p('photos', 'sub', 'd.jpeg'), p('photos', 'sub', 'loop', 'a.jpg')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'a.jpg'), p('photos', 'link.jpg')]);
    expect(r.skipped).toEqual([]);
  });

  it('withdraws a skip when another spec names that file, and reports a skip once', async () => {
    const r = await expandInputs([p('photos'), p('photos', 'c.heic'), p('photos')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'B.PNG'), p('photos', 'a.jpg'), p('photos', 'link.jpg'), p('photos', 'sub', 'e.png'), p('photos', 'c.heic')]);
    expect(r.skipped.map((s) => s.path)).toEqual([p('photos', 'noext'), p('photos', 'notes.txt')]);
  });
});

describe('expandInputs: globs', () => {
  it('matches ** below the static base, case-sensitively, without dot directories', async () => {
    const r = await expandInputs([p('shots', '**', '*.png')], { extensions: EXT });
    expect(r.files).toEqual([p('shots', '2024', 's1.png'), p('shots', 'top.png')]);
    expect(r.skipped).toEqual([]);
  });

  it('includes matched files whatever their extension', async () => {
    const r = await expandInputs([p('photos', '*.{txt,heic}')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'c.heic'), p('photos', 'notes.txt')]);
  });

  it('walks a matched directory like a directory spec', async () => {
    const r = await expandInputs([p('shots', '2*')], { extensions: ['.png'] });
    expect(r.files).toEqual([p('shots', '2024', 's1.png'), p('shots', '2024', 's2.PNG')]);
    expect(r.skipped).toEqual([{ path: p('shots', '2024', 's3.jpg'), reason: 'not a supported image type (.jpg)' }]);
  });

  it('sees dot entries when the pattern segment starts with a dot', async () => {
    const r = await expandInputs([p('shots', '.*', '*.png')], { extensions: EXT });
    expect(r.files).toEqual([p('shots', '.h', 'hid.png')]);
  });

  it('reports a pattern that matches nothing, and one whose base does not exist', async () => {
    const gif = p('shots', '**', '*.gif');
    const gone = p('nowhere', '*.jpg');
    const r = await expandInputs([gif, gone], { extensions: EXT });
    expect(r.files).toEqual([]);
    expect(r.skipped).toEqual([
      { path: gif, reason: 'no file matches this pattern' },
      { path: gone, reason: 'no file matches this pattern' },
    ]);
  });

  it('ends a link loop inside a glob walk', async () => {
    const r = await expandInputs([p('photos', '**', 'e.png')], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'sub', 'e.png')]);
  });
});

describe('expandInputs: lists', () => {
  it('reads @FILE with CRLF and blank lines; `-` and `@…` lines are plain paths', async () => {
    const list = p('list.txt');
    writeFileSync(list, `${p('photos', 'a.jpg')}\r\n\r\n${p('shots', '2024')}\r\n-\r\n@x\r\n\r\n${p('shots', '*.png')}\r\n`);
    const r = await expandInputs([`@${list}`], { extensions: EXT });
    expect(r.files).toEqual([p('photos', 'a.jpg'), p('shots', '2024', 's1.png'), p('shots', '2024', 's2.PNG'), p('shots', '2024', 's3.jpg'), p('shots', 'top.png')]);
    expect(r.skipped).toEqual([
      { path: '-', reason: 'no such file or directory' },
      { path: '@x', reason: 'no such file or directory' },
    ]);
  });

  it("reads '-' from the given stream, in the specs' order", async () => {
    const stdin = Readable.from([`${p('photos', 'a.jpg')}\n`, `${p('photos', 'sub')}\n`]);
    const r = await expandInputs([p('odd', 'ok.jpg'), '-'], { extensions: EXT, stdin });
    // sub/loop leads back to photos: walked once from there, its a.jpg and link.jpg already in.
    expect(r.files).toEqual([p('odd', 'ok.jpg'), p('photos', 'a.jpg'), p('photos', 'sub', 'd.jpeg'), p('photos', 'sub', 'e.png'), p('photos', 'sub', 'loop', 'B.PNG')]);
    expect(r.skipped.map((s) => s.path)).toEqual([p('photos', 'sub', 'loop', 'c.heic'), p('photos', 'sub', 'loop', 'noext'), p('photos', 'sub', 'loop', 'notes.txt')]);
  });

  it("refuses a second '-' before reading anything", async () => {
    const stdin = Readable.from(['a.jpg\n']);
    await expect(expandInputs(['-', p('photos'), '-'], { extensions: EXT, stdin })).rejects.toThrow(InputPathError);
    await expect(expandInputs(['-', '-'], { extensions: EXT, stdin })).rejects.toThrow("'-' (standard input) can be given only once");
    expect(stdin.readableEnded).toBe(false);
  });

  it('throws for a list that cannot be read, naming it', async () => {
    const missing = p('missing.txt');
    await expect(expandInputs([`@${missing}`], { extensions: EXT })).rejects.toThrow(`@${missing}: cannot read the list: ENOENT`);
    await expect(expandInputs([`@${p('photos')}`], { extensions: EXT })).rejects.toThrow(`@${p('photos')}: cannot read the list: is a directory`);
  });
});

describe('readLines', () => {
  it('splits CRLF and LF, drops empty lines, keeps a last line without newline', async () => {
    expect(await readLines(Readable.from(['a\r\nb\n\n', 'c\r\n\r\nd']))).toEqual(['a', 'b', 'c', 'd']);
    expect(await readLines(Readable.from(['only\n']))).toEqual(['only']);
    expect(await readLines(Readable.from([]))).toEqual([]);
  });

  it('decodes UTF-8 split across chunks and refuses other bytes', async () => {
    expect(await readLines(Readable.from([Buffer.from([0x63, 0x61, 0x66, 0xc3]), Buffer.from([0xa9, 0x0a])]))).toEqual(['café']);
    await expect(readLines(Readable.from([Buffer.from([0xff, 0x0a])]))).rejects.toThrow('not UTF-8 text');
  });

  it('throws past the byte limit', async () => {
    await expect(readLines(Readable.from(['12345\n', '67890\n']), 8)).rejects.toThrow('more than 8 bytes of lines');
    expect(await readLines(Readable.from(['12345\n', '67\n']), 9)).toEqual(['12345', '67']);
  });
});
