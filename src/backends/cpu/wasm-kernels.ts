/**
 * The CPU backend's WebAssembly SIMD kernels (wasm/kernels.wat, assembled by the build): one
 * instance per process, its memory a scratch area the kernels' operands are packed into. Relaxed
 * SIMD (fused multiply-add where the CPU has it) runs where the engine validates it — Node 20 only
 * behind --experimental-wasm-relaxed-simd — else plain SIMD (multiply, then add). Without SIMD at
 * all the backend computes in JavaScript.
 */
import type { Activation } from '../../runtime/backend-ops.js';
import { RELAXED_SIMD_SHARED_WASM, RELAXED_SIMD_WASM, SIMD_SHARED_WASM, SIMD_WASM } from './wasm/kernels.generated.js';
import type { ThreadPool } from './thread-pool.js';
import { type Block, ResidentRegion } from './resident.js';

export type KernelVariant = 'relaxed-simd' | 'simd' | 'javascript';

interface Exports {
  gemm_4x8(a: number, b: number, c: number, mp: number, np: number, k: number): void;
  dw_s1(input: number, w: number, out: number, iw: number, oh: number, ow4: number, kh: number, kw: number): void;
  dw_s2(input: number, w: number, out: number, iw: number, oh: number, ow4: number, kh: number, kw: number): void;
  depthwise_planes(desc: number, p0: number, p1: number, scratch: number): void;
  madd_peak(iters: number, out: number): void;
  activate(x: number, y: number, n: number, act: number): void;
  pack_b_kn(src: number, dst: number, k: number, n: number): void;
  layer_norm(x: number, y: number, w: number, b: number, rows: number, d: number, eps: number): void;
  softmax(x: number, y: number, rows: number, d: number, stride: number, row0: number, causal: number): void;
  epilogue(c: number, rows: number, np4: number, bias: number, biasN: number, act: number, scale: number, scaleN: number, residual: number): void;
  quantize_i8(src: number, dst: number, n: number, dim: number, scale: number, err: number, norm: number): void;
  dot_i8(rows: number, q: number, n: number, dim: number, out: number): void;
}

/**
 * The GEMM epilogue on C's first `rows` rows, in place: act(c + bias)·scale + residual, bias and
 * scale along N (a vector as wide as C) or M (one per row); offsets in floats, -1 for an absent one,
 * the residual laid out like C.
 */
export interface GemmEpilogueAt {
  rows: number;
  bias: number;
  biasN: boolean;
  act: Activation;
  scale: number;
  scaleN: boolean;
  residual: number;
}

/**
 * depthwise_planes' job, field by field in the order of its i32 description (kernels.wat: field i
 * at byte 4·i): operand offsets in floats (bias -1 when absent), then the geometry — the padded
 * input plane ih × iw, the output rows ow4 floats apart in scratch, the padding ph, pw and the
 * rows × cols of the input copied into it.
 */
export interface DepthwiseJob {
  x: number; w: number; bias: number; y: number;
  n: number; cin: number; h: number; wIn: number; cout: number; perInput: number; kh: number; kw: number;
  oh: number; ow: number; ow4: number; iw: number; ih: number; ph: number; pw: number; stride: 1 | 2; act: Activation; rows: number; cols: number;
}
/** The order of depthwise_planes' description (n is not in it: the plane count travels as the job's length). */
export const DEPTHWISE_FIELDS = ['x', 'w', 'bias', 'y', 'cin', 'h', 'wIn', 'cout', 'perInput', 'kh', 'kw', 'oh', 'ow', 'ow4', 'iw', 'ih', 'ph', 'pw', 'stride', 'act', 'rows', 'cols'] as const;

/** The kernels in an instance of their own (own memory): for data that stays, as search rows do. */
export interface KernelInstance {
  exports: Exports;
  memory: WebAssembly.Memory;
}

/** The kernels' activation codes. */
export const ACT_CODE: Record<Activation, number> = { none: 0, gelu: 1, relu: 2, sigmoid: 3 };

