/**
 * Strict loading by key name. Layers ask for their tensors by the checkpoint's own keys and
 * expected shapes; fusable blocks also declare their training-form keys. Problems are collected
 * (missing keys, unexpected keys, shape mismatches) and reported together in one error by
 * `finish()`, with full key names and both shapes. int64 `num_batches_tracked` is accepted and
 * ignored. Training-form checkpoints are re-parameterised once, up front; a fused checkpoint is
 * used as it is.
 */
import { BYTES_PER_ELEMENT, type StorageDType } from '../runtime/dtype.js';
import type { Backend, ConstantSource } from '../runtime/backend.js';
import { Tensor } from '../runtime/tensor.js';
import { fmtShape, numel } from '../runtime/shape.js';
import { fileKeyName, firstNonFinite, isFloat, STORED_BYTES, type StateDict, toFloat32, transpose2d } from '../io/host-tensor.js';
import { hasTrainingBranches, reparameterizeStateDict } from './reparam.js';
import type { BatchNormParams } from './bn-fold.js';

/** What a checkpoint that does not fit a model gets wrong, key by key, and what it looks like instead. */
export interface WeightMismatch {
  /** Names the checkpoint (a path, URL or 'checkpoint'). */
  source: string;
  /** Keys the model needs that the checkpoint lacks. */
  missing: string[];
  /** Keys the checkpoint has that the model does not use. */
  unexpected: string[];
  /** `key: checkpoint [shape], model expects [shape]`, per key present in both with other shapes. */
  mismatched: string[];
  /** The shape of each missing key (what the model expects) and each unexpected one (what the file holds). */
  shapes: ReadonlyMap<string, readonly number[]>;
  /** The model it was loaded as, where known. */
  model?: string;
  /** Loading stopped at the first missing key past what the checkpoint could hold (the rest is not listed). */
  stoppedEarly?: boolean;
  /** What the file looks like (`mobileclip info`'s answer), where known. */
  looksLike?: string;
  /** The option that would load it ('--model MobileCLIP2-S4', or '--config FILE' for a model of its own shape), where one would. */
  suggestion?: string;
}

/** Lines of each kind the one-screen message lists (the rest are counted; `details` has them all). */
const SHOWN_PER_KIND = 3;

/**
 * A checkpoint that does not fit the model: every missing, unexpected and mis-shaped key (as fields,
 * and all of them in `details`), what the file looks like, and the option that would load it. The
 * message fits one screen (at most 12 lines, whatever the checkpoint).
 */
