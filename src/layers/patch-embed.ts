/** PatchEmbed (spec §2.5): `proj.0` large-kernel down-sampler, `proj.1` 1×1 MobileOne block. */
import type { Tensor } from '../runtime/tensor.js';
import { ReparamLargeKernelConv } from './large-kernel-conv.js';
import { MobileOneBlock } from './mobileone-block.js';
import type { WeightStore } from './weights.js';

export class PatchEmbed {
  private readonly down: ReparamLargeKernelConv;
  private readonly pointwise: MobileOneBlock;

  constructor(store: WeightStore, prefix: string, cfg: { cin: number; cout: number; patchSize: number; stride: number; se: boolean }) {
    this.down = new ReparamLargeKernelConv(store, `${prefix}.proj.0`, {
      cin: cfg.cin, cout: cfg.cout, kernel: cfg.patchSize, smallKernel: 3, stride: cfg.stride, groups: cfg.cin, se: cfg.se,
    });
    this.pointwise = new MobileOneBlock(store, `${prefix}.proj.1`, {
      cin: cfg.cout, cout: cfg.cout, kernel: [1, 1], stride: 1, padding: [0, 0], groups: 1, skip: true, scale: false, act: 'gelu',
    });
  }

  forward(x: Tensor): Tensor {
    return x.backend.scope(() => this.pointwise.forward(this.down.forward(x)));
  }
}
