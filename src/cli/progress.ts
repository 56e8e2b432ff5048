/**
 * Progress on stderr for work that takes more than about a second (checkpoint load, the first
 * forward's shader compilation, batches, downloads, bench rows). Shown when stdout and stderr are
 * terminals, never with --quiet, and also into pipes with --progress; stdout stays the command's
 * output. On a terminal bars redraw in place and fit its width; into a pipe or file nothing is
 * redrawn: each phase, download and finished bar is one line.
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

const rateText = (rate: number, unit: string) => `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)} ${unit}/s`;

/** Whether stderr is a terminal; bin/mobileclip.mjs pipes our stderr and says what its own is. */
function stderrIsTTY(): boolean {
  const told = process.env.MOBILECLIP_STDERR_TTY;
  return told === undefined ? Boolean(process.stderr.isTTY) : told === '1';
}

/** The terminal's width (the launcher passes its own, since ours is a pipe); 80 when unknown. */
function stderrColumns(): number {
  const told = Number(process.env.MOBILECLIP_STDERR_COLUMNS);
  const n = process.stderr.isTTY ? process.stderr.columns : Number.isInteger(told) && told > 0 ? told : 0;
  return n >= 20 ? n : 80;
}

/** `s` at most `max` characters, its middle replaced by an ellipsis (a path's start and file name both stay readable). */
function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max < 5) return s.slice(0, Math.max(0, max));
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

