/**
 * The image inputs of `embed`, `classify` and `index`: files, directories, globs, `@list.txt` and
 * `-` expanded before the model loads (input-paths.node.ts), and every input left out — by the
 * expansion or because it could not be read or decoded — reported on stderr as it happens, with
 * the counts by reason at the end. `--strict` makes the first one an error instead.
 */
import { expandInputs, IMAGE_EXTENSIONS } from '../io/input-paths.node.js';

export class InputSkippedError extends Error {
  override name = 'InputSkippedError';
}

/** Inputs left out, by reason: reported one line each, counted for the summary. */
export class SkipTally {
  private readonly byKind = new Map<string, number>();
  count = 0;

  constructor(
    private readonly strict: boolean,
    /** Where the lines go (the command's notice: stderr, on a line of its own). */
    private readonly report: (line: string) => void,
  ) {}

  /** Records `path` as skipped for `reason` (an Error's message, or a short reason); throws under --strict. Returns the reason as reported. */
  skip(path: string, reason: string | Error): string {
    const message = typeof reason === 'string' ? reason : reason.message;
    // The readers' messages start with the path already: not twice.
    const why = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
    if (this.strict) throw new InputSkippedError(`${path}: ${why} (--strict: stopping at the first input that cannot be used)`);
    this.count++;
    const kind = kindOf(reason, why);
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.report(`skipped ${path}: ${why}`);
    return why;
  }

  /** '6 skipped: 3 cannot decode, 2 not a supported image type, 1 no such file or directory', or '' when none. */
  summary(): string {
    if (this.count === 0) return '';
    const kinds = [...this.byKind].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return `${this.count} skipped: ${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}`;
  }
}

/** A short name for a reason, to count by: the decoders' errors are 'cannot decode', a reader's 'cannot read'. */
function kindOf(reason: string | Error, why: string): string {
  if (typeof reason === 'string') return why.replace(/\s*\(.*$/, '');
  if (/DecodeError$/.test(reason.name)) return 'cannot decode';
  return 'cannot read';
}

/** The files `specs` name, expanded before the model loads; what is left out goes to `tally`. */
export async function gatherImages(specs: readonly string[], tally: SkipTally): Promise<string[]> {
  const { files, skipped } = await expandInputs(specs, { extensions: IMAGE_EXTENSIONS });
  for (const s of skipped) tally.skip(s.path, s.reason);
  return files;
}

export class NoInputError extends Error {
  override name = 'NoInputError';
}

/** Nothing left to run on: an error that says why (every input was skipped, each listed above). */
export function nothingLeft(what: string, tally: SkipTally): NoInputError {
  return new NoInputError(`no ${what} left to work on: ${tally.summary() || 'none given'}`);
}
