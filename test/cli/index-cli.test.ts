/**
 * `mobileclip index` and `search` through the real CLI entry point, as the collections issue's
 * "done when" reads: a folder of 300 distinct images (6 of them broken) indexed, the run killed
 * (SIGKILL) after some commits, re-run to completion; search by one image returns it first; 10 files
 * deleted and exactly those rows removed; the index's embeddings equal `embed`'s bit for bit; the
 * documented Python recipe reads it where numpy is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { BIN, runCliWith } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { readSafetensors } from '../../src/io/read-file.js';

const haveNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** A 40×30 image of its own (a pattern seeded by i): 300 of them are 300 different embeddings. */
function distinctPng(i: number): Uint8Array {
  const w = 40;
  const h = 30;
  const data = new Uint8Array(w * h * 3);
  let seed = Math.imul(i + 1, 2654435761);
  for (let p = 0; p < data.length; p++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // Math.imul: a float product would lose the low bits
    data[p] = ((seed >>> 24) + (p % 97) * i) & 255;
  }
  return encodePng({ width: w, height: h, data, channels: 3, depth: 8 });
}

describe.runIf(haveFixtures())('mobileclip index / search', () => {
  let dir: string;
  const model = () => ['--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--device', 'cpu'];
  const run = (...argv: string[]) => runCliWith({ cwd: dir, timeoutMs: 300_000 }, ...argv);
  const names = Array.from({ length: 300 }, (_, i) => `img${String(i).padStart(3, '0')}.png`);
  const broken = ['img013.png', 'img077.png', 'img150.png', 'img201.png', 'img250.png', 'img299.png'];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mobileclip-index-'));
    mkdirSync(join(dir, 'photos/a'), { recursive: true });
    mkdirSync(join(dir, 'photos/b'));
    names.forEach((n, i) => {
      const bytes = distinctPng(i);
      writeFileSync(join(dir, 'photos', i % 2 ? 'a' : 'b', n), broken.includes(n) ? bytes.subarray(0, bytes.length - 40) : bytes);
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const where = (n: string) => join(dir, 'photos', names.indexOf(n) % 2 ? 'a' : 'b', n);
  const stats = async () => JSON.parse((await run('index', '--db', 'db', '--stats', '--json')).out) as { images: number; segments: number; generation: number };

  it('killed with SIGKILL mid-run, the index opens with what it committed; the re-run finishes it and counts right', async () => {
    // The launcher runs the CLI as its child: kill the whole group, as a crash or the OOM killer would.
    const child = spawn(process.execPath, [BIN, 'index', 'photos', '--db', 'db', '--commit-rows', '24', '--batch-size', '4', ...model()], { cwd: dir, detached: true, stdio: 'ignore' });
    const manifest = join(dir, 'db', 'manifest.json');
    const t0 = Date.now();
    for (;;) {
      const m = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')) : null;
      if (m && m.segments.length >= 2) break;
      if (Date.now() - t0 > 120_000) throw new Error('no two commits in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const after = await stats();
    console.log(`killed after ${after.segments} commits: ${after.images} images held`);
    expect(after.images).toBeGreaterThanOrEqual(48);
    expect(after.images).toBeLessThan(294);
    expect(after.images % 24).toBe(0); // whole commits only

    const r = await run('index', 'photos', '--db', 'db', '--json', ...model());
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ added: 294 - after.images, updated: 0, removed: 0, unchanged: after.images, skipped: 6, images: 294 });
    // Each broken file named on stderr with its reason, then counted.
    for (const b of broken) expect(r.err).toMatch(new RegExp(`skipped photos/[ab]/${b}: truncated PNG`));
    expect((await stats()).images).toBe(294);
    const again = JSON.parse((await run('index', 'photos', '--db', 'db', '--json', ...model())).out);
    expect(again).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 294, skipped: 6, images: 294 });
  });

  it('search --image returns that file first (score ≥ 0.999); another model is refused by search and by index without --reindex', async () => {
    const target = where('img123.png');
    const r = await run('search', '--image', target, '--db', 'db', '--top', '3', '--json');
    expect(r.code, r.err).toBe(0);
    const hits = JSON.parse(r.out).hits as { path: string; score: number }[];
    expect(hits).toHaveLength(3);
    expect(hits[0].path).toBe(target);
    expect(hits[0].score).toBeGreaterThanOrEqual(0.999);
    expect(hits[1].score).toBeLessThan(hits[0].score);
    const plain = await run('search', '--image', target, '--db', 'db', '--top', '1', '--explain');
    expect(plain.out).toMatch(new RegExp(`^\\d\\.\\d{4}  ${target.replace(/[.]/g, '\\.')}$`));
    expect(plain.err).toMatch(/^searched all 294 images of db \(\d+ segments, commit \d+\), exact, with .*clip-tiny\/config\.json on .+: the query embedded in [\d.]+ ms, the index read in [\d.]+ ms, scored in [\d.]+ ms, top 1 in [\d.]+ ms$/);
    const other = await run('search', '--image', target, '--db', 'db', '--config', fixturePath('openclip', 'oc-mci-tiny', 'config.json'), '--weights', fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'), '--device', 'cpu');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/the index was made with another model or preprocessing \(name /);
    const reindexNeeded = await run('index', 'photos', '--db', 'db', '--config', fixturePath('openclip', 'oc-mci-tiny', 'config.json'), '--weights', fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'), '--device', 'cpu');
    expect(reindexNeeded.code).toBe(1);
    expect(reindexNeeded.err).toMatch(/add --reindex to rebuild it with this one/);
  });

  it("the index's embeddings equal embed's for the same files, bit for bit", async () => {
    const files = ['img000.png', 'img001.png', 'img123.png', 'img298.png'].map(where);
    const e = await run('embed', ...files, '--out', 'four.safetensors', ...model());
    expect(e.code, e.err).toBe(0);
    const st = await readSafetensors(join(dir, 'four.safetensors'));
    const want = st.float32('image_embeddings');
    const m = JSON.parse(readFileSync(join(dir, 'db', 'manifest.json'), 'utf8'));
    const got = new Map<string, Float32Array>();
    for (const s of m.segments) {
      const seg = await readSafetensors(join(dir, 'db', s.file));
      const rows = JSON.parse(readFileSync(join(dir, 'db', s.file.replace('.safetensors', '.rows.json')), 'utf8')) as { path: string }[];
      const x = seg.float32('embeddings');
      rows.forEach((r, i) => s.removed.includes(i) || got.set(r.path, x.slice(i * 64, (i + 1) * 64)));
    }
    let maxDiff = 0;
    files.forEach((f, i) => {
      const row = got.get(f)!;
      expect(row, f).toBeDefined();
      for (let d = 0; d < 64; d++) maxDiff = Math.max(maxDiff, Math.abs(row[d] - want[i * 64 + d]));
    });
    console.log(`index rows vs embed --out: max|Δ| ${maxDiff} over ${files.length} images`);
    expect(maxDiff).toBe(0);
  });

  it('deleting 10 files removes exactly those rows; search never returns them', async () => {
    const gone = ['img002.png', 'img010.png', 'img020.png', 'img030.png', 'img040.png', 'img050.png', 'img060.png', 'img070.png', 'img080.png', 'img090.png'];
    for (const n of gone) unlinkSync(where(n));
    const r = await run('index', 'photos', '--db', 'db', '--json', ...model());
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ added: 0, removed: 10, unchanged: 284, skipped: 6, images: 284 });
    const all = JSON.parse((await run('search', '--image', where('img003.png'), '--db', 'db', '--top', '1000', '--json')).out).hits as { path: string }[];
    expect(all).toHaveLength(284);
    const paths = new Set(all.map((h) => h.path));
    for (const n of gone) expect(paths.has(where(n))).toBe(false);
  });

  it.runIf(haveNumpy)('the documented Python recipe (standard library + numpy) reads the paths and embeddings', async () => {
    const recipe = /```python\n([\s\S]*?)```/.exec(readFileSync(new URL('../../docs/index-format.md', import.meta.url), 'utf8'))![1];
    const py = spawnSync('python3', ['-c', `${recipe}\npaths, emb = read_index('db')\nprint(len(paths), emb.shape, emb.dtype)\nprint(paths[0])\nprint(repr(float(emb[0].sum())))`], { cwd: dir, encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const [count, first, sum] = py.stdout.trim().split('\n');
    expect(count).toBe('284 (284, 64) float32');
    // The same row as this side reads it: the first live row of the first segment.
    const m = JSON.parse(readFileSync(join(dir, 'db', 'manifest.json'), 'utf8'));
    const seg = await readSafetensors(join(dir, 'db', m.segments[0].file));
    const i = Array.from({ length: m.segments[0].rows }, (_, k) => k).find((k) => !m.segments[0].removed.includes(k))!;
    expect(first).toBe((JSON.parse(readFileSync(join(dir, 'db', m.segments[0].file.replace('.safetensors', '.rows.json')), 'utf8')) as { path: string }[])[i].path);
    const want = seg.float32('embeddings').subarray(i * 64, (i + 1) * 64).reduce((s, v) => s + v, 0);
    expect(Math.abs(Number(sum) - want)).toBeLessThan(1e-5);
  });

  it('renamed and copied files are recognised by content: their embeddings copied, not computed, and the old paths dropped', async () => {
    const moves = ['img004.png', 'img005.png', 'img006.png'];
    for (const n of moves) renameSync(where(n), join(dir, 'photos', `renamed-${n}`));
    copyFileSync(where('img007.png'), join(dir, 'photos', 'copy-img007.png'));
    const r = await run('index', 'photos', '--db', 'db', '--json', ...model());
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ added: 4, reused: 4, updated: 0, removed: 3, skipped: 6, images: 285 });
    const hit = JSON.parse((await run('search', '--image', join(dir, 'photos', 'renamed-img005.png'), '--db', 'db', '--top', '1', '--json')).out).hits[0];
    expect(hit.path).toBe(join(dir, 'photos', 'renamed-img005.png'));
    expect(hit.score).toBeGreaterThanOrEqual(0.999);
  });

  it('--shard I/N splits the inputs with no overlap; --merge of the shards equals one index over the whole folder, bit for bit', async () => {
    mkdirSync(join(dir, 'small'));
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'small', `s${i}.png`), distinctPng(1000 + i));
    const counts: number[] = [];
    for (const i of [1, 2, 3]) {
      const r = await run('index', 'small', '--db', `shard${i}`, '--shard', `${i}/3`, '--json', ...model());
      expect(r.code, r.err).toBe(0);
      counts.push(JSON.parse(r.out).images);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    const merged = await run('index', '--merge', 'shard1', 'shard2', 'shard3', '--db', 'merged', '--json');
    expect(merged.code, merged.err).toBe(0);
    expect(JSON.parse(merged.out)).toMatchObject({ merged: 3, rows: 20, replaced: 0, images: 20 });
    expect((await run('index', 'small', '--db', 'whole', ...model())).code).toBe(0);
    // The same config under another path is the same model (named by its architecture, not its path).
    copyFileSync(fixturePath('clip-tiny', 'config.json'), join(dir, 'moved-config.json'));
    const again = await run('index', 'small', '--db', 'whole', '--json', '--config', join(dir, 'moved-config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--device', 'cpu');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ added: 0, unchanged: 20, images: 20 });
    const rowsOf = async (db: string) => {
      const m = JSON.parse(readFileSync(join(dir, db, 'manifest.json'), 'utf8'));
      const out = new Map<string, number[]>();
      for (const seg of m.segments) {
        const paths = JSON.parse(readFileSync(join(dir, db, seg.file.replace('.safetensors', '.rows.json')), 'utf8')) as { path: string }[];
        const e = (await readSafetensors(join(dir, db, seg.file))).float32('embeddings');
        paths.forEach((p, i) => seg.removed.includes(i) || out.set(p.path, Array.from(e.subarray(i * 64, (i + 1) * 64))));
      }
      return out;
    };
    const [a, b] = [await rowsOf('merged'), await rowsOf('whole')];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [p, v] of b) expect(a.get(p), p).toEqual(v);
    // The merged index searches like the whole one.
    const q = join(dir, 'small', 's7.png');
    const hit = JSON.parse((await run('search', '--image', q, '--db', 'merged', '--top', '1', '--json')).out).hits[0];
    expect(hit.path).toBe(q);
    const bad = await run('index', 'small', '--db', 'x', '--shard', '4/3', ...model());
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--shard takes I\/N with 1 ≤ I ≤ N \(e\.g\. 3\/8\), got "4\/3"/);
  });

  it('--export FILE.sql loads into PostgreSQL with pgvector (PGlite): every row, every value the same float32, the same ranking as search', async () => {
    const r = await run('index', '--db', 'whole', '--export', 'whole.sql', '--table', "my images", '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: 20 });
    const { PGlite } = await import('@electric-sql/pglite');
    const { vector } = await import('@electric-sql/pglite/vector');
    const pg = await PGlite.create({ extensions: { vector } });
    try {
      await pg.exec(readFileSync(join(dir, 'whole.sql'), 'utf8'));
      const rows = (await pg.query<{ path: string; embedding: string }>('SELECT path, embedding::text AS embedding FROM "my images"')).rows;
      expect(rows).toHaveLength(20);
      const mine = new Map<string, Float32Array>();
      const m = JSON.parse(readFileSync(join(dir, 'whole', 'manifest.json'), 'utf8'));
      for (const seg of m.segments) {
        const paths = JSON.parse(readFileSync(join(dir, 'whole', seg.file.replace('.safetensors', '.rows.json')), 'utf8')) as { path: string }[];
        const e = (await readSafetensors(join(dir, 'whole', seg.file))).float32('embeddings');
        paths.forEach((p, i) => seg.removed.includes(i) || mine.set(p.path, e.slice(i * 64, (i + 1) * 64)));
      }
      for (const row of rows) expect(Float32Array.from(JSON.parse(row.embedding) as number[]), row.path).toEqual(mine.get(row.path));
      const q = join(dir, 'small', 's7.png');
      const ours = JSON.parse((await run('search', '--image', q, '--db', 'whole', '--top', '5', '--json')).out).hits.map((h: { path: string }) => h.path);
      const theirs = (await pg.query<{ path: string }>(`SELECT path FROM "my images" ORDER BY embedding <#> $1 LIMIT 5`, [`[${Array.from(mine.get(q)!).join(',')}]`])).rows.map((x) => x.path);
      expect(theirs).toEqual(ours);
      expect(ours[0]).toBe(q);
    } finally {
      await pg.close();
    }
  }, 120_000);
});