/** Floats per chunk of an elementwise pass through the kernels' memory (256 KiB: stays in cache). */
const CHUNK = 1 << 16;

/**
 * Tensors take blocks of the kernels' memory only below 3 GiB (in floats): the scratch every op lays
 * out above them keeps a GiB of the 4 GiB a 32-bit memory can grow to. Past it, JavaScript arrays.
 */
const TENSORS_BELOW = (3 * 2 ** 30) / 4;

/** Below this many multiply-adds a GEMM or depthwise conv stays on the calling thread (waking the others costs more). */
const THREADED_FROM = 1 << 20;

/** Every WasmKernels made (one per memory: the engine's, the threaded one, the plain SIMD one tests force). */
const instances = new Set<WeakRef<WasmKernels>>();

export class WasmKernels {
  private view: Float32Array;
  /** Packed weights kept in this memory between calls (resident.ts), below the scratch area. */
  readonly resident: ResidentRegion;
  /** The memory's buffers views were made on (a shared memory's buffer object changes as it grows). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly tensorBlocks = new WeakMap<Float32Array, Block>();
  /** A tensor's block goes back when its array is collected unreleased (a tensor never disposed). */
  private readonly collected = new FinalizationRegistry<Block>((block) => this.resident.release(block));
  /** Worker threads sharing the memory (thread-pool.ts), or null: one thread. */
  private pool: ThreadPool | null = null;

  constructor(
    readonly variant: Exclude<KernelVariant, 'javascript'>,
    private readonly exports: Exports,
    private readonly memory: WebAssembly.Memory,
    /**
     * The compiled shared-memory build and its memory, where this instance runs on one: tensors'
     * arrays then live in it (tensorArray; views of a shared memory stay valid as it grows) and a
     * thread pool's workers join it. Null: the kernels' own memory, operands copied in and out.
     */
    readonly shared: { module: WebAssembly.Module; memory: WebAssembly.Memory } | null = null,
  ) {
    this.view = new Float32Array(memory.buffer);
    this.resident = new ResidentRegion((n) => this.floats(n));
    instances.add(new WeakRef(this));
  }

  /** Runs the kernels on a started thread pool's workers too (they share this memory). */
  attachPool(pool: ThreadPool): void {
    this.pool = pool;
  }

  /**
   * An array of `n` floats in this memory for a tensor (not zeroed), or null: the memory is not
   * shared, or the block would end past 3 GiB (TENSORS_BELOW) or where the memory cannot grow.
   * Give it back with freeTensorArray.
   */
  tensorArray(n: number): Float32Array | null {
    if (!this.shared || n === 0) return null;
    const block = this.resident.allocate(n);
    if (block.at + block.length > TENSORS_BELOW || !this.grows(block.at + block.length)) {
      this.resident.release(block);
      return null;
    }
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    const array = new Float32Array(buffer, block.at * 4, n);
    this.tensorBlocks.set(array, block);
    this.collected.register(array, block, array);
    return array;
  }

  /** Whether the memory holds (or could grow to hold) `floats`. */
  private grows(floats: number): boolean {
    try {
      this.floats(floats);
      return true;
    } catch {
      return false; // a RangeError: the engine's or the 4 GiB limit
    }
  }

  /** Gives back a tensorArray; false when `array` is not one of this memory's. */
  freeTensorArray(array: Float32Array): boolean {
    const block = this.tensorBlocks.get(array);
    if (!block) return false;
    this.tensorBlocks.delete(array);
    this.collected.unregister(array);
    this.resident.release(block);
    return true;
  }

  /** Where `array` lies in this memory (a float offset), or -1 where it is not in it. */
  offsetOf(array: Float32Array): number {
    return this.buffers.has(array.buffer) ? array.byteOffset / 4 : -1;
  }

  /** Where an op's scratch starts (floats): it lays its operands out from here, above the resident data. */
  get scratchAt(): number {
    return this.resident.top;
  }

