/**
 * The one pipeline cache. A kernel's WGSL is generated from its compile-time constants (kernel size,
 * stride, activation, tile and vector width, dtype) and never from tensor sizes, which travel in a
 * uniform; so the generated text itself is the key, and a new batch size never recompiles.
 */
export interface PipelineStats {
  compiled: number;
  hits: number;
}

export class PipelineCache {
  private pipelines = new Map<string, GPUComputePipeline>();
  readonly stats: PipelineStats = { compiled: 0, hits: 0 };
  /** Print the WGSL of every newly compiled kernel (MOBILECLIP_DUMP_WGSL=1). */
  dump = false;
  private readonly listeners = new Set<(label: string) => void>();
  /** While set (inside gpu.precompile), new pipelines are reported by `reportCompiled` instead of at creation. */
  private deferred: Map<GPUComputePipeline, string> | null = null;

  constructor(private readonly device: GPUDevice) {}

  private descriptor(label: string, code: string, entryPoint: string): GPUComputePipelineDescriptor {
    if (this.dump) console.log(`// ---- ${label} (${entryPoint})\n${code}`);
    const module = this.device.createShaderModule({ code, label });
    return { label, layout: 'auto', compute: { module, entryPoint } };
  }

  /** Returns the compiled pipeline for this WGSL, compiling it synchronously on first use. */
  get(label: string, code: string, entryPoint = 'main'): GPUComputePipeline {
    const key = entryPoint + '\n' + code;
    const hit = this.pipelines.get(key);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    const p = this.device.createComputePipeline(this.descriptor(label, code, entryPoint));
    this.stats.compiled++;
    this.pipelines.set(key, p);
    if (this.deferred) this.deferred.set(p, label);
    else this.reportCompiled(label);
    return p;
  }

  /**
   * Calls `f` with each kernel's label once it is compiled (compile progress): at its creation,
   * or for a pipeline created inside gpu.precompile, when its first dispatch has run on the
   * device. Returns the function that stops the calls.
   */
  onCompile(f: (label: string) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Reports a kernel compiled to the `onCompile` listeners. */
  reportCompiled(label: string): void {
    for (const f of this.listeners) f(label);
  }

  /** Runs `fn` with reports of the pipelines it creates deferred; returns them with their labels. */
  deferringReports(fn: () => void): Map<GPUComputePipeline, string> {
    const made = new Map<GPUComputePipeline, string>();
    this.deferred = made;
    try {
      fn();
    } finally {
      this.deferred = null;
    }
    return made;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