/** A bar of `width` cells, `done` of `total` filled. */
const drawBar = (done: number, total: number, width: number) => {
  const filled = Math.round((width * done) / total);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

export class Progress {
  /** The phase being shown. */
  private active: string | null = null;
  /** The cursor is inside a line (something was written without its newline). */
  private lineOpen = false;
  /** That open line is the running phase's own ("label… "), so its result can follow on it. */
  private onPhaseLine = false;
  /** What a finished bar counted, said on its phase's closing line when nothing was redrawn. */
  private barSummary = '';
  /** Kernels compiled so far (the load compiles some ahead; each tower's first forward the rest). */
  private kernels = 0;
  private readonly start = performance.now();
  private readonly tty = stderrIsTTY();

  private constructor(
    readonly enabled: boolean,
    /** Notices (a fallback the user should know of) print unless --quiet, progress or not. */
    private readonly notices = true,
  ) {}

  static for(a: Args): Progress {
    if (a.flags.has('quiet')) return new Progress(false, false);
    return new Progress(a.flags.has('progress') || (Boolean(process.stdout.isTTY) && stderrIsTTY()));
  }

  private write(s: string): void {
    process.stderr.write(s);
  }

  /** Ends the open line, if any, so the next text starts on its own. */
  private endLine(): void {
    if (this.lineOpen) this.write('\n');
    this.lineOpen = false;
    this.onPhaseLine = false;
  }

  /** Terminal only: redraws the open line as `text`, fitted to the width. */
  private redraw(text: string, onPhaseLine: boolean): void {
    if (this.lineOpen && !onPhaseLine && this.onPhaseLine) this.endLine();
    this.write(`\r${text.length >= stderrColumns() ? shorten(text, stderrColumns() - 1) : text}\x1b[K`);
    this.lineOpen = true;
    this.onPhaseLine = onPhaseLine;
  }

  /**
   * The running phase's label, shortened so that `room` more characters fit on its line: its
   * closing remark in parentheses goes first (what the redrawn counts show anyway), then its middle.
   */
  private phaseLabel(room: number): string {
    const max = Math.max(10, stderrColumns() - 1 - 2 - room);
    const label = this.active ?? '';
    return shorten(label.length > max ? label.replace(/ \([^()]*\)$/, '') : label, max);
  }

  /** One line on stderr that the user should read (not progress): on a line of its own. */
  notice(line: string): void {
    if (!this.notices) return;
    const reopen = this.active !== null && this.onPhaseLine;
    this.endLine();
    this.write(`${line}\n`);
    if (reopen && this.enabled) {
      this.write(`${this.active}… `);
      this.lineOpen = this.onPhaseLine = true;
    }
  }

  /** Runs `work`, printing `label… done in 1.23 s` around it. */
  async phase<T>(label: string, work: () => Promise<T> | T): Promise<T> {
    if (!this.enabled) return work();
    this.endLine();
    this.active = label;
    this.write(`${this.tty ? this.phaseLabel(0) : label}… `);
    this.lineOpen = this.onPhaseLine = true;
    this.barSummary = '';
    const t0 = performance.now();
    const close = (result: string) => {
      // On a terminal a redrawn line (a bar, a kernel count) is replaced by the result, so it fits.
      if (this.onPhaseLine && this.tty) this.write(`\r${this.phaseLabel(result.length)}… ${result}\x1b[K\n`);
      else if (this.onPhaseLine) this.write(`${result}\n`);
      else {
        this.endLine();
        this.write(`${label}: ${result}\n`);
      }
      this.lineOpen = this.onPhaseLine = false;
    };
    try {
      const r = await work();
      close(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s${this.barSummary}`);
      return r;
    } catch (e) {
      close('failed');
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
    const started = performance.now();
    return (done, total) => {
      if (total < 2) return;
      // Timed from the first report (the first batch's kernel compile is not the rate).
      const now = performance.now();
      if (t0 === null) {
        t0 = now;
        first = done;
      }
      const rate = now > t0 && done > first ? ((done - first) * 1000) / (now - t0) : 0;
      if (!this.tty) {
        // Into a file: one line for the whole bar, when it is full.
        if (done < total) return;
        const summary = `${total} ${label}${rate > 0 ? `, ${rateText(rate, label)}` : ''}`;
        if (this.active) this.barSummary = ` (${summary})`;
        else {
          this.endLine();
          this.write(`${label}: ${summary} in ${((now - started) / 1000).toFixed(2)} s\n`);
        }
        return;
      }
      const eta = rate > 0 && done < total ? ` ${rateText(rate, label)}, ${clock((total - done) / rate)} left` : '';
      const counts = ` ${done}/${total}${eta} `;
      // The label comes first; the bar takes what is left (10 to 30 cells).
      const prefix = this.active ? `${this.phaseLabel(12 + counts.length)}… ` : `${label} `;
      const width = Math.max(10, Math.min(30, stderrColumns() - 1 - prefix.length - counts.length - 2));
      this.redraw(`${prefix}${drawBar(done, total, width)}${counts}`, this.active !== null);
      if (!this.active && done === total) this.endLine();
    };
  }

  /** Shows the kernels compiled so far on the running phase's line (most of a cold run's wait). */
  private kernelCompiled(): void {
    this.kernels++;
    // A redrawn count needs a terminal; into a file it would be a run-on line.
    if (!this.enabled || !this.tty || !this.active || !this.onPhaseLine) return;
    const n = this.kernels;
    const count = `${n} kernel${n > 1 ? 's' : ''} compiled (${((performance.now() - this.start) / 1000).toFixed(1)} s); `;
    this.redraw(`${this.phaseLabel(count.length)}… ${count}`, true);
  }

  /** Counts the kernels compiled after the load (each tower's first forward compiles what was not compiled ahead). */
  watchCompiles(cache: { onCompile(f: (label: string) => void): () => void }): void {
    if (this.enabled) cache.onCompile(() => this.kernelCompiled());
  }

  /**
   * A createModelAndTransforms onProgress showing each download (a bar of bytes, of the total when
   * the server said, with the rate) and noting cache hits; undefined when progress is off.
   */
  load(): ((p: LoadProgress) => void) | undefined {
    if (!this.enabled) return undefined;
    let t0 = 0;
    return (p) => {
      if (p.phase === 'compile' && p.total === undefined) this.kernelCompiled();
      if (p.phase === 'cache') {
        this.endLine();
        this.write(`  ${p.what}: ${p.url} (cached, ${mb(p.loaded)})\n`);
      }
      if (p.phase !== 'download') return;
      if (p.loaded === 0) {
        t0 = performance.now();
        this.endLine();
        if (!this.tty) this.write(`  downloading ${p.what} ${p.url}${p.total ? ` (${mb(p.total)})` : ''}\n`);
      }
      if (!this.tty) return;
      const seconds = (performance.now() - t0) / 1000;
      const rate = seconds > 0.5 && p.loaded > 0 ? `, ${mb(p.loaded / seconds)}/s` : '';
      const size = ` ${mb(p.loaded)}${p.total ? ` / ${mb(p.total)}` : ''}${rate} `;
      const room = stderrColumns() - 1 - `  downloading ${p.what} `.length - size.length;
      const width = p.total ? Math.max(10, Math.min(30, Math.floor(room / 3))) : 0;
      const url = shorten(p.url ?? '', Math.max(12, room - (width ? width + 3 : 0)));
      this.redraw(`  downloading ${p.what} ${url} ${p.total ? `${drawBar(p.loaded, p.total, width)} ` : ''}${size.trimStart()}`, false);
      if (p.total !== undefined && p.loaded >= p.total) this.endLine();
    };
  }
}
