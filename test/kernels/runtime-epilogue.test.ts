/**
 * The run-time GEMM epilogue (gpu.tuning.runtimeEpilogue, opt-in): one kernel per operand
 * layout, its bias / scale / residual / activation chosen by uniform flags. Every epilogue gives
 * the specialised kernel's bits exactly (same operations, same order), on the subgroup and the
 * blocked GEMM, f32 and f16, and whole models' parity reports are unchanged; a run over all of them
 * compiles far fewer pipelines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';
import { randn } from '../helpers/random.js';
import { gemm, type GemmEpilogue } from '../../src/ops/index.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { ACTIVATIONS } from '../../src/ops/index.js';
import { runParity } from '../../src/parity/parity.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';

const g = useGpu();
afterEach(() => {
  g.gpu.tuning.runtimeEpilogue = false;
  g.gpu.tuning.subgroupGemm = true;
});

const [M, N, K] = [21, 36, 44];

describe('run-time GEMM epilogue', () => {
  for (const subgroupGemm of [true, false]) {
    for (const dtype of ['f32', 'f16'] as const) {
      it(`${subgroupGemm ? 'subgroup' : 'blocked'} GEMM, ${dtype}: every epilogue bit-identical to its specialised kernel; fewer pipelines`, async () => {
        if (dtype === 'f16' && !g.gpu.features.shaderF16) return expect(g.gpu.features.shaderF16).toBe(false);
        g.gpu.tuning.subgroupGemm = subgroupGemm;
        const up = (n: number, seed: number, shape: number[]) => g.gpu.upload(randn(n, seed), shape, dtype);
        const a = up(M * K, 1, [M, K]);
        const bNk = up(N * K, 2, [N, K]);
        const bKn = up(K * N, 3, [K, N]);
        const biasN = up(N, 4, [N]);
        const biasM = up(M, 5, [M]);
        const scaleN = up(N, 6, [N]);
        const scaleM = up(M, 7, [M]);
        const residual = up(M * N, 8, [M, N]);
        const cases: { name: string; run: () => Tensor }[] = [];
        // Every activation with a bias, and the combinations the models use (a 1×1 conv's bias and
        // layer scale along M with a residual, a linear's scale along N): the specialised side
        // compiles one kernel per case, so the full cross product would take lavapipe minutes.
        const epilogues: GemmEpilogue[] = [
          ...ACTIVATIONS.map((act): GemmEpilogue => ({ act, bias: biasN, biasAlong: 'n' })),
          { act: 'none' },
          { act: 'gelu', bias: biasM, biasAlong: 'm' },
          { act: 'none', bias: biasM, biasAlong: 'm', scale: scaleM, scaleAlong: 'm', residual },
          { act: 'none', scale: scaleN, scaleAlong: 'n', residual },
          { act: 'sigmoid', bias: biasN, biasAlong: 'n', scale: scaleN, scaleAlong: 'n' },
        ];
        for (const [bLayout, b] of [['nk', bNk], ['kn', bKn]] as const) {
          for (const e of epilogues) {
            cases.push({
              name: `${bLayout} ${e.act} bias=${e.biasAlong ?? '-'} scale=${e.scaleAlong ?? '-'} res=${!!e.residual}`,
              run: () => gemm({ a, b, bLayout, M, N, K, batch: 1, strideA: 0, strideB: 0, outShape: [M, N], ...e }),
            });
          }
        }
        const outputs: Record<string, Float32Array[]> = {};
        const compiled: Record<string, number> = {};
        for (const runtime of [false, true]) {
          g.gpu.tuning.runtimeEpilogue = runtime;
          const before = g.gpu.stats().pipelines.compiled;
          const outs: Float32Array[] = [];
          for (const c of cases) {
            const y = c.run();
            outs.push(await y.readFloat());
            y.dispose();
          }
          outputs[String(runtime)] = outs;
          compiled[String(runtime)] = g.gpu.stats().pipelines.compiled - before;
        }
        cases.forEach((c, i) => expect(Array.from(outputs.true[i]), c.name).toEqual(Array.from(outputs.false[i])));
        console.log(`${cases.length} epilogues, ${subgroupGemm ? 'subgroup' : 'blocked'} ${dtype}: bit-identical; pipelines compiled: specialised ${compiled.false}, run-time ${compiled.true}`);
        expect(compiled.true, 'one run-time kernel per operand layout').toBe(2);
        expect(compiled.true).toBeLessThan(compiled.false);
        for (const t of [a, bNk, bKn, biasN, biasM, scaleN, scaleM, residual]) t.dispose();
      });
    }
  }

  it.runIf(haveFixtures())('clip-tiny and oc-vit-mci-tiny parity: every tensor the same with the run-time epilogue as without', async () => {
    for (const fixture of ['clip-tiny', 'openclip/oc-vit-mci-tiny']) {
      const reports = [];
      for (const runtime of [false, true]) {
        g.gpu.tuning.runtimeEpilogue = runtime;
        reports.push(await runParity(g.gpu, fixturePath(...fixture.split('/'))));
      }
      const [spec, run] = reports;
      expect(run.tensors.length).toBeGreaterThan(10);
      expect(run.tensors.map((t) => [t.name, t.maxAbs])).toEqual(spec.tensors.map((t) => [t.name, t.maxAbs]));
      expect(run.ok).toBe(true);
      console.log(`${fixture}: ${run.tensors.length} tensors, identical errors with the run-time epilogue`);
    }
  });
});
