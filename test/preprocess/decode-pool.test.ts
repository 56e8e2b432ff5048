/** The decode pool: inputs equal the main thread's byte for byte, errors keep their names, a dead pool stops a stream. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodePool } from '../../src/preprocess/decode-pool.node.js';
import { readNodeImage } from '../../src/preprocess/image-input.node.js';
import { applePipeline, preprocessImage } from '../../src/preprocess/transform.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-decode-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveFixtures())('DecodePool', () => {
  it('gives every fixture image (PNG and JPEG, every mode) the same model input as the main thread, bit for bit, on 1 and 3 threads', async () => {
    const files = readdirSync(fixturePath('preprocess')).filter((f) => /\.(png|jpe?g)$/.test(f)).map((f) => fixturePath('preprocess', f));
    const images = readdirSync('test/fixtures/images').filter((f) => /\.jpe?g$/.test(f)).map((f) => join('test/fixtures/images', f));
    const all = [...files, ...images];
    expect(all.length).toBeGreaterThan(10);
    for (const threads of [1, 3]) {
      for (const pipeline of [applePipeline(256), applePipeline(96)]) {
        const pool = new DecodePool(pipeline, threads);
        try {
          const got = await Promise.all(all.map((f) => pool.prepareHashed(f)));
          for (const [i, f] of all.entries()) {
            const want = preprocessImage(await readNodeImage(f, f), pipeline).tensor;
            expect(Buffer.compare(Buffer.from(got[i].input.buffer), Buffer.from(want.buffer)), f).toBe(0);
            expect(got[i].sha256).toMatch(/^[0-9a-f]{64}$/);
          }
        } finally {
          await pool.close();
        }
      }
    }
  });

  it("a broken file's error keeps the decoder's name and message; a closed pool's waiting and later files fail as fatal", async () => {
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, readFileSync(fixturePath('preprocess', 'photo_q90.jpg')).subarray(0, 3000));
    const pool = new DecodePool(applePipeline(64), 1);
    const e = await pool.prepare(cut).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).name).toMatch(/DecodeError$/);
    expect((e as Error).message).toMatch(/cut\.jpg: corrupt or truncated JPEG data/);
    const waiting = pool.prepare(fixturePath('preprocess', 'astronaut.png')).catch((x: Error & { fatal?: boolean }) => x);
    await pool.close();
    const f = await waiting;
    expect((f as Error & { fatal?: boolean }).fatal).toBe(true);
    // And a request after that fails at once rather than waiting on a worker that is gone.
    await expect(pool.prepare(fixturePath('preprocess', 'astronaut.png'))).rejects.toThrow(/the decode pool was closed/);
  });
});
