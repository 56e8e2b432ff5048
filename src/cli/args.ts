/** Tiny argument parser: positionals, `--flag`, `--key value` and `--key=value`. */
export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], valued: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
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
  return { positional, flags };
}

export class UsageError extends Error {
  override name = 'UsageError';
}
