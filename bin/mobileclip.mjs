#!/usr/bin/env node
/**
 * The `mobileclip` command. Runs the CLI in a child process and passes its output through, less
 * two warnings that Dawn prints from native code whenever an adapter is requested on drivers that
 * report unbounded dynamic-buffer limits (lavapipe does): they are not JavaScript output, so the
 * CLI cannot drop them itself. Installed, it runs the built CLI (dist/node/cli.js) and needs no
 * dev dependency; in a checkout with tsx installed, the TypeScript sources. The child gets the V8
 * flags of v8-flags.mjs (relaxed SIMD on Node 20).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { v8Flags } from './v8-flags.mjs';

const source = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/node/cli.js', import.meta.url));

function entry() {
  if (existsSync(source)) {
    try {
      return ['--import', import.meta.resolve('tsx'), source];
    } catch {
      // A checkout without dev dependencies: fall back to the build, if there is one.
    }
  }
  if (existsSync(built)) return [built];
  // Only a damaged install gets here (the package ships dist/), or a checkout never built.
  process.stderr.write(`mobileclip: ${built} is missing: reinstall mobileclip-webgpu (in a checkout of its repository: \`npm install\`, or \`npm run build\`)\n`);
  process.exit(1);
}

const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const NOISE_START = 'Warning: maxDynamic';

const child = spawn(process.execPath, [...v8Flags(), ...entry(), ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'pipe'],
  // The child's stderr is a pipe: tell it whether ours is a terminal (progress bars are drawn only
  // there) and how wide it is (they fit in it).
  env: { ...process.env, MOBILECLIP_STDERR_TTY: process.stderr.isTTY ? '1' : '0', MOBILECLIP_STDERR_COLUMNS: String(process.stderr.columns ?? '') },
});

process.stderr.on('error', () => {}); // a closed stderr must not crash the launcher
let pending = '';
const write = (s) => s && process.stderr.write(s);
child.stderr.setEncoding('utf8');
child.stderr.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (!DAWN_NOISE.test(line)) write(`${line}\n`);
  }
  // Progress bars redraw with \r and no newline: pass a partial line on unless it may be Dawn's.
  const head = pending.slice(0, NOISE_START.length);
  if (!NOISE_START.startsWith(head)) {
    write(pending);
    pending = '';
  }
});
child.stderr.on('end', () => write(DAWN_NOISE.test(pending) ? '' : pending));

// Signals sent to us are passed on (Ctrl-C also reaches the child through the terminal; a second SIGINT is harmless).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('error', (e) => {
  process.stderr.write(`mobileclip: cannot start ${process.execPath}: ${e.message}\n`);
  process.exit(1);
});
child.on('close', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
