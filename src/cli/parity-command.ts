/** `mobileclip parity <fixture-dir> [--checkpoint FILE] [--json] [--tolerance T]` */
import { createGpu } from '../gpu/node.js';
import { formatParity, runParity } from '../parity/parity.js';
import { type Args, UsageError } from './args.js';

export async function parity(args: Args): Promise<void> {
  const [dir] = args.positional;
  if (!dir) throw new UsageError('usage: mobileclip parity <fixture-dir> [--checkpoint FILE] [--dtype f32|f16] [--json] [--tolerance T]');
  const dtype = args.flags.get('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype takes f32 or f16, got ${String(dtype)}`);
  const ck = args.flags.get('checkpoint');
  const tol = args.flags.get('tolerance');
  const tolerance = typeof tol === 'string' ? Number(tol) : undefined;
  if (tolerance !== undefined && !(tolerance > 0)) throw new UsageError(`--tolerance must be a positive number, got ${tol}`);
  const gpu = await createGpu();
  try {
    const report = await runParity(gpu, dir, { checkpoint: typeof ck === 'string' ? ck : undefined, tolerance, dtype });
    console.log(args.flags.has('json') ? JSON.stringify(report, null, 2) : formatParity(report));
    if (!report.ok) process.exitCode = 1;
  } finally {
    gpu.destroy();
  }
}
