/** The CLI process's entry (bin/mobileclip.mjs starts it; the build bundles it as dist/node/cli.js). */
import { main } from './main.js';
import { removePendingTemporaries } from '../io/write-output.js';

// `mobileclip tokenize … | head`: a closed output pipe ends the command quietly (exit 0); an output
// that cannot be written (`--help > /dev/full`) in one line (exit 1), never a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  try {
    process.stderr.write(`mobileclip: cannot write to standard output (${e.code ?? e.message})\n`);
  } finally {
    process.exit(1);
  }
});
// Ctrl-C or SIGTERM while an output or a cache entry is being written: remove the temporary file, then end as the signal would.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    removePendingTemporaries();
    process.exit(code);
  });
}
process.exitCode = await main(process.argv.slice(2));
