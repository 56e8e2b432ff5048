/**
 * Strict command-line parsing on `node:util`'s parseArgs: each command declares its options, an
 * unknown or misspelt flag is a usage error that names the nearest one, and a flag is never taken
 * as a positional (an image path, say). Options that `collect` also take the positionals that
 * follow them: `--image a.png b.png --text "a cat"`.
 */
import { parseArgs as parseNodeArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in help for a string option (`--out FILE`). */
  value?: string;
  help: string;
  short?: string;
  /** Repeatable, and takes the positionals that follow it. */
  collects?: boolean;
}

export interface CommandSpec {
  name: string;
  /** What follows `mobileclip <name>` in the usage line. */
  synopsis: string;
  summary: string;
  positionals: { min: number; max: number };
  options: Record<string, OptionSpec>;
  /** Extra lines at the end of `--help`. */
  notes?: string[];
}

export interface Args {
  positional: string[];
  /** Every option given: its value, or true for booleans and collecting options. */
  flags: Map<string, string | true>;
  /** Collecting options: every value given, and the positionals that followed them. */
  multi: Map<string, string[]>;
}

/** A string option's value (strict parsing guarantees one whenever the option was given). */
export function option(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A string option parsed by `parse`; what it throws becomes a usage error (its message names the accepted forms). */
export function parsedOption<T>(a: Args, name: string, parse: (text: string, what: string) => T): T | undefined {
  const text = option(a, name);
  if (text === undefined) return undefined;
  try {
    return parse(text, `--${name}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress on stderr' },
  progress: { type: 'boolean', help: 'progress on stderr even when the output is not a terminal' },
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The candidate closest to `word`, if it is close enough to be a likely misspelling. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) || word.startsWith(c) ? Math.abs(c.length - word.length) * 0.5 : editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): Args {
  const all = { ...spec.options, ...COMMON_OPTIONS };
  const options = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [name, { type: o.type, multiple: o.type === 'string', ...(o.short ? { short: o.short } : {}) }]),
  );
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-[^']*)'/.exec(err.message)?.[1] ?? err.message;
      const guess = nearest(flag.replace(/^-+/, '').split('=')[0], Object.keys(all));
      throw new UsageError(`unknown option ${flag}${guess ? `; did you mean --${guess}?` : ''}`);
    }
    if (err.code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(err.message.replace(/^Option /, 'option '));
    throw e;
  }
  const flags = new Map<string, string | true>();
  const multi = new Map<string, string[]>();
  const positional: string[] = [];
  let collecting: string | null = null;
  for (const t of parsed.tokens ?? []) {
    if (t.kind === 'positional') {
      if (collecting) multi.get(collecting)!.push(t.value);
      else positional.push(t.value);
    } else if (t.kind === 'option') {
      const o = all[t.name];
      collecting = o.collects ? t.name : null;
      if (o.collects) {
        if (!multi.has(t.name)) multi.set(t.name, []);
        if (t.value !== undefined) multi.get(t.name)!.push(t.value);
        flags.set(t.name, true);
      } else if (o.type === 'boolean') flags.set(t.name, true);
      else {
        if (flags.has(t.name)) throw new UsageError(`--${t.name} given twice`);
        flags.set(t.name, t.value!);
      }
    } else collecting = null; // `--`: what follows is positional
  }
  if (!flags.has('help')) {
    const { min, max } = spec.positionals;
    if (positional.length < min) throw new UsageError(`missing argument: usage: mobileclip ${spec.name} ${spec.synopsis}`);
    if (positional.length > max) {
      throw new UsageError(`unexpected argument${positional.length - max > 1 ? 's' : ''} ${positional.slice(max).map((p) => JSON.stringify(p)).join(' ')}: usage: mobileclip ${spec.name} ${spec.synopsis}`);
    }
  }
  return { positional, flags, multi };
}

/** `mobileclip <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...COMMON_OPTIONS }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}${o.collects ? '…' : ''}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`usage: mobileclip ${spec.name} ${spec.synopsis}`, '', spec.summary, '', 'options:', ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`)];
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}
