/**
 * ReparamLargeKernelConv (spec §2.4), PatchEmbed's `proj.0`: a grouped 7×7 stride-2 conv (plus a
 * 3×3 branch in training form, fused at load), optional squeeze-excite, then GELU.
 */
import type { Tensor } from '../runtime/tensor.js';
import { conv2d } from '../ops/index.js';
import { SqueezeExcite } from './squeeze-excite.js';
import { type WeightStore, bnKeys } from './weights.js';

export interface LargeKernelConfig {
  cin: number;
  cout: number;
  kernel: number;
  smallKernel: number;
  stride: number;
  groups: number;
  se: boolean;
}

export class ReparamLargeKernelConv {
  private readonly weight: Tensor;
  private readonly bias: Tensor;
  private readonly se: SqueezeExcite | null;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: LargeKernelConfig,
  ) {
    const cpg = cfg.cin / cfg.groups;
    const shape = [cfg.cout, cpg, cfg.kernel, cfg.kernel];
    ({ weight: this.weight, bias: this.bias } = store.fusedConvTensors(prefix, 'lkb_reparam', shape, [
      ['lkb_origin.conv.weight', shape],
      ...bnKeys('lkb_origin.bn', cfg.cout),
      ['small_conv.conv.weight', [cfg.cout, cpg, cfg.smallKernel, cfg.smallKernel]],
      ...bnKeys('small_conv.bn', cfg.cout),
    ]));
    this.se = cfg.se ? new SqueezeExcite(store, `${prefix}.se`, cfg.cout, 'timm') : null;
  }

  forward(x: Tensor): Tensor {
    const p = this.cfg.kernel >> 1;
    const opts = { bias: this.bias, stride: this.cfg.stride, padding: p, groups: this.cfg.groups };
    if (!this.se) return conv2d(x, this.weight, { ...opts, act: 'gelu' });
    const se = this.se;
    return x.backend.scope(() => se.forward(conv2d(x, this.weight, opts), 'gelu'));
  }
}
