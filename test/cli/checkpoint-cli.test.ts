import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { diff, fmtDiff } from '../helpers/compare.js';
import { runCli } from '../helpers/cli.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { isFloat, toFloat32 } from '../../src/io/host-tensor.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/runtime/dtype.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

describe.runIf(haveFixtures())('mobileclip info / convert', () => {
  it('info recognises S0 and counts its parameters per tower', async () => {
    const r = await run('info', fixturePath('s0-full', 'model.safetensors'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.model).toBe('mobileclip_s0');
    expect(j.fused).toBe(false);
    expect(j.tensors).toBe(893);
    // The spec's measured counts for S0 in training form.
    expect(j.parameters).toEqual({ image: 11406464, text: 42441216, other: 1 });
    expect(j.dtypes).toEqual({ F16: 771, I64: 122 });
  });

  for (const name of ['mci-tiny', 'text-mct-tiny', 'clip-tiny']) {
    it(`convert --reparam of ${name} gives model.reparam.safetensors (same keys, ≤1e-5·max|ref|)`, async () => {
      const out = join(dir, `${name}.fused.safetensors`);
      const r = await run('convert', fixturePath(name, 'model.safetensors'), out, '--reparam');
      expect(r.code, r.err).toBe(0);
      const got = (await readCheckpointFile(out)).stateDict;
      const ref = (await readCheckpointFile(fixturePath(name, 'model.reparam.safetensors'))).stateDict;
      expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
      let worst = 0;
      for (const [k, t] of ref) {
        expect(got.get(k)!.shape).toEqual(t.shape);
        if (!isFloat(t)) continue;
        const d = diff(toFloat32(got.get(k)!), toFloat32(t));
        worst = Math.max(worst, d.rel);
        expect(d.rel, `${k}: ${fmtDiff(d)}`).toBeLessThanOrEqual(1e-5);
      }
      console.log(`${name}: convert --reparam, worst tensor rel error ${worst.toExponential(2)}`);
      const info = JSON.parse((await run('info', out, '--json')).out);
      expect(info.fused).toBe(true);
    });
  }

  it('convert --dtype f16 rounds every float tensor to nearest even and keeps integer ones', async () => {
    const out = join(dir, 'mci.f16.safetensors');
    expect((await run('convert', fixturePath('mci-tiny', 'model.pt'), out, '--dtype', 'f16')).code).toBe(0);
    const got = (await readCheckpointFile(out)).stateDict;
    const src = (await readCheckpointFile(fixturePath('mci-tiny', 'model.safetensors'))).stateDict;
    for (const [k, t] of src) {
      const g = got.get(k)!;
      if (!isFloat(t)) {
        expect(g.dtype).toBe(t.dtype);
        continue;
      }
      expect(g.dtype).toBe('F16');
      expect(Array.from(toFloat32(g))).toEqual(Array.from(toFloat32(t), (v) => f16BitsToF32(f32ToF16Bits(v))));
    }
  });

  it('bad input: missing file (exit 1), non-checkpoint, unknown option values and command (exit 2)', async () => {
    const missing = await run('info', join(dir, 'nope.pt'));
    expect(missing.err).toMatch(/cannot read .*nope\.pt: no such file/);
    expect(missing.code).toBe(1);
    expect((await run('info', fixturePath('ops', 'index.json'))).err).toMatch(/not a checkpoint/);
    expect((await run('convert', 'a', 'b', '--dtype', 'f8')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('runs as `npx mobileclip` from the repository root', () => {
    const r = spawnSync('npx', ['mobileclip', 'info', fixturePath('vit-tiny', 'model.pt')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ViT, 2 layers, width 64/);
  });
});
