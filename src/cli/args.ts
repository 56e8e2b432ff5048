/** Tiny argument parser: positionals, `--flag`, `--key value` and `--key=value`. */
export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
  /** Repeatable flags: every value given, and the positionals that follow them (--image a.png b.png). */
  multi: Map<string, string[]>;
}

const REPEATABLE = ['image', 'text'];

export function parseArgs(argv: string[], valued: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const multi = new Map<string, string[]>();
  let collecting: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      if (collecting) multi.get(collecting)!.push(a);
      else positional.push(a);
      continue;
    }
    collecting = null;
    const name = a.slice(2).split('=')[0];
    if (REPEATABLE.includes(name)) {
      if (!multi.has(name)) multi.set(name, []);
      if (a.includes('=')) multi.get(name)!.push(a.slice(a.indexOf('=') + 1));
      else collecting = name;
      flags.set(name, true);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(key, a.slice(eq + 1));
    else if (valued.includes(key)) {
      if (i + 1 >= argv.length) throw new UsageError(`--${key} needs a value`);
      flags.set(key, argv[++i]);
    } else flags.set(key, true);
  }
  return { positional, flags, multi };
}

export class UsageError extends Error {
  override name = 'UsageError';
}
