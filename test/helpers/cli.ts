/**
 * Runs the CLI as a user does: `node bin/mobileclip.mjs …` in a child process (in a checkout the
 * launcher runs the TypeScript sources through tsx), so a module the product forgets to import
 * fails here too. Never imports the CLI in-process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mobileclip.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** `stdin`: what the command reads on its standard input (none when absent). */
export function runCliWith(opts: { cwd?: string; env?: Record<string, string>; bin?: string; timeoutMs?: number; stdin?: string }, ...argv: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...argv], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mobileclip ${argv.join(' ')}: no exit after ${opts.timeoutMs ?? 120_000} ms\nstdout: ${out}\nstderr: ${err}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.trimEnd(), err: err.trimEnd() });
    });
  });
}

export const runCli = (...argv: string[]): Promise<CliResult> => runCliWith({}, ...argv);
