/** The CLI process's entry (bin/mobileclip.mjs starts it; the build bundles it as dist/node/cli.js). */
import { main } from './main.js';

// `mobileclip tokenize … | head`: a closed output pipe ends the command quietly, not with EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
