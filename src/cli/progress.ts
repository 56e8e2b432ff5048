/**
 * Progress on stderr for work that takes more than about a second (checkpoint load, the first
 * forward's shader compilation, batches, convert). Shown when stdout and stderr are terminals,
 * never with --quiet, and also into pipes with --progress; stdout stays the command's output.
 */
import type { LoadProgress } from '../io/load-progress.js';
import type { Args } from './args.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Seconds as 42 s, 5:07 or 1:02:07. */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const two = (n: number) => String(n).padStart(2, '0');
  return s < 3600 ? `${Math.floor(s / 60)}:${two(s % 60)}` : `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

/** Whether stderr is a terminal; bin/mobileclip.mjs pipes our stderr and says what its own is. */
function stderrIsTTY(): boolean {
  const told = process.env.MOBILECLIP_STDERR_TTY;
  return told === undefined ? Boolean(process.stderr.isTTY) : told === '1';
}

export class Progress {
  /** The phase being shown: a bar drawn inside it redraws the phase's line. */
  private active: string | null = null;
  /** False once a download's line was started below the phase's own line. */
  private onPhaseLine = false;
  /** Kernels compiled so far (the load compiles some ahead; each tower's first forward the rest). */
  private kernels = 0;
  private readonly start = performance.now();

  private constructor(
    readonly enabled: boolean,
    /** Notices (a fallback the user should know of) print unless --quiet, progress or not. */
    private readonly notices = true,
  ) {}

  static for(a: Args): Progress {
    if (a.flags.has('quiet')) return new Progress(false, false);
    return new Progress(a.flags.has('progress') || (Boolean(process.stdout.isTTY) && stderrIsTTY()));
  }

  /** One line on stderr that the user should read (not progress): on a line of its own. */
  notice(line: string): void {
    if (!this.notices) return;
    process.stderr.write(`${this.active && this.onPhaseLine ? '\n' : ''}${line}\n`);
    if (this.active) process.stderr.write(`${this.active}… `);
  }

  /** Runs `work`, printing `label… done in 1.23 s` around it. */
  async phase<T>(label: string, work: () => Promise<T> | T): Promise<T> {
    if (!this.enabled) return work();
    process.stderr.write(`${label}… `);
    this.active = label;
    this.onPhaseLine = true;
    const t0 = performance.now();
    try {
      const r = await work();
      process.stderr.write(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
      return r;
    } catch (e) {
      process.stderr.write('failed\n');
      throw e;
    } finally {
      this.active = null;
    }
  }

  /** A (done, total) callback drawing a bar with the rate and time left, for batched work; undefined when progress is off. */
  bar(label: string): ((done: number, total: number) => void) | undefined {
    if (!this.enabled) return undefined;
    let t0: number | null = null;
    let first = 0;
    return (done, total) => {
      if (total < 2) return;
      // Timed from the first report (the first batch's kernel compile is not the rate).
      const now = performance.now();
      if (t0 === null) {
        t0 = now;
        first = done;
      }
      const rate = now > t0 && done > first ? ((done - first) * 1000) / (now - t0) : 0;
      const eta = rate > 0 && done < total ? ` ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} ${label}/s, ${clock((total - done) / rate)} left` : '';
      const width = 30;
      const filled = Math.round((width * done) / total);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${eta} `;
      const clear = stderrIsTTY() ? '\x1b[K' : ''; // a shorter line than the last leaves nothing behind
      if (this.active) process.stderr.write(`\r${this.active}… ${bar}${clear}`);
      else process.stderr.write(`\r${label} ${bar}${done === total ? '\n' : ''}`);
    };
  }

  /** Shows the kernels compiled so far on the running phase's line (most of a cold run's wait). */
  private kernelCompiled(): void {
    this.kernels++;
    // A redrawn count needs a terminal; into a file it would be a run-on line.
    if (!this.enabled || !stderrIsTTY() || !this.active || !this.onPhaseLine) return;
    const n = this.kernels;
    process.stderr.write(`\r${this.active}… ${n} kernel${n > 1 ? 's' : ''} compiled (${((performance.now() - this.start) / 1000).toFixed(1)} s); `);
  }

  /** Counts the kernels compiled after the load (each tower's first forward compiles what was not compiled ahead). */
  watchCompiles(cache: { onCompile(f: (label: string) => void): () => void }): void {
    if (this.enabled) cache.onCompile(() => this.kernelCompiled());
  }

  /**
   * A createModelAndTransforms onProgress drawing each download's bar (bytes, of the total when
   * the server said) and noting cache hits; undefined when progress is off.
   */
  load(): ((p: LoadProgress) => void) | undefined {
    if (!this.enabled) return undefined;
    return (p) => {
      if (p.phase === 'compile' && p.total === undefined) this.kernelCompiled();
      if (p.phase === 'cache' || p.phase === 'download') this.onPhaseLine = false;
      if (p.phase === 'cache') process.stderr.write(`\n  ${p.what}: ${p.url} (cached, ${mb(p.loaded)})`);
      if (p.phase !== 'download') return;
      const width = 30;
      const of = p.total ? ` / ${mb(p.total)}` : '';
      const filled = p.total ? Math.round((width * p.loaded) / p.total) : 0;
      const bar = p.total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
      process.stderr.write(`${p.loaded === 0 ? '\n' : '\r'}  downloading ${p.what} ${p.url} ${bar}${mb(p.loaded)}${of} `);
    };
  }
}
