/**
 * Re-parameterisation at load (MobileCLIP spec §2.2, §2.4, §2.6, §2.8): training-form branches are
 * folded into single convolutions on the host, in float32 and in the official order, so that a
 * training checkpoint and a fused one give the same model. It works on the state dict by key
 * pattern, renaming exactly as PyTorch's `reparameterize_model` does:
 *   MobileOneBlock   P.rbr_conv.*, P.rbr_scale.*, P.rbr_skip.*     → P.reparam_conv.{weight,bias}
 *   RepMixer         P.norm.*, P.mixer.*, P.layer_scale            → P.reparam_conv.{weight,bias}
 *   ReparamLargeKernelConv  P.lkb_origin.*, P.small_conv.*         → P.lkb_reparam.{weight,bias}
 *   RepCPE           P.pe.{weight,bias}                             → P.reparam_conv.{weight,bias}
 * Everything else (SE, layer scales, ConvFFN and attention BatchNorms, linears) passes through.
 */
import { type HostTensor, type StateDict, float32Tensor, toFloat32 } from '../io/host-tensor.js';
import { fmtShape, numel } from '../runtime/shape.js';
import { type BatchNormParams, absorbBn } from './bn-fold.js';

export class ReparamError extends Error {
  override name = 'ReparamError';
}

const f = Math.fround;
const BN_EPS = 1e-5;

interface Kernel {
  w: Float32Array;
  /** [Cout, Cin/groups, kh, kw] */
  shape: number[];
  b: Float32Array;
}

/** Reads tensors of one group, collecting every missing key before failing. */
class GroupReader {
  readonly missing: string[] = [];
  constructor(
    private readonly sd: StateDict,
    readonly used: Set<string>,
  ) {}
  has(key: string): boolean {
    return this.sd.has(key);
  }
  float(key: string): { data: Float32Array; shape: number[] } | null {
    const t = this.sd.get(key);
    if (!t) {
      this.missing.push(key);
      return null;
    }
    this.used.add(key);
    return { data: toFloat32(t, key), shape: t.shape };
  }
  /** Marks a BatchNorm's int64 counter as consumed (it does not affect inference). */
  skip(key: string): void {
    if (this.sd.has(key)) this.used.add(key);
  }
  check(what: string): void {
    if (this.missing.length) throw new ReparamError(`cannot fuse ${what}: missing ${this.missing.join(', ')}`);
  }
}

function readBn(r: GroupReader, p: string): BatchNormParams | null {
  const gamma = r.float(`${p}.weight`);
  const beta = r.float(`${p}.bias`);
  const mean = r.float(`${p}.running_mean`);
  const v = r.float(`${p}.running_var`);
  r.skip(`${p}.num_batches_tracked`);
  if (!gamma || !beta || !mean || !v) return null;
  const c = gamma.data.length;
  for (const [k, t] of [['bias', beta], ['running_mean', mean], ['running_var', v]] as const) {
    if (t.data.length !== c) throw new ReparamError(`${p}.${k} has shape ${fmtShape(t.shape)}, ${p}.weight has ${c} channels`);
  }
  return { weight: gamma.data, bias: beta.data, runningMean: mean.data, runningVar: v.data, eps: BN_EPS };
}

/** A conv branch and its BatchNorm as one kernel (bn-fold.ts). */
function foldBn(w: Float32Array, shape: number[], bn: BatchNormParams, where: string): Kernel {
  if (bn.weight.length !== shape[0]) throw new ReparamError(`${where}: BatchNorm has ${bn.weight.length} channels, the kernel ${fmtShape(shape)} has ${shape[0]} outputs`);
  const folded = absorbBn(w, shape, bn, 'fused', where);
  return { w: folded.weight, shape, b: folded.bias };
}

/** Depthwise-style identity [C, C/groups, kh, kw]: 1 at [i, i mod (C/groups), kh/2, kw/2]. */
function identityKernel(c: number, cinPerGroup: number, kh: number, kw: number): Float32Array {
  const id = new Float32Array(c * cinPerGroup * kh * kw);
  for (let i = 0; i < c; i++) id[((i * cinPerGroup + (i % cinPerGroup)) * kh + (kh >> 1)) * kw + (kw >> 1)] = 1;
  return id;
}

/** Zero-pads a [Cout, Cin/g, sh, sw] kernel to kh×kw, centred. */
function padKernel(w: Float32Array, shape: number[], kh: number, kw: number): Float32Array {
  const [co, ci, sh, sw] = shape;
  const out = new Float32Array(co * ci * kh * kw);
  const dy = (kh - sh) >> 1;
  const dx = (kw - sw) >> 1;
  for (let o = 0; o < co * ci; o++)
    for (let y = 0; y < sh; y++)
      for (let x = 0; x < sw; x++) out[(o * kh + y + dy) * kw + x + dx] = w[(o * sh + y) * sw + x];
  return out;
}

function addInto(acc: Float32Array, x: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = f(acc[i] + x[i]);
}

