/**
 * The CPU kernels on several threads: every thread runs an instance of the shared-memory build of
 * the kernels over one shared WebAssembly.Memory, and a job (a GEMM's 4-row panels, a depthwise
 * conv's output planes) is split between the calling thread and the workers. Synchronous for the
 * caller, as the ops are: the job goes into a control block of shared Int32s, the workers are
 * woken with Atomics.notify, the caller does its share and waits with Atomics.wait for the count
 * of workers still running to reach 0 (allowed in Node's main thread and in Workers, not on a
 * page's main thread, where the backend stays on one thread). The workers' side is WORKER_LOOP.
 */

/** Control block slots (Int32). */
export const SEQ = 0; // bumped for each job; workers wait on it
export const OP = 1; // 1: gemm_4x8, 2: depthwise_planes
export const THREADS = 2; // threads taking part, the caller included
export const ARGS = 3; // up to thirteen arguments
export const PENDING = 16; // workers still running the job
export const CONTROL_INTS = 32;

/**
 * What each worker runs (plain JavaScript: it is evaluated in the worker), given `instance` (its
 * kernels on the shared memory), `control` (the Int32Array) and `index` (1 … threads − 1). Thread
 * t takes 4-row panels [⌊mp·t/T⌋, ⌊mp·(t+1)/T⌋) and, where the job has one (M > 0), the epilogue
 * of those rows of C below M (bias and scale along M and the residual offset to them); or output
 * planes [⌊planes·t/T⌋, ⌊planes·(t+1)/T⌋) with the t-th scratch area. It allocates nothing per
 * job (the arguments are read slot by slot): garbage in the worker meant GC pauses the caller waits on.
 */
export const WORKER_LOOP = `
const A = ${ARGS};
let seen = 0;
for (;;) {
  Atomics.wait(control, ${SEQ}, seen);
  seen = Atomics.load(control, ${SEQ});
  const T = control[${THREADS}];
  if (index < T && control[${OP}] === 1) {
    const a = control[A], b = control[A + 1], c = control[A + 2], mp = control[A + 3], np = control[A + 4], k = control[A + 5];
    const M = control[A + 6], bias = control[A + 7], biasN = control[A + 8], act = control[A + 9], scale = control[A + 10], scaleN = control[A + 11], res = control[A + 12];
    const m0 = Math.floor((mp * index) / T), m1 = Math.floor((mp * (index + 1)) / T);
    if (m1 > m0) instance.exports.gemm_4x8(a + m0 * k * 16, b, c + m0 * np * 128, m1 - m0, np, k);
    const r0 = 4 * m0, r1 = Math.min(4 * m1, M);
    if (r1 > r0) instance.exports.epilogue(c + r0 * np * 32, r1 - r0, np * 8, bias < 0 ? -1 : biasN ? bias : bias + r0 * 4, biasN, act, scale < 0 ? -1 : scaleN ? scale : scale + r0 * 4, scaleN, res < 0 ? -1 : res + r0 * np * 32);
  } else if (index < T && control[${OP}] === 2) {
    const desc = control[A], planes = control[A + 1], scratch = control[A + 2], scratchBytes = control[A + 3];
    const p0 = Math.floor((planes * index) / T), p1 = Math.floor((planes * (index + 1)) / T);
    if (p1 > p0) instance.exports.depthwise_planes(desc, p0, p1, scratch + index * scratchBytes);
  }
  if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
}`;

/** The kernels a threaded GEMM runs (wasm-kernels.ts's exports). */
export interface GemmExports {
  gemm_4x8(a: number, b: number, c: number, mp: number, np: number, k: number): void;
  epilogue(c: number, rows: number, np4: number, bias: number, biasN: number, act: number, scale: number, scaleN: number, residual: number): void;
}

export class ThreadPool {
  constructor(
    /** Threads taking part, the caller included. */
    readonly threads: number,
    private readonly control: Int32Array,
  ) {}

  /**
   * gemm_4x8 (byte offsets, as the exports take them) split by 4-row panels over every thread, each
   * thread then running the epilogue on its rows below `epi[0]` (M; 0: no epilogue). `epi`: M, then
   * the epilogue export's arguments after np4 (bias, biasN, act, scale, scaleN, residual).
   */
  gemm(exports: GemmExports, a: number, b: number, c: number, mp: number, np: number, k: number, epi: readonly number[]): void {
    const T = Math.min(this.threads, mp);
    this.post(1, T, [a, b, c, mp, np, k, ...epi]);
    const m1 = Math.floor(mp / T);
    if (m1 > 0) exports.gemm_4x8(a, b, c, m1, np, k);
    const [M, bias, biasN, act, scale, scaleN, res] = epi;
    const r1 = Math.min(4 * m1, M);
    if (r1 > 0) exports.epilogue(c, r1, np * 8, bias, biasN, act, scale, scaleN, res);
    this.join();
  }

  /** depthwise_planes (byte offsets) split by output planes over every thread, thread t on the t-th scratch area (`scratchBytes` each). */
  depthwise(own: (desc: number, p0: number, p1: number, scratch: number) => void, desc: number, planes: number, scratch: number, scratchBytes: number): void {
    const T = Math.min(this.threads, planes);
    this.post(2, T, [desc, planes, scratch, scratchBytes]);
    const p1 = Math.floor(planes / T);
    if (p1 > 0) own(desc, 0, p1, scratch);
    this.join();
  }

  /** Hands a job to the workers (those with index ≥ T skip it) and wakes them. */
  private post(op: number, T: number, args: number[]): void {
    const ctl = this.control;
    ctl[OP] = op;
    ctl[THREADS] = T;
    ctl.set(args, ARGS);
    Atomics.store(ctl, PENDING, this.threads - 1);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
  }

  /** Waits for every worker to finish the job. */
  private join(): void {
    const ctl = this.control;
    for (let left = Atomics.load(ctl, PENDING); left !== 0; left = Atomics.load(ctl, PENDING)) Atomics.wait(ctl, PENDING, left);
  }
}