export class WeightLoadError extends Error {
  override name = 'WeightLoadError';
  readonly source: string;
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mismatched: string[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly model: string | null;
  readonly looksLike: string | null;
  readonly suggestion: string | null;
  readonly stoppedEarly: boolean;

  constructor(m: WeightMismatch) {
    super('');
    this.source = m.source;
    this.missing = m.missing;
    this.unexpected = m.unexpected;
    this.mismatched = m.mismatched;
    this.shapes = m.shapes;
    this.model = m.model ?? null;
    this.looksLike = m.looksLike ?? null;
    this.suggestion = m.suggestion ?? null;
    this.stoppedEarly = m.stoppedEarly ?? false;
    this.message = this.summary();
  }

  /** The same problem with what loading knew around it: the model asked for, what the file looks like, what would load it. */
  withContext(c: { model?: string; looksLike?: string; suggestion?: string }): WeightLoadError {
    return new WeightLoadError({ ...this, ...c, model: c.model ?? this.model ?? undefined, looksLike: c.looksLike ?? this.looksLike ?? undefined, suggestion: c.suggestion ?? this.suggestion ?? undefined });
  }

  /** A listed key, with its shape where one is known (missing and unexpected keys). */
  private keyWithShape(key: string): string {
    const shape = this.shapes.get(key);
    return `${key}${shape ? `  ${fmtShape(shape)}` : ''}`;
  }

  private summary(): string {
    const n = (k: number, what: string) => (k ? [`${k} ${what}`] : []);
    const counts = [...n(this.missing.length, 'missing'), ...n(this.unexpected.length, 'unexpected'), ...n(this.mismatched.length, 'mis-shaped')].join(', ');
    const lines = [`${this.source} does not fit ${this.model ?? 'the model'}: ${counts} key${this.missing.length + this.unexpected.length + this.mismatched.length === 1 ? '' : 's'}.`];
    if (this.looksLike) {
      const same = this.suggestion === null && this.model !== null;
      lines.push(`It looks like ${this.looksLike}${this.suggestion ? `: load it with ${this.suggestion}.` : same ? '; keys differ all the same: the file may be damaged or from another version.' : '.'}`);
    }
    const kinds: [string, string[]][] = [['missing', this.missing], ['unexpected', this.unexpected], ['mis-shaped', this.mismatched]];
    let rest = 0;
    for (const [kind, keys] of kinds) {
      for (const k of keys.slice(0, SHOWN_PER_KIND)) lines.push(`  ${kind.padEnd(10)}  ${this.keyWithShape(k)}`);
      rest += Math.max(0, keys.length - SHOWN_PER_KIND);
    }
    if (rest) lines.push(`  … and ${rest} more (error.details, or --verbose, lists every key)`);
    if (this.stoppedEarly) lines.push('  (stopped there: the model needs more weights than twice what the checkpoint holds)');
    return lines.join('\n');
  }

  /** Every key, grouped by kind, with shapes: the full report. */
  get details(): string {
    const lines = [`${this.source} does not fit ${this.model ?? 'the model'}:`];
    const kinds: [string, string[]][] = [['missing keys', this.missing], ['unexpected keys', this.unexpected], ['shape mismatches', this.mismatched]];
    for (const [kind, keys] of kinds) if (keys.length) lines.push(`  ${kind} (${keys.length}):`, ...keys.map((k) => `    ${this.keyWithShape(k)}`));
    return lines.join('\n');
  }
}

/** A checkpoint tensor holds NaN or ±Inf: refused at load unless the caller allows it. */
export class NonFiniteWeightError extends Error {
  override name = 'NonFiniteWeightError';
}

/** Throws naming every float tensor of `sd` that holds a NaN or an infinity. */
export function checkFinite(sd: StateDict, source: string): void {
  const bad: string[] = [];
  for (const [k, t] of sd) {
    if (!isFloat(t)) continue;
    const i = firstNonFinite(t);
    if (i < 0) continue;
    const b = STORED_BYTES[t.dtype];
    const value = toFloat32({ dtype: t.dtype, shape: [1], data: t.data.slice(i * b, (i + 1) * b) })[0];
    bad.push(`${k} (${t.dtype} ${fmtShape(t.shape)}): ${value} at flat index ${i}`);
  }
  if (bad.length) {
    throw new NonFiniteWeightError(`${source}: ${bad.length} tensor${bad.length > 1 ? 's hold' : ' holds'} NaN or infinite values:\n  ${bad.slice(0, 10).join('\n  ')}${bad.length > 10 ? `\n  … and ${bad.length - 10} more` : ''}\n(pass allowNonFinite / --allow-non-finite to load it anyway)`);
  }
}

export type KeyShapes = readonly (readonly [string, readonly number[]])[];

export class WeightStore {
  private readonly fused: StateDict;
  private readonly used = new Set<string>();
  private readonly missing: string[] = [];
  private readonly mismatched: string[] = [];
  /** The shape the model expects of each missing key. */
  private readonly expected = new Map<string, readonly number[]>();
  /** Keys present with another shape (reported as mis-shaped, not also as unexpected). */
  private readonly misshapen = new Set<string>();
  /** Elements the missing keys' zero stand-ins take, and the most they may take (see check()). */
  private missingElements = 0;
  private readonly missingBudget: number;
  /** Every GPU tensor made from the checkpoint, for dispose(). */
  readonly uploaded: Tensor[] = [];

