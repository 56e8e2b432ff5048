/**
 * The README's shell examples, as tests read them. A fenced ```sh block whose preceding line is
 * `<!-- readme-test: run -->` is run as written (test/package/package.test.ts, from the installed
 * tarball, against a local hub); `<!-- readme-test: offline -->` is run with downloads off and an
 * empty cache, so it must get as far as fetching the model (its options parsed, its files found).
 * Every other ```sh block is checked only for options the CLI knows (test/docs/readme.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ReadmeMode = 'run' | 'offline';

export interface ReadmeBlock {
  /** How the package test runs it; null: an unmarked block, checked for its options only. */
  mode: ReadmeMode | null;
  /** 1-based line of the opening fence, for messages. */
  line: number;
  /** Shell commands: continuation lines joined, `  # comments` dropped. */
  commands: string[];
}

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

export function readmeText(): string {
  return readFileSync(README, 'utf8');
}

export function readmeShellBlocks(text: string = readmeText()): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```sh') continue;
    const marker = /^<!-- readme-test: (\S+) -->$/.exec(lines[i - 1]?.trim() ?? '');
    if (marker && marker[1] !== 'run' && marker[1] !== 'offline') throw new Error(`README.md:${i}: unknown readme-test mode ${marker[1]}`);
    const block: ReadmeBlock = { mode: (marker?.[1] as ReadmeMode | undefined) ?? null, line: i + 1, commands: [] };
    let pending = '';
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) {
      // A comment starts at ' # ' (none of the examples has a '#' inside quotes).
      const line = lines[i].replace(/\s+#\s.*$/, '').trimEnd();
      if (line.endsWith('\\')) {
        pending += `${line.slice(0, -1).trim()} `;
        continue;
      }
      const command = (pending + line.trim()).trim();
      pending = '';
      if (command) block.commands.push(command);
    }
    blocks.push(block);
  }
  return blocks;
}

/** Shell words: quoted strings kept whole (quotes removed), operators (`|`, `>`) as their own words. */
export function shellWords(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|([^\s"']+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Each `npx mobileclip COMMAND …` in a pipeline: the command and the options it passes. */
export function mobileclipCalls(command: string): { command: string; options: string[] }[] {
  const words = shellWords(command);
  const calls: { command: string; options: string[] }[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== 'npx' || words[i + 1] !== 'mobileclip') continue;
    const call = { command: words[i + 2], options: [] as string[] };
    for (i += 3; i < words.length && words[i] !== '|' && words[i] !== '>'; i++) if (/^--[a-z]/.test(words[i])) call.options.push(words[i].replace(/=.*$/, ''));
    calls.push(call);
  }
  return calls;
}
