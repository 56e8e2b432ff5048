/**
 * The `mobileclip` command. Exit codes, the same in every command: 0 success, 2 a usage error
 * (unknown command or option, missing or malformed argument), 1 any other failure (a missing or
 * bad file, a GPU error, a parity mismatch). Help goes to stdout, errors to stderr as one line;
 * with --json (a command that takes it) an error is `{"error": {"type", "message"}}` on stdout
 * instead, so a program reading the JSON always gets JSON, with the same exit code.
 */
import { readFileSync } from 'node:fs';
import { type Args, type CommandSpec, commandHelp, nearest, parseCommandArgs, UsageError } from './args.js';
import { convert, convertSpec, info, infoSpec } from './checkpoint-commands.js';
import { parity, paritySpec } from './parity-command.js';
import { tokenize, tokenizeSpec } from './tokenize-command.js';
import { classify, classifySpec, preprocess, preprocessSpec } from './model-commands.js';
import { embed, embedSpec } from './embed-command.js';
import { index, indexSpec } from './index-command.js';
import { search, searchSpec } from './search-command.js';
import { bench, benchSpec } from './bench-command.js';
import { list, listSpec } from './list-command.js';
import { cache, cacheSpec, download, downloadSpec } from './cache-command.js';
import { OutputPathError } from '../io/write-output.js';
import { WeightLoadError } from '../layers/weights.js';

interface Command {
  spec: CommandSpec;
  /** Resolves to the exit code (0 when it returns nothing). */
  run: (args: Args) => Promise<number | void>;
}

const COMMANDS: Command[] = [
  { spec: classifySpec, run: classify },
  { spec: embedSpec, run: embed },
  { spec: indexSpec, run: index },
  { spec: searchSpec, run: search },
  { spec: preprocessSpec, run: preprocess },
  { spec: tokenizeSpec, run: tokenize },
  { spec: infoSpec, run: info },
  { spec: convertSpec, run: convert },
  { spec: paritySpec, run: parity },
  { spec: benchSpec, run: bench },
  { spec: listSpec, run: list },
  { spec: downloadSpec, run: download },
  { spec: cacheSpec, run: cache },
];

/** The package's version (package.json sits two folders up from both src/cli/ and dist/node/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'usage: mobileclip <command> [options]',
    '',
    'MobileCLIP on WebGPU: zero-shot classification, embeddings, checkpoint tools, parity and benchmarks.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary.split(/(?<=\.) /)[0]}`),
    '',
    'mobileclip <command> --help shows its options; mobileclip --version the version.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    console.error(usage());
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const about = COMMANDS.find((c) => c.spec.name === rest[0]);
    console.log(about ? commandHelp(about.spec) : usage());
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === cmd);
  if (!command) {
    const guess = nearest(cmd.replace(/^-+/, ''), COMMANDS.map((c) => c.spec.name));
    console.error(`mobileclip: unknown ${cmd.startsWith('-') ? 'option' : 'command'} "${cmd}"${guess ? `; did you mean ${guess}?` : ''}\n\n${usage()}`);
    return 2;
  }
  let args: Args | undefined;
  // Known before the arguments parse, so that a usage error is JSON too.
  const json = Boolean(command.spec.options.json) && rest.some((r) => r === '--json');
  try {
    args = parseCommandArgs(command.spec, rest);
    if (args.flags.has('help')) {
      console.log(commandHelp(command.spec));
      return 0;
    }
    return (await command.run(args)) ?? 0;
  } catch (e) {
    const err = e as Error;
    const usage = err instanceof UsageError || err instanceof OutputPathError;
    if (json) {
      console.log(JSON.stringify({ error: { type: err.name || 'Error', message: err.message } }));
      if (process.env.MOBILECLIP_DEBUG) console.error(err.stack);
      return usage ? 2 : 1;
    }
    if (usage) {
      console.error(`mobileclip ${cmd}: ${err.message}\n(mobileclip ${cmd} --help lists the options)`);
      return 2;
    }
    console.error(`mobileclip ${cmd}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`);
    if (err instanceof WeightLoadError) {
      if (args?.flags.has('verbose')) console.error(err.details);
      if (err.suggestion?.startsWith('--model ') && command.spec.options.model) console.error(`try: mobileclip ${cmd} ${withModel(rest, err.suggestion.slice('--model '.length))}`);
    }
    if (process.env.MOBILECLIP_DEBUG) console.error(err.stack);
    return 1;
  }
}

/** The command line with `--model NAME` in place of the --model or --config it had, quoted for a POSIX shell. */
function withModel(argv: readonly string[], name: string): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model' || a === '--config') i++;
    else if (!a.startsWith('--model=') && !a.startsWith('--config=')) out.push(a);
  }
  out.push('--model', name);
  return out.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
