/**
 * Execution plans: a recorded MCi forward replays to exactly the eager result, for new inputs,
 * with no pipeline compiled and no parameter written, while the pool keeps serving other tensors.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { randUniform } from '../helpers/random.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { WeightStore } from '../../src/layers/weights.js';
import { MCi } from '../../src/models/mci.js';
import { mciConfigFromJson } from '../../src/models/mci-config.js';
import { linear } from '../../src/ops/index.js';

const g = useGpu();

describe.runIf(haveFixtures())('execution plans', () => {
  it('replay equals eager, for new inputs, with pinned buffers and no recompiles', async () => {
    const gpu = g.gpu;
    const cfg = mciConfigFromJson(JSON.parse(readFileSync(fixturePath('mci-tiny', 'config.json'), 'utf8')));
    const store = new WeightStore(gpu, (await readCheckpointFile(fixturePath('mci-tiny', 'model.safetensors'))).stateDict);
    const model = new MCi(store, cfg);
    store.finish();
    try {
      const shape = [2, 3, 64, 96];
      const inputs = [randUniform(2 * 3 * 64 * 96, 1, 0, 1), randUniform(2 * 3 * 64 * 96, 2, 0, 1)];
      const eager = [];
      for (const d of inputs) eager.push(await model.forward(gpu.upload(d, shape)).readFloat());

      const x = gpu.upload(new Float32Array(inputs[0].length), shape, 'f32', 'plan input');
      const { plan, result: y } = gpu.capture(() => model.forward(x));
      expect(plan.dispatches).toBeGreaterThan(30);
      console.log(`plan: ${plan.dispatches} dispatches, ${(plan.activationBytes / 2 ** 20).toFixed(2)} MiB of buffers`);
      const compiled = gpu.stats().pipelines.compiled;
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < inputs.length; i++) {
          gpu.writeTensor(x, inputs[i]);
          plan.run();
          // Pool churn between runs must not touch the plan's buffers.
          const junk = linear(gpu.upload(randUniform(64 * 32, 9, -1, 1), [64, 32]), gpu.upload(randUniform(16 * 32, 8, -1, 1), [16, 32]));
          const got = await y.readFloat();
          junk.dispose();
          expect(Array.from(got)).toEqual(Array.from(eager[i]));
        }
      }
      expect(gpu.stats().pipelines.compiled).toBe(compiled);
      const bad = gpu.capture(() => y.read());
      await expect(bad.result).rejects.toThrow(/while recording an execution plan/);
      bad.plan.dispose();
      plan.dispose();
      expect(() => plan.run()).toThrow(/after dispose/);
      y.dispose();
      x.dispose();
    } finally {
      store.dispose();
    }
  });
});
