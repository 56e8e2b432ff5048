/**
 * `--device` through the real CLI entry point: the CPU backend by name and by fallback (no Vulkan
 * driver visible: one plain line on stderr, none of Dawn's), `parity --device cpu` on a fixture,
 * and a clear usage error for a device that does not exist.
 */
import { describe, expect, it } from 'vitest';
import { runCli, runCliWith } from '../helpers/cli.js';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { cpuBeatsSoftwareAdapter } from '../../src/api/backend-choice.js';
import { createGpu } from '../../src/backends/webgpu/node.js';

const dir = mkdtempSync(join(tmpdir(), 'mobileclip-device-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NO_VULKAN = { VK_ICD_FILENAMES: '/nonexistent/icd.json', MOBILECLIP_DEVICE: 'auto' };

describe('--device', () => {
  it('an unknown device is a usage error naming the choices (exit 2)', async () => {
    const r = await runCli('embed', '--text', 'a cat', '--device', 'tpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--device must be one of 'auto', 'webgpu', 'cpu', not "tpu"/);
  });

  it("the software-adapter rule: lavapipe on up to 2 cores with f32 storage → the CPU; anything else stays on WebGPU", () => {
    expect(cpuBeatsSoftwareAdapter('mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7', 2, 'f32')).toBe(true);
    expect(cpuBeatsSoftwareAdapter('lavapipe', 1, 'f32')).toBe(true);
    expect(cpuBeatsSoftwareAdapter('mesa software llvmpipe', 4, 'f32')).toBe(false); // more cores: not measured
    expect(cpuBeatsSoftwareAdapter('mesa software llvmpipe', 2, 'f16')).toBe(false); // the CPU stores f32 only
    expect(cpuBeatsSoftwareAdapter('Google SwiftShader', 2, 'f32')).toBe(false); // not measured
  });

  it('MOBILECLIP_DEVICE: a bad value is an error naming it', async () => {
    const r = await runCliWith({ env: { MOBILECLIP_DEVICE: 'tpu' } }, 'embed', '--text', 'a cat');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MOBILECLIP_DEVICE must be one of 'auto', 'webgpu', 'cpu', not "tpu"/);
  });

  it('bench --device cpu: a plain aligned table on stdout, the same rows as JSON in --out (naming the CPU backend), one progress line per step on stderr', async () => {
    const out = join(dir, 'bench.json');
    const r = await runCliWith({ timeoutMs: 240_000 }, 'bench', '--device', 'cpu', '--towers', 'text', '--repeats', '1', '--out', out, '--progress');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { backend: string; adapter: string; policy: null; gemmPeak: { gflops: number }; rows: { tower: string; medianMs: number; gflops: number; peakBytes: number }[] };
    expect(j.backend).toBe('cpu');
    // The launcher turns relaxed SIMD on where Node has it only behind a flag (bin/v8-flags.mjs).
    expect(j.adapter).toMatch(new RegExp(`^cpu, CPU \\(WebAssembly relaxed SIMD, ${availableParallelism() > 1 ? `${availableParallelism()} threads` : '1 thread: one logical core'}\\)$`));
    expect(j.policy).toBe(null);
    expect(j.rows.map((x) => x.tower)).toEqual(['text']);
    for (const x of [j.gemmPeak.gflops, j.rows[0].medianMs, j.rows[0].gflops, j.rows[0].peakBytes]) expect(x).toBeGreaterThan(0);

    // The table: a header, a rule, one line per row, numbers right-aligned under their rule.
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`backend: ${j.adapter}`);
    const at = lines.findIndex((l) => l.startsWith('model '));
    expect(at, r.out).toBeGreaterThan(0);
    const [header, rule, row] = lines.slice(at, at + 3);
    expect(header.split(/ {2,}/)).toEqual(['model', 'tower', 'batch', 'dtype', 'cold ms', 'warm median ms', 'items/s', 'GFLOP/s', '% GEMM peak', 'peak MiB (incl. weights)']);
    expect(rule).toMatch(/^-+( {2}-+){9}$/);
    expect(row).toMatch(/^mobileclip_s0 +text +1 +f32 +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+\*? +\d+$/);
    const ends = [...rule.matchAll(/-+/g)].map((m) => m.index! + m[0].length);
    expect(row.length).toBe(ends[ends.length - 1]);
    expect(r.out).not.toMatch(/\(index\)|'/);

    // Into a pipe: one line per step, nothing redrawn.
    expect(r.err).not.toContain('\r');
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^timing the reference GEMMs… done in \d+\.\d\d s$/),
      expect.stringMatching(/^timing mobileclip_s0 text batch 1 f32… done in \d+\.\d\d s$/),
      expect.stringMatching(/^timing the reference GEMMs again… done in \d+\.\d\d s$/),
      `wrote ${out}`,
    ]);
  });

  describe.runIf(haveFixtures())('with fixtures', () => {
    it('parity --device cpu passes a fixture and says where it ran', async () => {
      const r = await runCliWith({ timeoutMs: 180_000 }, 'parity', fixturePath('clip-tiny'), '--device', 'cpu', '--progress');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/PASS: 26 tensors within tolerance/);
      expect(r.err).toMatch(/running .*clip-tiny on cpu… done/);
    });

    it('with no Vulkan driver, auto falls back to the CPU with one line; --device webgpu names the install command', async () => {
      const embed = ['embed', '--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--image', fixturePath('preprocess', 'coffee.png'), '--json'];
      const auto = await runCliWith({ env: NO_VULKAN, timeoutMs: 180_000 }, ...embed);
      expect(auto.code, auto.err).toBe(0);
      expect(auto.err.split('\n')).toEqual(['no Vulkan driver: none of the files in VK_ICD_FILENAMES exists: running on the CPU backend (pass --device cpu to skip the check, or install a Vulkan driver for WebGPU: mesa-vulkan-drivers on Debian and Ubuntu)']);
      const cpu = await runCliWith({ env: NO_VULKAN, timeoutMs: 180_000 }, ...embed, '--device', 'cpu');
      expect(cpu.code, cpu.err).toBe(0);
      expect(cpu.err).toBe('');
      expect(JSON.parse(cpu.out)).toEqual(JSON.parse(auto.out));
      const gpu = await runCliWith({ env: NO_VULKAN, timeoutMs: 180_000 }, ...embed, '--device', 'webgpu');
      expect(gpu.code).toBe(1);
      // With --json the error is JSON on stdout; Dawn's own warnings may still reach stderr.
      const error = (JSON.parse(gpu.out) as { error: { type: string; message: string } }).error;
      expect(error.type).toBe('GpuError');
      expect(error.message).toMatch(/No WebGPU adapter found.*sudo apt install mesa-vulkan-drivers.*--device cpu/s);
      expect(gpu.out + gpu.err).not.toMatch(/scripts\/install-vulkan-driver\.sh/);
    });

    it("auto on this machine follows the rule: lavapipe on ≤ 2 cores → the CPU, saying so in one line", async () => {
      const r = await runCliWith({ env: { MOBILECLIP_DEVICE: 'auto' }, timeoutMs: 180_000 }, 'embed', '--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--image', fixturePath('preprocess', 'coffee.png'), '--json');
      expect(r.code, r.err).toBe(0);
      const gpu = await createGpu();
      const expected = gpu.info.isSoftware && cpuBeatsSoftwareAdapter(gpu.info.description, availableParallelism(), 'f32');
      gpu.destroy();
      console.log(`auto here: ${expected ? 'the CPU' : 'WebGPU'} (${availableParallelism()} cores); stderr: ${JSON.stringify(r.err)}`);
      expect(r.err.split('\n').filter((l) => l && !/artificially reduced/.test(l))).toEqual(expected ? ['the WebGPU adapter is a software one (Mesa lavapipe): running on the CPU backend, faster here (--device webgpu to use the adapter)'] : []);
    });

    it('embed on the CPU equals embed on WebGPU within float32 noise (clip-tiny, a PNG and a JPEG)', async () => {
      const args = ['embed', '--config', fixturePath('clip-tiny', 'config.json'), '--weights', fixturePath('clip-tiny', 'model.safetensors'), '--image', fixturePath('preprocess', 'coffee.png'), '--image', fixturePath('preprocess', 'photo_q90.jpg'), '--json'];
      const [cpu, gpu] = [await runCliWith({ timeoutMs: 180_000 }, ...args, '--device', 'cpu'), await runCliWith({ timeoutMs: 180_000 }, ...args, '--device', 'webgpu')];
      expect(cpu.code, cpu.err).toBe(0);
      expect(gpu.code, gpu.err).toBe(0);
      const flat = (o: unknown): number[] => JSON.stringify(o).match(/-?\d+\.\d+(e-?\d+)?/g)!.map(Number);
      const [a, b] = [flat(JSON.parse(cpu.out)), flat(JSON.parse(gpu.out))];
      expect(a.length).toBeGreaterThanOrEqual(128);
      expect(a.length).toBe(b.length);
      const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      console.log(`embed clip-tiny, CPU vs WebGPU: ${a.length} values, max|Δ| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  });
});
