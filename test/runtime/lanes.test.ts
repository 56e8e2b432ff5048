/**
 * The subgroup kernels at every lane count a CPU rasterizer can really run: lavapipe's subgroup is
 * its SIMD width (LP_NATIVE_VECTOR_WIDTH 128 / 256 / 512 bits → 4 / 8 / 16 lanes), so each width
 * runs test/helpers/lane-check.ts in its own process — the subgroup GEMM in every layout, the
 * depthwise tiles and LayerNorm against their references at that size. 16 lanes take the paths a
 * 32-lane GPU takes (one A load per lane, every row block within one subgroup). At 1024 bits
 * lavapipe reports 32 lanes but runs 16: the probe must refuse it, and the kernels then fall back.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers/gpu.js';

const g = useGpu();
const helper = fileURLToPath(new URL('../helpers/lane-check.ts', import.meta.url));

interface LaneReport {
  adapter: string;
  reported: [number | undefined, number | undefined];
  subgroupSize: number;
  cases: { name: string; kernels: string[]; maxAbs: number; maxRef: number }[];
}

function runAt(bits: number): LaneReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', helper], {
    env: { ...process.env, LP_NATIVE_VECTOR_WIDTH: String(bits) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`lane check at ${bits} bits exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as LaneReport;
}

describe('subgroup kernels at each lane count', () => {
  const lavapipe = () => g.gpu.info.description.includes('llvmpipe');
  for (const bits of [128, 256, 512]) {
    it(`${bits}-bit lavapipe: the subgroup GEMM and depthwise tiles match the references`, () => {
      const report = runAt(bits);
      // Elsewhere the variable means nothing: the adapter's own size is checked the same way.
      expect(report.subgroupSize).toBe(lavapipe() ? bits / 32 : (g.gpu.info.subgroupSize ?? 0));
      if (!report.subgroupSize) return;
      expect(report.cases.map((c) => c.name)).toEqual(['gemm nk K=40', 'gemm nk K=27', 'gemm kn K=40', 'gemm kn K=27', 'depthwise 3×3', 'depthwise 7×7', 'layer_norm d=13', 'layer_norm d=515']);
      for (const c of report.cases) {
        console.log(`sg${report.subgroupSize} ${c.name} (${c.kernels.join(', ')}): max|Δ| ${c.maxAbs.toExponential(2)}, rel ${(c.maxAbs / c.maxRef).toExponential(2)}`);
        expect(c.kernels.every((k) => new RegExp(`\\.sg${report.subgroupSize}(\\.|$)`).test(k))).toBe(true);
        expect(c.maxAbs).toBeLessThanOrEqual(1e-5 * c.maxRef);
      }
    });
  }

  it('1024-bit lavapipe reports 32 lanes but runs 16: the probe refuses the size', () => {
    if (!lavapipe()) return expect(lavapipe()).toBe(false);
    const report = runAt(1024);
    expect(report.reported).toEqual([32, 32]);
    expect(report.subgroupSize).toBe(0);
  });
});
