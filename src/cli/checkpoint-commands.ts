/** `mobileclip info` and `mobileclip convert`. */
import { readBytes } from '../io/read-file.js';
import { readCheckpoint } from '../io/checkpoint.js';
import { type HostTensor, type StateDict, isFloat, toFloat32 } from '../io/host-tensor.js';
import { writeSafetensors } from '../io/safetensors.js';
import { checkOutputPath, writeFileAtomic } from '../io/write-output.js';
import { toBf16Bits, toF16Bits } from '../runtime/dtype.js';
import { reparameterizeStateDict } from '../layers/reparam.js';
import { identify } from '../models/identify.js';
import { type Args, type CommandSpec, type OptionSpec, option, UsageError } from './args.js';
import { Progress } from './progress.js';

export const EXPANDED_OPTION: OptionSpec = { type: 'boolean', help: "gather a .pt's expanded/stride-0 views past the 4× memory bound" };

async function load(path: string, args: Args) {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path, 'checkpoint');
  } catch (e) {
    throw new Error(`cannot read ${(e as Error).message}`);
  }
  return readCheckpoint(bytes, path, { allowExpandedTensors: args.flags.has('allow-expanded-tensors') });
}

export const infoSpec: CommandSpec = {
  name: 'info',
  synopsis: 'CHECKPOINT [--json]',
  summary: 'Format, dtypes, parameters per tower, which model, and whether the weights are fused.',
  positionals: { min: 1, max: 1 },
  options: { json: { type: 'boolean', help: 'the report as JSON' }, 'allow-expanded-tensors': EXPANDED_OPTION },
};

export async function info(args: Args): Promise<void> {
  const [path] = args.positional;
  const ck = await load(path, args);
  const id = identify(ck.stateDict);
  const dtypes: Record<string, number> = {};
  for (const t of ck.stateDict.values()) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  const report = { file: path, format: ck.format, tensors: ck.stateDict.size, dtypes, ...id };
  if (args.flags.has('json')) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  console.log(`file:        ${path}`);
  console.log(`format:      ${ck.format}${id.keys === 'openclip' ? ', OpenCLIP/timm key names' : id.keys === 'apple' ? ", Apple's MobileCLIP key names" : ''}`);
  console.log(`model:       ${id.model}`);
  const form =
    id.fused === true ? 'fused (re-parameterised)'
    : id.fused === false ? 'training (un-fused branches; fused at load)'
    : id.image || id.text ? 'nothing to re-parameterise'
    : 'no model weights';
  console.log(`form:        ${form}`);
  console.log(`tensors:     ${ck.stateDict.size} (${Object.entries(dtypes).map(([d, n]) => `${n} ${d}`).join(', ')})`);
  console.log(`parameters:  image ${fmt(id.parameters.image)}, text ${fmt(id.parameters.text)}, other ${fmt(id.parameters.other)}`);
  if (id.image) console.log(`image tower: ${id.image.kind === 'mci' ? `MCi, blocks ${id.image.layers.join('/')}, widths ${id.image.widths.join('/')}` : `ViT, ${id.image.layers[0]} layers, width ${id.image.widths[0]}`}`);
  if (id.text) {
    const f = id.text.ffnWidths;
    const ffn = f.length === 0 ? '' : f.every((w) => w === f[0]) ? `, FFN ${f[0]}` : `, FFN per layer ${f.join('/')}`;
    console.log(`text tower:  ${id.text.variant}, ${id.text.transformerLayers} transformer layers, width ${id.text.width}${ffn}, vocab ${id.text.vocab}`);
  }
}

/** Float tensors in `dtype`; integer ones as they are. */
function castTo(sd: StateDict, dtype: 'F32' | 'F16'): StateDict {
  return new Map([...sd].map(([k, t]) => [k, isFloat(t) && t.dtype !== dtype ? cast(t, k, dtype) : t]));
}

function cast(t: HostTensor, key: string, dtype: 'F32' | 'F16' | 'BF16' | 'F64'): HostTensor {
  const f32 = toFloat32(t, key);
  const data = dtype === 'F16' ? toF16Bits(f32) : dtype === 'BF16' ? toBf16Bits(f32) : dtype === 'F64' ? Float64Array.from(f32) : f32;
  return { dtype, shape: t.shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * Without --dtype the output keeps the input's float dtypes: tensors that pass through unchanged
 * keep their bytes, and tensors made by re-parameterisation (computed in f32) are stored in the
 * input's most common float dtype.
 */
function keepDtypes(input: StateDict, output: StateDict): StateDict {
  const counts = new Map<string, number>();
  for (const t of input.values()) if (isFloat(t)) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  const common = ([...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32') as 'F32' | 'F16' | 'BF16' | 'F64';
  return new Map([...output].map(([k, t]) => [k, isFloat(t) && !input.has(k) && t.dtype !== common ? cast(t, k, common) : t]));
}

export const convertSpec: CommandSpec = {
  name: 'convert',
  synopsis: 'IN.pt|IN.safetensors OUT.safetensors [--reparam] [--dtype f32|f16]',
  summary: "Rewrites a checkpoint as safetensors, keeping the input's float dtype unless --dtype is given.",
  positionals: { min: 2, max: 2 },
  options: {
    reparam: { type: 'boolean', help: "fuse the training branches (PyTorch's reparameterize_model key names)" },
    dtype: { type: 'string', value: 'f32|f16', help: 'store every float tensor in this dtype' },
    'allow-expanded-tensors': EXPANDED_OPTION,
  },
};

export async function convert(args: Args): Promise<void> {
  const [src, dst] = args.positional;
  const dtype = option(args, 'dtype');
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got ${dtype}`);
  checkOutputPath(dst, [src]);
  const progress = Progress.for(args);
  const ck = await progress.phase(`reading ${src}`, () => load(src, args));
  let sd = ck.stateDict;
  if (args.flags.has('reparam')) sd = await progress.phase('re-parameterising', () => reparameterizeStateDict(sd).stateDict);
  sd = dtype ? castTo(sd, dtype === 'f16' ? 'F16' : 'F32') : keepDtypes(ck.stateDict, sd);
  await progress.phase(`writing ${dst}`, () => writeFileAtomic(dst, writeSafetensors(sd, { format: 'pt', converted_by: 'mobileclip-webgpu', source: src.split('/').pop() ?? src })));
  const dtypes = [...new Set([...sd.values()].filter(isFloat).map((t) => t.dtype))].join('/') || 'no float tensors';
  console.log(`wrote ${dst}: ${sd.size} tensors, ${dtypes}${args.flags.has('reparam') ? ', re-parameterised' : ''}`);
}
