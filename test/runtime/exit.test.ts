import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./scripts/run-and-exit.ts', import.meta.url));

describe('process lifetime', () => {
  for (const destroy of [true, false]) {
    it(`a Node process exits by itself when its work is done (${destroy ? 'with' : 'without'} gpu.destroy())`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...(destroy ? ['--destroy'] : [])], { encoding: 'utf8', timeout: 30_000 });
      expect(r.error, String(r.error)).toBeUndefined(); // a hang shows up as a timeout error here
      expect(r.stdout).toContain('result 4,4,4,4,4,4');
      expect(r.status).toBe(0);
    });
  }
});
