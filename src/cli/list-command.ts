/** `mobileclip list models [--json]`: every model name the library knows, with its format and weights. */
import { listModels } from '../models/model-specs.js';
import { type Args, type CommandSpec, UsageError } from './args.js';

export const listSpec: CommandSpec = {
  name: 'list',
  synopsis: 'models [--json]',
  summary: "The built-in model names: Apple's (Apple-format .pt/.safetensors) and open_clip's (OpenCLIP hub checkpoints), with pretrained tags and hub repos.",
  positionals: { min: 1, max: 1 },
  options: { json: { type: 'boolean', help: 'the list as JSON' } },
};

export async function list(args: Args): Promise<void> {
  const [what] = args.positional;
  if (what !== 'models') throw new UsageError(`mobileclip list: unknown list "${what}" (models)`);
  const models = listModels();
  if (args.flags.has('json')) {
    console.log(JSON.stringify(models, null, 2));
    return;
  }
  const w = Math.max(...models.map((m) => m.name.length)) + 2;
  const iw = Math.max(...models.map((m) => m.image.length)) + 2;
  console.log(`${'name'.padEnd(w)}${'format'.padEnd(10)}${'image tower'.padEnd(iw)}pretrained (hub)`);
  for (const m of models) {
    const tags = m.pretrained.map((t, i) => `${t} (${m.hub[i]})`).join(', ') || '-';
    console.log(`${m.name.padEnd(w)}${m.format.padEnd(10)}${m.image.padEnd(iw)}${tags}`);
  }
}
