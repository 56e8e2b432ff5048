/** `mobileclip parity <fixture-dir> [--checkpoint FILE] [--dtype f32|f16] [--json] [--tolerance T]` */
import { createBackend } from '../api/node.js';
import { checkDevice } from '../api/backend-choice.js';
import { formatParity, runParity } from '../parity/parity.js';
import { type Args, type CommandSpec, option, parsedOption, UsageError } from './args.js';
import { Progress } from './progress.js';
import { parseImageSize } from '../preprocess/image-size.js';

export const paritySpec: CommandSpec = {
  name: 'parity',
  synopsis: 'FIXTURE_DIR [--checkpoint FILE] [--device auto|webgpu|cpu] [--dtype f32|f16] [--image-size N|HxW] [--tolerance T] [--skip NAME...] [--json]',
  summary: 'Runs a PyTorch fixture (config.json in the reference\'s or open_clip\'s format, model.safetensors, inputs/outputs.safetensors) and compares every output and intermediate it stores. Exits 1 when any is out of tolerance or not produced, or nothing was compared.',
  positionals: { min: 1, max: 1 },
  options: {
    checkpoint: { type: 'string', value: 'FILE', help: "weights to load instead of the fixture's model.safetensors" },
    device: { type: 'string', value: 'auto|webgpu|cpu', help: 'where to run it (default auto: WebGPU where there is an adapter, else the CPU)' },
    dtype: { type: 'string', value: 'f32|f16', help: 'GPU storage dtype (default f32)' },
    tolerance: { type: 'string', value: 'T', help: 'max |Δ| allowed, relative to each tensor\'s max |ref|' },
    json: { type: 'boolean', help: 'the report as JSON' },
    verbose: { type: 'boolean', help: 'when the checkpoint does not fit the fixture\'s model, list every key that differs' },
    'image-size': { type: 'string', value: 'N|HxW', help: "run the image tower at this size (default: the fixture's fixture.force_image_size, else its config's)" },
    skip: { type: 'string', collects: true, value: 'NAME', help: 'stored outputs not to compare (NAME… or NAME* for a prefix); any other one not produced fails' },
  },
};

export async function parity(args: Args): Promise<number> {
  const [dir] = args.positional;
  const dtype = option(args, 'dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype takes f32 or f16, got ${dtype}`);
  const tol = option(args, 'tolerance');
  const tolerance = tol === undefined ? undefined : Number(tol);
  if (tolerance !== undefined && !(tolerance > 0)) throw new UsageError(`--tolerance must be a positive number, got ${tol}`);
  const imageSize = parsedOption(args, 'image-size', parseImageSize);
  const device = parsedOption(args, 'device', (v) => checkDevice(v, '--device'));
  const progress = Progress.for(args);
  const backend = await createBackend(device, (line) => progress.notice(line));
  try {
    const report = await progress.phase(`running ${dir} on ${backend.kind}`, () =>
      runParity(backend, dir, { checkpoint: option(args, 'checkpoint'), tolerance, dtype, imageSize, skip: args.multi.get('skip') ?? [] }),
    );
    console.log(args.flags.has('json') ? JSON.stringify(report, null, 2) : formatParity(report));
    return report.ok ? 0 : 1;
  } finally {
    backend.destroy();
  }
}
