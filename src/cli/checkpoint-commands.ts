/** `mobileclip info` and `mobileclip convert`. */
import { writeFile } from 'node:fs/promises';
import { readBytes } from '../io/read-file.js';
import { readCheckpoint } from '../io/checkpoint.js';
import { type HostTensor, type StateDict, isFloat, toFloat32 } from '../io/host-tensor.js';
import { writeSafetensors } from '../io/safetensors.js';
import { toF16Bits } from '../gpu/dtype.js';
import { reparameterizeStateDict } from '../layers/reparam.js';
import { identify } from '../models/identify.js';
import { type Args, UsageError } from './args.js';

async function load(path: string) {
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(path);
  } catch (e) {
    throw new UsageError(`cannot read ${(e as Error).message}`);
  }
  return readCheckpoint(bytes, path);
}

export async function info(args: Args): Promise<void> {
  const [path] = args.positional;
  if (!path) throw new UsageError('usage: mobileclip info <checkpoint.pt|checkpoint.safetensors> [--json]');
  const ck = await load(path);
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
  console.log(`format:      ${ck.format}`);
  console.log(`model:       ${id.model}`);
  console.log(`form:        ${id.fused ? 'fused (re-parameterised)' : 'training (un-fused branches; fused at load)'}`);
  console.log(`tensors:     ${ck.stateDict.size} (${Object.entries(dtypes).map(([d, n]) => `${n} ${d}`).join(', ')})`);
  console.log(`parameters:  image ${fmt(id.parameters.image)}, text ${fmt(id.parameters.text)}, other ${fmt(id.parameters.other)}`);
  if (id.image) console.log(`image tower: ${id.image.kind === 'mci' ? `MCi, blocks ${id.image.layers.join('/')}, widths ${id.image.widths.join('/')}` : `ViT, ${id.image.layers[0]} layers, width ${id.image.widths[0]}`}`);
  if (id.text) console.log(`text tower:  ${id.text.variant}, ${id.text.transformerLayers} transformer layers, width ${id.text.width}, vocab ${id.text.vocab}`);
}

function castTo(sd: StateDict, dtype: 'f32' | 'f16'): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of sd) {
    if (!isFloat(t)) {
      out.set(k, t);
      continue;
    }
    const f32 = toFloat32(t, k);
    const data = dtype === 'f16' ? toF16Bits(f32) : f32;
    out.set(k, { dtype: dtype === 'f16' ? 'F16' : 'F32', shape: t.shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } satisfies HostTensor);
  }
  return out;
}

export async function convert(args: Args): Promise<void> {
  const [src, dst] = args.positional;
  if (!src || !dst) throw new UsageError('usage: mobileclip convert <in.pt|in.safetensors> <out.safetensors> [--reparam] [--dtype f32|f16]');
  const dtype = (args.flags.get('dtype') ?? 'f32') as string;
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got ${dtype}`);
  const ck = await load(src);
  let sd = ck.stateDict;
  if (args.flags.has('reparam')) sd = reparameterizeStateDict(sd).stateDict;
  sd = castTo(sd, dtype);
  await writeFile(dst, writeSafetensors(sd, { format: 'pt', converted_by: 'mobileclip-webgpu', source: src.split('/').pop() ?? src }));
  console.log(`wrote ${dst}: ${sd.size} tensors, ${dtype}${args.flags.has('reparam') ? ', re-parameterised' : ''}`);
}
