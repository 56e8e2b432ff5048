/** weights/fetch.sh without the network (--from): copies a .pt, inspects it, converts it. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

describe.runIf(haveFixtures())('weights/fetch.sh with OpenCLIP names', () => {
  it('lays a hub checkpoint out as weights/<repo>/ (--from, no download), checks it is OpenCLIP, and names a missing file', () => {
    const src = mkdtempSync(join(tmpdir(), 'mc-src-'));
    const out = mkdtempSync(join(tmpdir(), 'mc-out-'));
    try {
      // The tiny fixture stands in for the hub repo's two files.
      mkdirSync(join(src, 'MobileCLIP2-S0-OpenCLIP'));
      copyFileSync(fixturePath('openclip', 'oc-mci-tiny', 'config.json'), join(src, 'MobileCLIP2-S0-OpenCLIP', 'open_clip_config.json'));
      copyFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'), join(src, 'MobileCLIP2-S0-OpenCLIP', 'open_clip_model.safetensors'));
      copyFileSync(fixturePath('openclip', 'oc-mci-tiny', 'model.safetensors'), join(src, 'bpe_simple_vocab_16e6.txt.gz')); // any file: only copied
      const r = spawnSync('bash', ['weights/fetch.sh', '--from', src, 'MobileCLIP2-S0'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out }, timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/format:\s+safetensors, OpenCLIP\/timm key names/);
      expect(existsSync(join(out, 'MobileCLIP2-S0-OpenCLIP', 'open_clip_model.safetensors'))).toBe(true);
      expect(existsSync(join(out, 'MobileCLIP2-S0-OpenCLIP', 'open_clip_config.json'))).toBe(true);
      // An Apple-format file where an OpenCLIP one belongs is refused.
      copyFileSync(fixturePath('mci-tiny', 'model.safetensors'), join(src, 'MobileCLIP2-S0-OpenCLIP', 'open_clip_model.safetensors'));
      rmSync(join(out, 'MobileCLIP2-S0-OpenCLIP'), { recursive: true });
      const wrong = spawnSync('bash', ['weights/fetch.sh', '--from', src, 'MobileCLIP2-S0'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out }, timeout: 120_000 });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/is not an OpenCLIP checkpoint/);
      const missing = spawnSync('bash', ['weights/fetch.sh', '--from', src, 'MobileCLIP2-L-14'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out } });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(/MobileCLIP2-L-14-OpenCLIP\/open_clip_config\.json not found/);
      const unknown = spawnSync('bash', ['weights/fetch.sh', 'MobileCLIP3-S0'], { encoding: 'utf8', env: { ...process.env, MOBILECLIP_WEIGHTS_DIR: out } });
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toMatch(/unknown argument 'MobileCLIP3-S0'/);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