  /** Threads the kernels run on, the caller's included. */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** The memory as floats, at least `floats` long (growing it invalidates earlier views: take a new one per call). */
  floats(floats: number): Float32Array {
    const need = floats * 4 - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    if (this.view.buffer !== this.memory.buffer || this.view.length * 4 !== this.memory.buffer.byteLength) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /**
   * C[4·mp, 8·np] = A·B on packed panels (see kernels.wat), then, given `epi`, the epilogue on C's
   * first `epi.rows` rows; split over the threads when large (each thread its rows' product and
   * epilogue: the same bits as one thread). Offsets in floats.
   */
  gemm4x8(a: number, b: number, c: number, mp: number, np: number, k: number, epi?: GemmEpilogueAt): void {
    const at = (f: number) => (f < 0 ? -1 : f * 4);
    const e = epi ? [epi.rows, at(epi.bias), epi.biasN ? 1 : 0, ACT_CODE[epi.act], at(epi.scale), epi.scaleN ? 1 : 0, at(epi.residual)] : [0, -1, 0, 0, -1, 0, -1];
    if (this.pool && mp > 1 && 32 * mp * np * k >= THREADED_FROM) {
      this.pool.gemm(this.exports, a * 4, b * 4, c * 4, mp, np, k, e);
      return;
    }
    this.exports.gemm_4x8(a * 4, b * 4, c * 4, mp, np, k);
    if (epi && epi.rows > 0) this.exports.epilogue(c * 4, epi.rows, np * 8, e[1], e[2], e[3], e[4], e[5], e[6]);
  }

  /**
   * Where `src` and `dst` both lie in this memory, dst's offset, dst now holding src's values (the
   * kernels then work on it in place); else -1. Tensors' blocks are whole 16-byte groups, so a
   * kernel working four values at a time may round the length up.
   */
  private inPlace(src: Float32Array, dst: Float32Array): number {
    const [s, d] = [this.offsetOf(src), this.offsetOf(dst)];
    if (s < 0 || d < 0 || src.length !== dst.length) return -1;
    if (s !== d) dst.set(src);
    return d;
  }

  /** dst[i] = act(src[i]): in place where both lie in this memory, else through it in cache-sized chunks. */
  activate(src: Float32Array, dst: Float32Array, act: Activation): void {
    const here = this.inPlace(src, dst);
    if (here >= 0) {
      this.exports.activate(here * 4, here * 4, Math.ceil(src.length / 4) * 4, ACT_CODE[act]);
      return;
    }
    for (let from = 0; from < src.length; from += CHUNK) {
      const n = Math.min(CHUNK, src.length - from);
      const at = this.scratchAt;
      const mem = this.floats(at + 2 * CHUNK);
      mem.set(src.subarray(from, from + n), at);
      this.exports.activate(at * 4, (at + CHUNK) * 4, Math.ceil(n / 4) * 4, ACT_CODE[act]);
      dst.set(mem.subarray(at + CHUNK, at + CHUNK + n), from);
    }
  }

  /**
   * LayerNorm over the last dim (d = w.length) of `src` into `dst` (may be `src`), in the kernels'
   * memory a chunk of rows at a time: the weight and bias first, then the rows, normalised in place.
   */
  layerNorm(src: Float32Array, dst: Float32Array, w: Float32Array, b: Float32Array, eps: number): void {
    const d = w.length;
    const here = this.inPlace(src, dst);
    if (here >= 0) {
      const at = this.scratchAt;
      const mem = this.floats(at + 2 * d);
      mem.set(w, at);
      mem.set(b, at + d);
      this.exports.layer_norm(here * 4, here * 4, at * 4, (at + d) * 4, src.length / d, d, eps);
      return;
    }
    const per = Math.max(1, Math.floor(CHUNK / d)); // rows per chunk
    for (let r0 = 0; r0 * d < src.length; r0 += per) {
      const rows = Math.min(per, src.length / d - r0);
      const at = this.scratchAt;
      const mem = this.floats(at + 2 * d + per * d);
      mem.set(w, at);
      mem.set(b, at + d);
      mem.set(src.subarray(r0 * d, (r0 + rows) * d), at + 2 * d);
      this.exports.layer_norm((at + 2 * d) * 4, (at + 2 * d) * 4, at * 4, (at + d) * 4, rows, d, eps);
      dst.set(mem.subarray(at + 2 * d, at + 2 * d + rows * d), r0 * d);
    }
  }

  /** Softmax over the last dim (d) of `src` into `dst` (may be `src`); causal: row i of each [d, d] block keeps columns ≤ i. */
  softmax(src: Float32Array, dst: Float32Array, d: number, causal: boolean): void {
    const here = this.inPlace(src, dst);
    if (here >= 0) {
      this.exports.softmax(here * 4, here * 4, src.length / d, d, d, 0, causal ? 1 : 0);
      return;
    }
    const per = Math.max(1, Math.floor(CHUNK / d));
    for (let r0 = 0; r0 * d < src.length; r0 += per) {
      const rows = Math.min(per, src.length / d - r0);
      const at = this.scratchAt;
      const mem = this.floats(at + per * d);
      mem.set(src.subarray(r0 * d, (r0 + rows) * d), at);
      this.exports.softmax(at * 4, at * 4, rows, d, d, r0, causal ? 1 : 0);
      dst.set(mem.subarray(at, at + rows * d), r0 * d);
    }
  }

  /** Softmax in place on `rows` rows of d floats at `at`, `stride` floats apart, in the kernels' memory; causal: row i keeps columns ≤ i. */
  softmaxAt(at: number, rows: number, d: number, stride: number, causal: boolean): void {
    this.exports.softmax(at * 4, at * 4, rows, d, stride, 0, causal ? 1 : 0);
  }

  /** B [k, n] at `src` as 8-column panels at `dst` (zeroed by the caller); offsets in floats. */
  packBkn(src: number, dst: number, k: number, n: number): void {
    this.exports.pack_b_kn(src * 4, dst * 4, k, n);
  }


  /** `iters` steps of twelve register-only multiply-adds on four lanes (96·iters flops): the ceiling benchmarks compare with. */
  maddPeak(iters: number): void {
    this.floats(this.scratchAt + 4);
    this.exports.madd_peak(iters, this.scratchAt * 4);
  }

  /**
   * Every output plane (N·Cout) of a conv with one input channel per output (kernels.wat's
   * depthwise_planes), its description written at `descAt`, split over the threads when large,
   * thread t using scratch [scratchAt + t·scratchFloats, + scratchFloats). The caller has placed
   * the operands and sized the memory for `threads` scratch areas; offsets in floats.
   */
  depthwisePlanes(job: DepthwiseJob, descAt: number, scratchAt: number, scratchFloats: number): void {
    const bytes = (f: number) => (f < 0 ? -1 : f * 4);
    const values: Record<(typeof DEPTHWISE_FIELDS)[number], number> = { ...job, x: bytes(job.x), w: bytes(job.w), bias: bytes(job.bias), y: bytes(job.y), act: ACT_CODE[job.act] };
    const f = this.floats(descAt + DEPTHWISE_FIELDS.length);
    new Int32Array(f.buffer, f.byteOffset, f.length).set(DEPTHWISE_FIELDS.map((k) => values[k]), descAt);
    const planes = job.n * job.cout;
    const madds = planes * job.oh * job.ow4 * job.kh * job.kw;
    if (this.pool && planes > 1 && madds >= THREADED_FROM) this.pool.depthwise(this.exports.depthwise_planes, descAt * 4, planes, scratchAt * 4, scratchFloats * 4);
    else this.exports.depthwise_planes(descAt * 4, 0, planes, scratchAt * 4);
  }
}

const decode = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

let loaded: WasmKernels | null | undefined;
/** A variant forced by tests (forceKernels); null: the engine's best. */
let forced: Exclude<KernelVariant, 'relaxed-simd'> | null = null;
let plainSimd: WasmKernels | null | undefined; // the SIMD build forced where relaxed SIMD runs: one thread, its own memory (tensors copied in and out), for tests

/** The kernels this engine runs best, or null where it has no WebAssembly SIMD. */
export function wasmKernels(): WasmKernels | null {
  if (forced === 'javascript') return null;
  if (forced === 'simd') return (plainSimd ??= instantiate(['simd'], false));
  return engineKernels();
}

/** The engine's best kernels, whatever a test forces. */
function engineKernels(): WasmKernels | null {
  if (loaded === undefined) loaded = instantiate();
  return loaded;
}

/**
 * The first variant the engine validates, on a shared memory where the engine has
 * SharedArrayBuffer (tensors then live in it, and a thread pool can join it later), else on its own.
 */
function instantiate(variants: readonly Exclude<KernelVariant, 'javascript'>[] = ['relaxed-simd', 'simd'], shared = typeof SharedArrayBuffer !== 'undefined'): WasmKernels | null {
  if (typeof WebAssembly === 'undefined') return null;
  for (const variant of variants) {
    const sharedBytes = shared ? decode(variant === 'relaxed-simd' ? RELAXED_SIMD_SHARED_WASM : SIMD_SHARED_WASM) : null;
    if (sharedBytes && WebAssembly.validate(sharedBytes)) {
      try {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
        const module = new WebAssembly.Module(sharedBytes);
        const instance = new WebAssembly.Instance(module, { env: { memory } });
        return new WasmKernels(variant, instance.exports as unknown as Exports, memory, { module, memory });
      } catch {
        // an engine that refuses shared memories here: the kernels' own memory below
      }
    }
    const bytes = decode(variant === 'relaxed-simd' ? RELAXED_SIMD_WASM : SIMD_WASM);
    if (!WebAssembly.validate(bytes)) continue;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return new WasmKernels(variant, instance.exports as unknown as Exports, (instance.exports as { memory: WebAssembly.Memory }).memory);
  }
  return null;
}

/** A new instance of the kernels this engine runs, with its own memory; null without WebAssembly SIMD. */
export function kernelInstance(): KernelInstance | null {
  const own = wasmKernels();
  if (!own) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(decode(own.variant === 'relaxed-simd' ? RELAXED_SIMD_WASM : SIMD_WASM)), {});
  return { exports: instance.exports as unknown as Exports, memory: (instance.exports as { memory: WebAssembly.Memory }).memory };
}

