/** parameterBound is an upper bound of the real models' weights, and not a loose one: it bounds checkpoint downloads. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parameterBound } from '../../src/models/parameter-count.js';
import { modelSpec } from '../../src/models/model-specs.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

describe.runIf(haveFixtures())('parameterBound', () => {
  it('is 1.0-1.5 × the parameters of each of the nine real OpenCLIP models (oc-keys), per tower', () => {
    const models = JSON.parse(readFileSync(fixturePath('openclip', 'oc-keys', 'index.json'), 'utf8')).models as Record<string, { visual: number; text: number; total: number }>;
    expect(Object.keys(models)).toHaveLength(9);
    for (const [name, m] of Object.entries(models)) {
      const s = modelSpec(name);
      const ratios = [parameterBound(s) / m.total, parameterBound({ image: s.image, text: null }) / m.visual, parameterBound({ image: null, text: s.text }) / m.text];
      for (const r of ratios) {
        expect(r, name).toBeGreaterThanOrEqual(1);
        expect(r, name).toBeLessThanOrEqual(1.5);
      }
    }
  });
});