  /** Inside `checkOnly`: keys and shapes are checked and marked used, no data is read or stored. */
  private checking = false;
  /** Makes up every tensor's host data instead of reading the checkpoint (synthetic and zero stores). */
  private madeUp: ((key: string, shape: readonly number[]) => Float32Array) | null = null;
  /** A zero store's one zero buffer, which every weight views instead of being uploaded. */
  private zeroSource: ConstantSource | null = null;

  constructor(
    readonly backend: Backend,
    private readonly original: StateDict,
    readonly source = 'checkpoint',
    /** Storage type of every float tensor on the GPU; f16 needs shader-f16 (Gpu.empty says so). */
    readonly dtype: StorageDType = 'f32',
    /** Load tensors with NaN or ±Inf instead of refusing them. */
    allowNonFinite = false,
  ) {
    if (!allowNonFinite) checkFinite(original, source);
    let held = 0;
    for (const t of original.values()) held += numel(t.shape);
    this.missingBudget = Math.max(2 * held, 1 << 24);
    this.fused = hasTrainingBranches(original) ? reparameterizeStateDict(original, { strict: false }).stateDict : original;
  }

  /**
   * Runs `build` (a module's constructor) for what it asks of the checkpoint alone: every key it
   * takes is checked and marked used (problems reported by finish() as for a real build), but no
   * tensor is widened or stored: each take gets zeros (untouched, so their pages are never
   * mapped) in a tensor that is not the backend's. The module built is thrown away; building it
   * for real later cannot fail on the checkpoint.
   */
  checkOnly(build: () => unknown): void {
    this.checking = true;
    try {
      build();
    } finally {
      this.checking = false;
    }
  }

  /**
   * A store that makes up every tensor (deterministic, small uniform values; BN variances near 1):
   * random weights of a model's real shapes, for benchmarks that need no checkpoint.
   */
  static synthetic(backend: Backend, seed = 1, dtype: StorageDType = 'f32'): WeightStore {
    const s = new WeightStore(backend, new Map(), 'synthetic weights', dtype);
    let state = seed >>> 0;
    const r = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    s.madeUp = (key, shape) => {
      const n = numel(shape);
      const fanIn = shape.length > 1 ? numel(shape.slice(1)) : 1;
      const scale = key.endsWith('running_var') ? 0 : key.endsWith('weight') && shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.1;
      const base = key.endsWith('running_var') || (key.endsWith('.weight') && shape.length === 1) ? 1 : 0;
      return Float32Array.from({ length: n }, () => base + scale * (2 * r() - 1));
    };
    return s;
  }

  /**
   * A store whose every weight is zero and views one shared zero buffer (nothing uploaded; GPU
   * memory: the largest weight, not the model): towers built on it record the same kernels as the
   * real model's, for compiling them before the checkpoint is read (api/precompile.ts).
   */
  static zeros(backend: Backend, dtype: StorageDType = 'f32'): WeightStore {
    const s = new WeightStore(backend, new Map(), 'zero weights', dtype);
    s.madeUp = (_key, shape) => new Float32Array(numel(shape));
    s.zeroSource = backend.constantSource();
    return s;
  }

  private check(sd: StateDict, key: string, shape: readonly number[]): boolean {
    const t = sd.get(key);
    if (!t) {
      this.missing.push(key);
      this.expected.set(key, shape);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      this.mismatched.push(`${fileKeyName(this.original, key)}: checkpoint ${fmtShape(t.shape)}, model expects ${fmtShape(shape)}`);
      this.misshapen.add(key);
    } else return true;
    // Each key that does not fit gets a zero stand-in until finish() reports them all. A config
    // describing a far larger model than the file (n_transformer_layers: 1e6, dim: 8192) would
    // allocate gigabytes of them first: stop once they outgrow the file.
    this.missingElements += numel(shape);
    if (this.missingElements > this.missingBudget) {
      throw new WeightLoadError({ source: this.source, missing: [...this.missing], unexpected: [], mismatched: [...this.mismatched], shapes: new Map(this.expected), stoppedEarly: true });
    }
    return false;
  }