/** The compiled shared-memory build the engine's kernels run and their memory, for a thread pool's workers; null where they run on their own memory. */
export function sharedKernels(): { module: WebAssembly.Module; memory: WebAssembly.Memory } | null {
  return engineKernels()?.shared ?? null;
}

/** Runs the engine's kernels on a started thread pool too (start-threads.ts). */
export function useThreads(pool: ThreadPool): void {
  engineKernels()?.attachPool(pool);
}

/** Gives a tensor's array back to the kernels' memory it lies in; false where it lies in none. */
export function freeTensorArray(array: Float32Array): boolean {
  for (const ref of instances) if (ref.deref()?.freeTensorArray(array)) return true;
  return false;
}

/** Frees the resident data made from `storage` (a kept tensor's array, now released) in every kernels' memory. */
export function forgetResident(storage: object): void {
  for (const ref of instances) {
    const k = ref.deref();
    if (k) k.resident.forget(storage);
    else instances.delete(ref);
  }
}

/** Which kernels run: 'relaxed-simd', 'simd' or 'javascript'. */
export function kernelVariant(): KernelVariant {
  return wasmKernels()?.variant ?? 'javascript';
}

/**
 * For tests: run the JavaScript kernels ('javascript'), the plain SIMD build on one thread where the
 * engine also runs relaxed SIMD ('simd': multiply, then add), or the engine's best (null).
 */
export function forceKernels(variant: 'javascript' | 'simd' | null): void {
  forced = variant;
}
