/** The index's pieces on their own: top-k against a full sort, the manifest's checks, commits and what a reader sees. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { float32Tensor } from '../../src/io/host-tensor.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topK } from '../../src/collection/top-k.js';
import { checkManifest, type IndexModel } from '../../src/collection/manifest.js';
import { IndexBusyError, IndexModelError, IndexStore } from '../../src/collection/index-store.node.js';
import { fingerprintStateDict } from '../../src/io/state-dict-fingerprint.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-collection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('topK', () => {
  /** The reference: every index sorted by score (ties by index), cut at k, filtered by the threshold. */
  const ref = (s: Float32Array, k: number, t = -Infinity) =>
    Array.from(s, (score, index) => ({ index, score }))
      .filter((h) => h.score >= t)
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, k);
  it('equals a full sort on sizes 0, 1, 7, 1000 (with ties and NaN), k from 1 to beyond n, with thresholds', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    for (const n of [0, 1, 7, 1000]) {
      const s = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0.25 : rand()));
      if (n > 3) s[3] = NaN; // never a hit
      for (const k of [1, 3, 10, n + 5]) for (const t of [-Infinity, 0, 0.25]) expect(topK(s, k, t), `n=${n} k=${k} t=${t}`).toEqual(ref(s, k, t).filter((h) => !Number.isNaN(h.score)));
    }
  });
});

describe('the index store', () => {
  const model: IndexModel = { name: 'test', weightsFingerprint: '0123456789abcdef', embedDim: 3, imageSize: [8, 8], preprocessing: '{}', normalized: true };
  const row = (p: string) => ({ path: `/photos/${p}`, size: 1, mtimeMs: 2, sha256: 'ab' });

  it('commits segments and removals that a reader opened afterwards sees; a second writer is refused; another model is refused', async () => {
    const db = join(dir, 'db');
    const w = await IndexStore.open(db, { write: true, model });
    await expect(IndexStore.open(db, { write: true, model })).rejects.toThrow(IndexBusyError);
    await w.commit([row('a'), row('b')], Float32Array.of(1, 0, 0, 0, 1, 0), []);
    const reader = await IndexStore.open(db);
    await w.commit([row('c')], Float32Array.of(0, 0, 1), [{ segment: 'seg-00000001.safetensors', row: 0 }]);
    // The reader opened before the second commit still reads its own, complete, view.
    const paths = async (v: Awaited<ReturnType<IndexStore['loadLive']>>) => Promise.all(Array.from({ length: v.count }, async (_, i) => (await v.rowAt(i)).path));
    expect(await paths(await reader.loadLive())).toEqual(['/photos/a', '/photos/b']);
    const now = await IndexStore.open(db);
    const live = await now.loadLive();
    expect(await paths(live)).toEqual(['/photos/b', '/photos/c']);
    expect(Array.from(live.embeddings)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(now.counts).toEqual({ segments: 2, rows: 3, live: 2 });
    await expect(IndexStore.open(db, { model: { ...model, embedDim: 4 } })).rejects.toThrow(IndexModelError);
    await w.close();
  });

  it('a lock left by a killed writer is taken over; an orphan segment (a commit killed before its manifest) is removed', async () => {
    const db = join(dir, 'db');
    writeFileSync(join(db, 'index.lock'), '999999999'); // no such process
    writeFileSync(join(db, 'seg-00000077.safetensors'), 'half a commit');
    writeFileSync(join(db, 'seg-00000078.rows.json'), '[]');
    const w = await IndexStore.open(db, { write: true, model });
    expect(readdirSync(db).sort()).toEqual(['index.lock', 'manifest.json', 'seg-00000001.rows.json', 'seg-00000001.safetensors', 'seg-00000002.rows.json', 'seg-00000002.safetensors']);
    await w.close();
    expect(readdirSync(db)).not.toContain('index.lock');
  });

  it('a truncated or foreign segment is an error naming it, not wrong rows', async () => {
    const db = join(dir, 'db');
    const seg = join(db, 'seg-00000002.safetensors');
    const good = readFileSync(seg);
    try {
      writeFileSync(seg, good.subarray(0, good.length - 4));
      await expect((await IndexStore.open(db)).loadLive()).rejects.toThrow(/seg-00000002\.safetensors: \d+ bytes; the header says \d+/);
      writeFileSync(seg, writeSafetensors(new Map([['embeddings', float32Tensor(new Float32Array(4), [1, 4])]])));
      await expect((await IndexStore.open(db)).loadLive()).rejects.toThrow(/seg-00000002\.safetensors: not the segment the manifest lists \(embeddings F32 \[1, 3\] alone\)/);
    } finally {
      writeFileSync(seg, good);
    }
    expect((await (await IndexStore.open(db)).loadLive()).count).toBe(2);
  });

  it('a damaged manifest is an error naming the file and what is wrong', () => {
    const base = { format: 'mobileclip-index', version: 1, model, generation: 1, nextSegment: 2, segments: [{ file: 'seg-00000001.safetensors', rows: 2, removed: [] }] };
    expect(checkManifest(base, 'm.json')).toEqual(base);
    expect(() => checkManifest({ ...base, version: 2 }, 'm.json')).toThrow(/m\.json: format version 2; this build reads version 1/);
    expect(() => checkManifest({ ...base, segments: [{ file: '../x', rows: 1, removed: [] }] }, 'm.json')).toThrow(/m\.json: segments: an entry is not/);
    expect(() => checkManifest({ ...base, segments: [{ ...base.segments[0], removed: [1, 0] }] }, 'm.json')).toThrow(/removed rows must be ascending row numbers below 2/);
    expect(() => checkManifest({ ...base, segments: [{ ...base.segments[0], removed: [2] }] }, 'm.json')).toThrow(/below 2/);
    expect(() => checkManifest([], 'm.json')).toThrow(/m\.json: not a mobileclip-index manifest/);
  });
});

describe.runIf(haveFixtures())('the weights fingerprint an index records', () => {
  it('is the same for a .pt and its safetensors form, and differs for other weights or one changed value', async () => {
    const pt = (await readCheckpointFile(fixturePath('clip-tiny', 'model.pt'))).stateDict;
    const st = (await readCheckpointFile(fixturePath('clip-tiny', 'model.safetensors'))).stateDict;
    const other = (await readCheckpointFile(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'))).stateDict;
    expect(fingerprintStateDict(pt)).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintStateDict(pt)).toBe(fingerprintStateDict(st));
    expect(fingerprintStateDict(other)).not.toBe(fingerprintStateDict(st));
    const key = [...st.keys()][0];
    const t = st.get(key)!;
    const changed = new Map(st).set(key, { ...t, data: Uint8Array.from(t.data, (b, i) => (i === 0 ? b ^ 1 : b)) });
    expect(fingerprintStateDict(changed)).not.toBe(fingerprintStateDict(st));
  });
});