  private markUsed(key: string): void {
    this.used.add(key);
    const nbt = key.replace(/\.(weight|bias|running_mean|running_var)$/, '.num_batches_tracked');
    if (nbt !== key && this.original.has(nbt)) this.used.add(nbt);
  }

  /** Host float32 data of a key present in both forms (zeros when missing, reported at finish()). */
  host(key: string, shape: readonly number[]): Float32Array {
    return this.hostOwned(key, shape).data;
  }

  /**
   * `host`, and whether its array is new and referenced nowhere else (widened from f16, bf16 or
   * f64, made up, or a zero stand-in), not a view of the checkpoint's or a folded weight's data:
   * a new one may be handed to the backend without a copy (`Backend.adopt`).
   */
  private hostOwned(key: string, shape: readonly number[]): { data: Float32Array; owned: boolean } {
    if (this.madeUp) return { data: this.madeUp(key, shape), owned: true };
    if (this.original.has(key)) this.markUsed(key);
    if (!this.check(this.fused, key, shape) || this.checking) return { data: new Float32Array(numel(shape)), owned: true };
    const t = this.fused.get(key)!;
    return { data: toFloat32(t, key), owned: t.dtype !== 'F32' };
  }

  /** An eval BatchNorm's four tensors at `prefix` (its num_batches_tracked consumed), host float32. */
  batchNorm(prefix: string, channels: number): BatchNormParams {
    const key = (k: string) => this.host(`${prefix}.${k}`, [channels]);
    return { weight: key('weight'), bias: key('bias'), runningMean: key('running_mean'), runningVar: key('running_var') };
  }

  /**
   * Uploads host data derived from the checkpoint (folded BN, reshaped weights). The store owns
   * it (dispose()), so it outlives any `backend.scope` it is made in (a positional table made for a
   * new length during a forward).
   */
  upload(label: string, data: Float32Array, shape: readonly number[]): Tensor {
    return this.store(label, data, shape, false);
  }

  /** `upload`; `owned` data (see hostOwned) is adopted where the backend can, not copied. */
  private store(label: string, data: Float32Array, shape: readonly number[], owned: boolean): Tensor {
    if (this.zeroSource) return this.zeroSource.tensor('zero', shape, this.dtype, label);
    if (this.checking) return new Tensor(this.backend, shape, this.dtype, data, label, false);
    const adopt = owned && this.dtype === 'f32' ? this.backend.adopt?.bind(this.backend) : undefined;
    const t = this.backend.keep(adopt ? adopt(data, shape, label) : this.backend.upload(data, shape, this.dtype, label));
    this.uploaded.push(t);
    return t;
  }

  /** A key's tensor on the GPU (in the store's dtype), checked against its expected shape. */
  take(key: string, shape: readonly number[]): Tensor {
    const h = this.hostOwned(key, shape);
    return this.store(key, h.data, shape, h.owned);
  }

  /**
   * A projection stored [in, out] (applied as x · P) uploaded as its transpose [out, in], the
   * Linear layout `linear` takes: the heads' products then run the kernels the towers' linears
   * have already compiled, instead of a [K, N] GEMM of their own.
   */
  takeAsLinear(key: string, shape: readonly [number, number]): Tensor {
    const p = this.host(key, shape);
    const t = transpose2d({ dtype: 'F32', shape: [...shape], data: new Uint8Array(p.buffer, p.byteOffset, p.byteLength) });
    return this.upload(key, new Float32Array(t.data.buffer), t.shape);
  }

  /**
   * A [rows, ...] tensor as row blocks that each fit one storage binding of this adapter (one block
   * when the whole fits): for tables such as a 49408 × 768 token embedding.
   */
  takeRows(key: string, shape: readonly number[]): Tensor[] {
    const { data: host, owned } = this.hostOwned(key, shape);
    const rowElems = numel(shape.slice(1));
    const rowBytes = rowElems * BYTES_PER_ELEMENT[this.dtype];
    const perBlock = Math.max(1, Math.floor(this.backend.maxTensorBytes / rowBytes));
    const blocks: Tensor[] = [];
    for (let r = 0; r < shape[0]; r += perBlock) {
      const n = Math.min(perBlock, shape[0] - r);
      // Blocks are disjoint views of the one new array: each may be adopted.
      blocks.push(this.store(`${key}[${r}:${r + n}]`, host.subarray(r * rowElems, (r + n) * rowElems), [n, ...shape.slice(1)], owned));
    }
    return blocks;
  }

