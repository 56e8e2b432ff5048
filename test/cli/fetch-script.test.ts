/** weights/fetch.sh without the network (--from): copies a .pt, inspects it, converts it. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { readCheckpointFile } from '../../src/io/read-file.js';

describe.runIf(haveFixtures())('weights/fetch.sh', () => {
  it('converts a local checkpoint to fused safetensors (--from, no download)', async () => {
    const src = mkdtempSync(join(tmpdir(), 'mc-src-'));
    const out = mkdtempSync(join(tmpdir(), 'mc-out-'));
    try {
      copyFileSync(fixturePath('mci-tiny', 'model.pt'), join(src, 'mobileclip_s0.pt')); // stands in for the real file
      const r = spawnSync('bash', ['weights/fetch.sh', '--from', src, 's0'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out }, timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/form:\s+training/);
      expect(existsSync(join(out, 'mobileclip_s0.safetensors'))).toBe(true);
      const fused = await readCheckpointFile(join(out, 'mobileclip_s0.safetensors'));
      const ref = await readCheckpointFile(fixturePath('mci-tiny', 'model.reparam.safetensors'));
      expect([...fused.stateDict.keys()].sort()).toEqual([...ref.stateDict.keys()].sort());
      const bad = spawnSync('bash', ['weights/fetch.sh', '--from', src, 's2'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out } });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/mobileclip_s2\.pt not found/);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
