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
  /** Called after each new compile with the count so far (compile progress for a model's warm-up). */
  onCompile: ((compiled: number, label: string) => void) | null = null;

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
    this.onCompile?.(this.stats.compiled, label);
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