/**
 * Fuses MobileOneBlock P. `kernelHint` gives [Cout, Cin/g, kh, kw] for blocks without a kxk conv
 * branch (RepMixer's `norm`, a bare skip BatchNorm).
 */
function fuseMobileOne(r: GroupReader, p: string, kernelHint?: number[]): Kernel {
  const convs: Kernel[] = [];
  for (let i = 0; r.has(`${p}.rbr_conv.${i}.conv.weight`); i++) {
    const w = r.float(`${p}.rbr_conv.${i}.conv.weight`)!;
    const bn = readBn(r, `${p}.rbr_conv.${i}.bn`);
    if (bn) convs.push(foldBn(w.data, w.shape, bn, `${p}.rbr_conv.${i}`));
  }
  let scale: Kernel | null = null;
  if (r.has(`${p}.rbr_scale.conv.weight`)) {
    const w = r.float(`${p}.rbr_scale.conv.weight`)!;
    const bn = readBn(r, `${p}.rbr_scale.bn`);
    if (bn) scale = foldBn(w.data, w.shape, bn, `${p}.rbr_scale`);
  }
  const skipBn = r.has(`${p}.rbr_skip.weight`) ? readBn(r, `${p}.rbr_skip`) : null;
  r.check(`MobileOneBlock ${p}`);
  const shape = convs[0]?.shape ?? kernelHint;
  if (!shape) throw new ReparamError(`cannot fuse MobileOneBlock ${p}: no rbr_conv branch to give the kernel size`);
  const [cout, cpg, kh, kw] = shape;
  const w = new Float32Array(numel(shape));
  const b = new Float32Array(cout);
  for (const c of convs) {
    if (c.shape.join() !== shape.join()) throw new ReparamError(`${p}: conv branches have shapes ${fmtShape(c.shape)} and ${fmtShape(shape)}`);
    addInto(w, c.w);
    addInto(b, c.b);
  }
  if (scale) {
    if (scale.shape[0] !== cout || scale.shape[1] !== cpg) throw new ReparamError(`${p}.rbr_scale.conv.weight ${fmtShape(scale.shape)} does not match the kernel ${fmtShape(shape)}`);
    addInto(w, padKernel(scale.w, scale.shape, kh, kw));
    addInto(b, scale.b);
  }
  if (skipBn) {
    if (skipBn.weight.length !== cout) throw new ReparamError(`${p}.rbr_skip has ${skipBn.weight.length} channels, the block has ${cout} outputs`);
    const id = foldBn(identityKernel(cout, cpg, kh, kw), shape, skipBn, `${p}.rbr_skip`);
    addInto(w, id.w);
    addInto(b, id.b);
  }
  return { w, shape, b };
}

function fuseRepMixer(r: GroupReader, p: string): Kernel {
  const convW = r.has(`${p}.mixer.rbr_conv.0.conv.weight`) ? r.float(`${p}.mixer.rbr_conv.0.conv.weight`) : null;
  if (!convW) throw new ReparamError(`cannot fuse RepMixer ${p}: missing ${p}.mixer.rbr_conv.0.conv.weight`);
  const mixer = fuseMobileOne(r, `${p}.mixer`);
  const norm = fuseMobileOne(r, `${p}.norm`, mixer.shape);
  const ls = r.float(`${p}.layer_scale`);
  r.check(`RepMixer ${p}`);
  const [c, cpg, kh, kw] = mixer.shape;
  if (ls!.data.length !== c) throw new ReparamError(`${p}.layer_scale has shape ${fmtShape(ls!.shape)}, the mixer has ${c} channels`);
  const id = identityKernel(c, cpg, kh, kw);
  const per = cpg * kh * kw;
  const w = new Float32Array(mixer.w.length);
  const b = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const s = ls!.data[o];
    for (let i = 0; i < per; i++) w[o * per + i] = f(id[o * per + i] + f(s * f(mixer.w[o * per + i] - norm.w[o * per + i])));
    b[o] = f(s * f(mixer.b[o] - norm.b[o]));
  }
  return { w, shape: mixer.shape, b };
}

function fuseLargeKernel(r: GroupReader, p: string): Kernel {
  const lw = r.float(`${p}.lkb_origin.conv.weight`);
  const lbn = readBn(r, `${p}.lkb_origin.bn`);
  const sw = r.float(`${p}.small_conv.conv.weight`);
  const sbn = readBn(r, `${p}.small_conv.bn`);
  r.check(`ReparamLargeKernelConv ${p}`);
  const large = foldBn(lw!.data, lw!.shape, lbn!, `${p}.lkb_origin`);
  const small = foldBn(sw!.data, sw!.shape, sbn!, `${p}.small_conv`);
  const [, , kh, kw] = large.shape;
  addInto(large.w, padKernel(small.w, small.shape, kh, kw));
  addInto(large.b, small.b);
  return large;
}

