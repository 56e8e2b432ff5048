/**
 * Every op against the PyTorch goldens in fixtures/ops (ops/README), on both backends:
 * max|Δ| ≤ 1e-5·max|ref|, 1e-6 absolute for GELU, sigmoid and softmax.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, it } from 'vitest';
import { FIXTURES, fixturePath, haveFixtures, loadFixture } from '../helpers/fixtures.js';
import { forEachBackend } from '../helpers/backends.js';
import { diff, expectClose } from '../helpers/compare.js';
import type { SafetensorsFile } from '../../src/io/safetensors.js';
import { conv2d } from '../../src/ops/index.js';
import { unary } from '../../src/ops/index.js';
import { layerNorm, layerNormRef } from '../../src/ops/index.js';
import { softmax } from '../../src/ops/index.js';
import { attention, packQkv, splitHeads } from '../../src/ops/index.js';
import { batchNormLayer } from '../helpers/batch-norm.js';
import { l2Normalize } from '../../src/ops/index.js';
import { globalAvgPool } from '../../src/ops/index.js';
import { linear, matmul } from '../../src/ops/index.js';
import { interpolatePositions } from '../../src/layers/interpolate-positions.js';

interface OpCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const cases: OpCase[] = FIXTURES ? JSON.parse(readFileSync(fixturePath('ops/index.json'), 'utf8')).cases : [];
let ops: SafetensorsFile;

forEachBackend('ops goldens (PyTorch)', (backend) => {
  beforeAll(async () => {
    ops = await loadFixture('ops/ops.safetensors');
  });

  const up = (name: string) => backend().upload(ops.float32(name), ops.info(name).shape, 'f32', name);
  const ref = (name: string) => ops.float32(name);
  const REL = 1e-5;

  for (const c of cases) {
    it(c.name, async () => {
      const p = c.params;
      switch (c.op) {
        case 'conv2d': {
          const y = conv2d(up(c.inputs.x), up(c.inputs.weight), {
            stride: p.stride as [number, number],
            padding: p.padding as [number, number],
            groups: p.groups as number,
            bias: c.inputs.bias ? up(c.inputs.bias) : undefined,
          });
          expectClose(c.name, await y.readFloat(), ref(c.outputs.out), { rel: REL });
          break;
        }
        case 'gelu':
        case 'sigmoid':
        case 'relu': {
          const y = unary(up(c.inputs.x), c.op);
          expectClose(c.name, await y.readFloat(), ref(c.outputs.out), { rel: 0, abs: 1e-6 });
          break;
        }
        case 'layer_norm': {
          const x = ref(c.inputs.x);
          const d = ops.info(c.inputs.x).shape.at(-1)!;
          const y = await layerNorm(up(c.inputs.x), up(c.inputs.weight), up(c.inputs.bias), p.eps as number).readFloat();
          // Against float64 math: the real error of the kernel.
          const exact = layerNormRef(x, d, ref(c.inputs.weight), ref(c.inputs.bias), p.eps as number);
          expectClose(`${c.name} vs float64`, y, exact, { rel: REL });
          // Against PyTorch: its own float32 rounding is part of the budget (eps_dominated: a 0.5
          // offset on a 1e-3 spread costs PyTorch 3e-5 relative against float64).
          const torchErr = diff(ref(c.outputs.out), exact).maxAbs;
          expectClose(`${c.name} vs PyTorch (its own error vs float64 ${torchErr.toExponential(2)})`, y, ref(c.outputs.out), { rel: REL, abs: torchErr });
          break;
        }
        case 'softmax': {
          const y = softmax(up(c.inputs.x));
          expectClose(c.name, await y.readFloat(), ref(c.outputs.out), { rel: 0, abs: 1e-6 });
          break;
        }
        case 'attention': {
          const shape = ops.info(c.inputs.q).shape; // [B, heads, N, hd]
          const qkv = packQkv(ref(c.inputs.q), ref(c.inputs.k), ref(c.inputs.v), shape);
          const [b, heads, n, hd] = shape;
          const t = backend().upload(qkv, [b, n, 3, heads, hd]);
          const got = splitHeads(await attention(t, { heads }).readFloat(), shape);
          expectClose(c.name, got, ref(c.outputs.out), { rel: REL });
          if (c.outputs.out_causal) {
            const gotC = splitHeads(await attention(t, { heads, causal: true }).readFloat(), shape);
            expectClose(`${c.name} (causal)`, gotC, ref(c.outputs.out_causal), { rel: REL });
          }
          break;
        }
        case 'batch_norm': {
          const bn = batchNormLayer(backend(), {
            weight: ref(c.inputs.weight),
            bias: ref(c.inputs.bias),
            runningMean: ref(c.inputs.running_mean),
            runningVar: ref(c.inputs.running_var),
            eps: p.eps as number,
          });
          expectClose(c.name, await bn.forward(up(c.inputs.x)).readFloat(), ref(c.outputs.out), { rel: REL });
          break;
        }
        case 'normalize': {
          expectClose(c.name, await l2Normalize(up(c.inputs.x)).readFloat(), ref(c.outputs.out), { rel: REL });
          break;
        }
        case 'mean': {
          const y = await globalAvgPool(up(c.inputs.x)).readFloat();
          expectClose(c.name, y, ref(c.outputs.out), { rel: REL });
          expectClose(`${c.name} (avg_pool2d)`, y, ref(c.outputs.out_avg_pool2d), { rel: REL });
          break;
        }
        case 'matmul': {
          expectClose(c.name, await matmul(up(c.inputs.a), up(c.inputs.b)).readFloat(), ref(c.outputs.out), { rel: REL });
          break;
        }
        case 'linear': {
          const y = linear(up(c.inputs.x), up(c.inputs.weight), { bias: up(c.inputs.bias) });
          expectClose(c.name, await y.readFloat(), ref(c.outputs.out), { rel: REL });
          break;
        }
        case 'interpolate': {
          const x = ops.info(c.inputs.x).shape; // [1, 1, 196, C]
          const [n] = p.size as number[];
          const got = interpolatePositions(ref(c.inputs.x), x[2], x[3], n);
          expectClose(c.name, got, ref(c.outputs.out), { rel: REL });
          break;
        }
        default:
          throw new Error(`ops fixture ${c.name}: no test for op "${c.op}"`);
      }
    });
  }
}, haveFixtures());
