/** RepCPE (spec §2.8): conditional positional encoding, x + dwconv7×7(x) + b, fused to one conv. */
import type { Tensor } from '../runtime/tensor.js';
import { conv2d } from '../ops/index.js';
import type { WeightStore } from './weights.js';

export class RepCPE {
  private readonly weight: Tensor;
  private readonly bias: Tensor;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: { dim: number; kernel: [number, number] },
  ) {
    const shape = [cfg.dim, 1, ...cfg.kernel];
    ({ weight: this.weight, bias: this.bias } = store.fusedConvTensors(prefix, 'reparam_conv', shape, [
      ['pe.weight', shape],
      ['pe.bias', [cfg.dim]],
    ]));
  }

  forward(x: Tensor): Tensor {
    const [kh, kw] = this.cfg.kernel;
    return conv2d(x, this.weight, { bias: this.bias, groups: this.cfg.dim, padding: [kh >> 1, kw >> 1] });
  }
}
