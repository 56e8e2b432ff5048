/**
 * Every shared model fixture (../shared/fixtures and its openclip/ folder), from every checkpoint
 * form it ships, on the CPU backend: every stored output and intermediate within the parity
 * tolerance (1e-4·max|ref|, embeddings' cosine as runParity checks it) — the bound the WebGPU suite
 * holds — and the same tensors compared as on WebGPU (none left out on the CPU).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { formatParity, runParity } from '../../src/parity/parity.js';
import { CpuBackend } from '../../src/backends/cpu/cpu-backend.js';

const FORMS = ['model.safetensors', 'model.reparam.safetensors', 'model.pt'];

/** [folder relative to the fixtures, checkpoint file] for every model fixture and form. */
function cases(): [string, string][] {
  if (!FIXTURES) return [];
  const dirs = [...readdirSync(FIXTURES).map((d) => d), ...readdirSync(join(FIXTURES, 'openclip')).map((d) => `openclip/${d}`)];
  return dirs
    .filter((d) => existsSync(join(FIXTURES!, d, 'outputs.safetensors')))
    .flatMap((d) => FORMS.filter((f) => existsSync(join(FIXTURES!, d, f))).map((f): [string, string] => [d, f]));
}

const g = useGpu();
const cpu = new CpuBackend();
afterAll(() => cpu.destroy());

describe.runIf(haveFixtures())('every shared model fixture on the CPU backend', () => {
  it('finds the fixtures: 12 models, 21 checkpoint forms', () => {
    const all = cases();
    expect(new Set(all.map(([d]) => d)).size).toBe(12);
    expect(all.length).toBe(21);
  });

  for (const [dir, file] of cases()) {
    it(`${dir} from ${file}`, { timeout: 180_000 }, async () => {
      const opts = { checkpoint: fixturePath(dir, file) };
      const r = await runParity(cpu, fixturePath(dir), opts);
      console.log(formatParity(r));
      const onGpu = await runParity(g.gpu, fixturePath(dir), opts);
      expect(r.tensors.length).toBeGreaterThan(0);
      expect(r.tensors.map((t) => t.name)).toEqual(onGpu.tensors.map((t) => t.name));
      expect(r.notProduced).toEqual(onGpu.notProduced);
      for (const t of r.tensors) expect(t.rel, `${t.name}: rel ${t.rel}`).toBeLessThanOrEqual(1e-4);
      expect(r.ok).toBe(true);
    });
  }
});
