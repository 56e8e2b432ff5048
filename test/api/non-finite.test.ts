/**
 * NaN and Inf: a checkpoint holding them is refused at load with the tensor's name (unless the
 * caller allows it); L2 normalisation propagates NaN as F.normalize does; an embedding that is not
 * finite is an error in the API and in the CLI (never `null` in --json, never exit 0).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, haveFixtures } from '../helpers/fixtures.js';
import { useGpu } from '../helpers/gpu.js';
import { runCli } from '../helpers/cli.js';
import { firstNonFinite, type HostTensor, isFloat, toFloat32 } from '../../src/io/host-tensor.js';
import { readCheckpointFile } from '../../src/io/read-file.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { createModelAndTransforms } from '../../src/api/node.js';
import { l2Normalize, l2NormalizeRef } from '../../src/ops/index.js';
import { toBf16Bits, toF16Bits } from '../../src/runtime/dtype.js';

const g = useGpu();
const dir = mkdtempSync(join(tmpdir(), 'mobileclip-nonfinite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
function tensors(values: number[]): HostTensor[] {
  const f32 = Float32Array.from(values);
  return [
    { dtype: 'F32', shape: [values.length], data: bytes(f32) },
    { dtype: 'F16', shape: [values.length], data: bytes(toF16Bits(f32)) },
    { dtype: 'BF16', shape: [values.length], data: bytes(toBf16Bits(f32)) },
    { dtype: 'F64', shape: [values.length], data: bytes(Float64Array.from(values)) },
  ];
}

describe('non-finite values', () => {
  it('firstNonFinite finds NaN and ±Inf in F32, F16, BF16 and F64, and nothing in the largest finite values', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const t of tensors([1, -2, 0.5, bad, 3])) expect(firstNonFinite(t), `${t.dtype} ${bad}`).toBe(3);
    }
    for (const t of tensors([0, -0, 1e-40, 65504, -65504, 1, 2 ** -24])) expect(firstNonFinite(t), t.dtype).toBe(-1);
    expect(firstNonFinite({ dtype: 'F32', shape: [2], data: bytes(Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38)) })).toBe(-1);
  });

  it('l2Normalize: a row with a NaN becomes all NaN (as F.normalize), a zero row stays zero', async () => {
    const x = Float32Array.from([3, 4, 0, 0, 1, NaN, 2, 2, 0, 0, 0, 0]);
    const got = await l2Normalize(g.gpu.upload(x, [3, 4])).readFloat();
    const ref = l2NormalizeRef(x, 4);
    expect(Array.from(got)).toEqual(Array.from(ref));
    expect(Array.from(got.subarray(4, 8)).every(Number.isNaN)).toBe(true);
    expect(Array.from(got.subarray(8))).toEqual([0, 0, 0, 0]);
  });
});

describe.runIf(haveFixtures())('a checkpoint with a NaN', () => {
  const config = () => fixturePath('clip-tiny', 'config.json');
  let poisoned = '';
  let key = '';
  it('is refused at load, naming the tensor; allowed, its NaN embeddings are an error', async () => {
    const sd = (await readCheckpointFile(fixturePath('clip-tiny', 'model.safetensors'))).stateDict;
    key = [...sd.keys()].find((k) => k.startsWith('image_encoder.') && k.endsWith('.weight') && isFloat(sd.get(k)!))!;
    const t = sd.get(key)!;
    const f = toFloat32(t, key).slice();
    f[2] = NaN;
    sd.set(key, { dtype: 'F32', shape: t.shape, data: bytes(f) });
    poisoned = join(dir, 'nan.safetensors');
    writeFileSync(poisoned, writeSafetensors(sd, { format: 'pt' }));
    await expect(createModelAndTransforms(config(), { weights: poisoned, gpu: g.gpu })).rejects.toThrow(new RegExp(`nan\\.safetensors: 1 tensor holds NaN or infinite values:\\n  ${key.replaceAll('.', '\\.')} \\(F32 .*\\): NaN at flat index 2`));
    const m = await createModelAndTransforms(config(), { weights: poisoned, gpu: g.gpu, allowNonFinite: true });
    try {
      await expect(m.model.encodeImages([fixturePath('preprocess', 'coffee.png')])).rejects.toThrow(/image 0: the embedding holds NaN/);
    } finally {
      m.dispose();
    }
  });

  it('the CLI: refused (exit 1) with the tensor name; with --allow-non-finite, --json never prints null', async () => {
    const args = ['embed', '--model', config(), '--weights', poisoned, '--image', fixturePath('preprocess', 'coffee.png'), '--json'];
    const refused = await runCli(...args);
    // With --json the error is JSON on stdout.
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out).error.message).toContain(key);
    const allowed = await runCli(...args, '--allow-non-finite');
    expect(allowed.code).toBe(1);
    expect(JSON.parse(allowed.out)).toEqual({ error: { type: 'NonFiniteOutputError', message: expect.stringMatching(/^image 0: the embedding holds NaN/) } });
    expect(allowed.out).not.toMatch(/null/);
  });
});