  /**
   * The fused conv of a re-parameterisable block at `prefix`: `${prefix}.${fusedName}.{weight,bias}`.
   * When the checkpoint has the training form there, its branch keys (`training`, relative to
   * prefix) are checked instead, so a missing branch is named as the user's file names it.
   */
  fusedConv(prefix: string, fusedName: string, weightShape: readonly number[], training: KeyShapes): { weight: Float32Array; bias: Float32Array } {
    const wKey = `${prefix}.${fusedName}.weight`;
    const bKey = `${prefix}.${fusedName}.bias`;
    const bShape = [weightShape[0]];
    if (this.madeUp) return { weight: this.madeUp(wKey, weightShape), bias: this.madeUp(bKey, bShape) };
    if (this.original.has(wKey) || this.original.has(bKey)) {
      return { weight: this.host(wKey, weightShape), bias: this.host(bKey, bShape) };
    }
    let ok = true;
    for (const [k, s] of training) {
      const key = `${prefix}.${k}`;
      if (this.check(this.original, key, s)) this.markUsed(key);
      else ok = false;
    }
    if (!ok || !this.fused.has(wKey)) {
      if (ok) {
        this.missing.push(wKey);
        this.expected.set(wKey, weightShape);
      }
      return { weight: new Float32Array(numel(weightShape)), bias: new Float32Array(weightShape[0]) };
    }
    if (this.checking) return { weight: new Float32Array(numel(weightShape)), bias: new Float32Array(weightShape[0]) };
    return { weight: toFloat32(this.fused.get(wKey)!, wKey), bias: toFloat32(this.fused.get(bKey)!, bKey) };
  }

  /** `fusedConv`, uploaded: the fused kernel and bias of a re-parameterisable block on the GPU. */
  fusedConvTensors(prefix: string, fusedName: string, weightShape: readonly number[], training: KeyShapes): { weight: Tensor; bias: Tensor } {
    const f = this.fusedConv(prefix, fusedName, weightShape, training);
    return {
      weight: this.upload(`${prefix}.${fusedName}.weight`, f.weight, weightShape),
      bias: this.upload(`${prefix}.${fusedName}.bias`, f.bias, [weightShape[0]]),
    };
  }

  /**
   * Throws one error listing every problem; call after the whole model took its weights. `scope`
   * limits the unexpected-key check to the towers built (an image encoder alone can be loaded from
   * a full CLIP checkpoint).
   */
  finish(scope?: readonly string[]): void {
    const inScope = (k: string) => !scope || scope.some((p) => k.startsWith(p));
    const unused = [...this.original.keys()].filter((k) => inScope(k) && !this.used.has(k) && !this.misshapen.has(k) && !k.endsWith('.num_batches_tracked'));
    if (this.missing.length + unused.length + this.mismatched.length === 0) return;
    // Unexpected and mis-shaped keys are in the file: named as the file names them.
    const shapes = new Map<string, readonly number[]>(this.expected);
    const unexpected = unused.map((k) => {
      const name = fileKeyName(this.original, k);
      shapes.set(name, this.original.get(k)!.shape);
      return name;
    });
    throw new WeightLoadError({ source: this.source, missing: [...this.missing], unexpected, mismatched: [...this.mismatched], shapes });
  }

  dispose(): void {
    for (const t of this.uploaded) t.dispose();
    this.uploaded.length = 0;
    this.zeroSource?.destroy();
  }
}

/** Training-form keys of a BatchNorm over `c` channels. */
export const bnKeys = (p: string, c: number): KeyShapes => ['weight', 'bias', 'running_mean', 'running_var'].map((k) => [`${p}.${k}`, [c]] as const);
