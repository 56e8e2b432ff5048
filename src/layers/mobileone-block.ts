/**
 * MobileOneBlock (spec §2.2), run in its fused form: act(SE(conv(x; W, b))). A training-form
 * checkpoint (rbr_conv / rbr_scale / rbr_skip branches) is fused at load.
 */
import type { Tensor } from '../runtime/tensor.js';
import { conv2d } from '../ops/index.js';
import type { Activation } from '../ops/index.js';
import { type SeKind, SqueezeExcite } from './squeeze-excite.js';
import { type KeyShapes, type WeightStore, bnKeys } from './weights.js';

export interface MobileOneConfig {
  cin: number;
  cout: number;
  kernel: [number, number];
  stride: number;
  padding: [number, number];
  groups: number;
  /** Training form has the identity BatchNorm branch (Cin == Cout, stride 1). */
  skip: boolean;
  /** Training form has the 1×1 scale branch. */
  scale: boolean;
  /** Training form's number of kxk conv branches (0 for RepMixer's bare `norm`). */
  convBranches?: number;
  se?: SeKind;
  act: Activation;
}

/** The training-form keys of a MobileOne block, relative to its prefix. */
export function mobileOneTrainingKeys(c: MobileOneConfig): KeyShapes {
  const cpg = c.cin / c.groups;
  const keys: (readonly [string, readonly number[]])[] = [];
  for (let i = 0; i < (c.convBranches ?? 1); i++) {
    keys.push([`rbr_conv.${i}.conv.weight`, [c.cout, cpg, ...c.kernel]], ...bnKeys(`rbr_conv.${i}.bn`, c.cout));
  }
  if (c.scale) keys.push(['rbr_scale.conv.weight', [c.cout, cpg, 1, 1]], ...bnKeys('rbr_scale.bn', c.cout));
  if (c.skip) keys.push(...bnKeys('rbr_skip', c.cin));
  return keys;
}

export class MobileOneBlock {
  private readonly weight: Tensor;
  private readonly bias: Tensor;
  private readonly se: SqueezeExcite | null;

  constructor(
    store: WeightStore,
    readonly prefix: string,
    readonly cfg: MobileOneConfig,
  ) {
    const shape = [cfg.cout, cfg.cin / cfg.groups, ...cfg.kernel];
    ({ weight: this.weight, bias: this.bias } = store.fusedConvTensors(prefix, 'reparam_conv', shape, mobileOneTrainingKeys(cfg)));
    this.se = cfg.se ? new SqueezeExcite(store, `${prefix}.se`, cfg.cout, cfg.se) : null;
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, groups, act } = this.cfg;
    if (!this.se) return conv2d(x, this.weight, { bias: this.bias, stride, padding, groups, act });
    const se = this.se;
    return x.backend.scope(() => se.forward(conv2d(x, this.weight, { bias: this.bias, stride, padding, groups }), act));
  }
}
