/**
 * The benchmarks time what the `mobileclip` command runs: with the V8 flags it gives Node
 * (bin/v8-flags.mjs: relaxed SIMD on Node 20, so the CPU backend's multiply-adds are fused).
 * An in-process benchmark started without them starts itself again with them.
 */
import { spawnSync } from 'node:child_process';
import { v8Flags } from '../bin/v8-flags.mjs';

export { v8Flags };

export function relaunchWithCliFlags(): void {
  const missing = v8Flags().filter((f) => !process.execArgv.includes(f));
  if (missing.length === 0) return;
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