function fuseRepCpe(r: GroupReader, p: string): Kernel {
  const w = r.float(`${p}.pe.weight`);
  const b = r.float(`${p}.pe.bias`);
  r.check(`RepCPE ${p}`);
  const [c, cpg, kh, kw] = w!.shape;
  const id = identityKernel(c, cpg, kh, kw);
  const out = Float32Array.from(w!.data, (v, i) => f(id[i] + v));
  return { w: out, shape: w!.shape, b: b!.data.slice() };
}

const prefixesOf = (keys: string[], re: RegExp): string[] => [...new Set(keys.flatMap((k) => (re.exec(k) ? [re.exec(k)![1]] : [])))];

export interface ReparamResult {
  stateDict: StateDict;
  /** With `strict: false`: groups that could not be fused (left as they were), and why. */
  errors: string[];
  /** Prefixes fused, by kind. */
  fused: { mobileOne: string[]; repMixer: string[]; largeKernel: string[]; repCpe: string[] };
}

/** True when the state dict still has training-form branches. */
export function hasTrainingBranches(sd: StateDict): boolean {
  for (const k of sd.keys()) if (/\.(rbr_conv|rbr_scale|rbr_skip|lkb_origin|small_conv)\.|\.pe\.weight$/.test(k)) return true;
  return false;
}

/**
 * Fuses every training-form group. With `strict` (default) an incomplete group throws, naming its
 * missing keys; otherwise it is left unfused and reported in `errors` (the strict loader then
 * reports it together with every other problem).
 */
export function reparameterizeStateDict(sd: StateDict, opts: { strict?: boolean } = {}): ReparamResult {
  const strict = opts.strict ?? true;
  const keys = [...sd.keys()];
  const used = new Set<string>();
  const errors: string[] = [];
  const fusedTensors = new Map<string, Kernel>(); // output prefix → kernel (…reparam_conv / …lkb_reparam)
  const fuse = (out: string, make: (r: GroupReader) => Kernel) => {
    const r = new GroupReader(sd, new Set());
    try {
      fusedTensors.set(out, make(r));
      for (const k of r.used) used.add(k);
    } catch (e) {
      if (strict || !(e instanceof ReparamError)) throw e;
      errors.push(e.message);
    }
  };

  const repMixer = prefixesOf(keys, /^(.*)\.mixer\.rbr_conv\.0\.conv\.weight$/).filter((p) => sd.has(`${p}.layer_scale`));
  for (const p of repMixer) fuse(`${p}.reparam_conv`, (r) => fuseRepMixer(r, p));

  const inMixer = (p: string) => repMixer.some((m) => p === `${m}.mixer` || p === `${m}.norm`);
  const mobileOne = prefixesOf(keys, /^(.*)\.(?:rbr_conv|rbr_scale|rbr_skip)\./).filter((p) => !inMixer(p));
  for (const p of mobileOne) fuse(`${p}.reparam_conv`, (r) => fuseMobileOne(r, p));

  const largeKernel = prefixesOf(keys, /^(.*)\.lkb_origin\.conv\.weight$/);
  for (const p of largeKernel) fuse(`${p}.lkb_reparam`, (r) => fuseLargeKernel(r, p));

  const repCpe = prefixesOf(keys, /^(.*)\.pe\.weight$/);
  for (const p of repCpe) fuse(`${p}.reparam_conv`, (r) => fuseRepCpe(r, p));

  // Keep the original key order: each fused pair goes where its group's first key was.
  const out: StateDict = new Map();
  const placed = new Set<string>();
  // A used key's group: of the fused groups whose base is a dotted prefix of the key, the first
  // fused (a map from base to group, looked up at each of the key's dots: linear in the keys, where
  // trying every group for every key took ~0.15 s on S0).
  const order = new Map<string, { prefix: string; rank: number }>();
  for (const prefix of fusedTensors.keys()) {
    const base = prefix.replace(/\.(reparam_conv|lkb_reparam)$/, '');
    if (!order.has(base)) order.set(base, { prefix, rank: order.size });
  }
  const groupOf = (k: string): string | undefined => {
    let best: { prefix: string; rank: number } | undefined;
    for (let dot = k.indexOf('.'); dot >= 0; dot = k.indexOf('.', dot + 1)) {
      const g = order.get(k.slice(0, dot));
      if (g && (!best || g.rank < best.rank)) best = g;
    }
    return best?.prefix;
  };
  for (const [k, t] of sd) {
    const g = used.has(k) ? groupOf(k) : undefined;
    if (g) {
      if (!placed.has(g)) {
        const kern = fusedTensors.get(g)!;
        out.set(`${g}.weight`, float32Tensor(kern.w, kern.shape));
        out.set(`${g}.bias`, float32Tensor(kern.b, [kern.b.length]));
        placed.add(g);
      }
      continue;
    }
    out.set(k, t as HostTensor);
  }
  return { stateDict: out, errors, fused: { mobileOne, repMixer, largeKernel, repCpe } };
}
