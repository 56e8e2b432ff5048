/**
 * One entry point for every checkpoint format users arrive with: torch.save zip files (`.pt`, the
 * official MobileCLIP releases) and safetensors, detected from the bytes, not the file name.
 * Keys are normalised in one place: a `module.` prefix (DataParallel) is stripped.
 */
import type { StateDict } from './host-tensor.js';
import { CheckpointError, isLegacyTorchFile, readPytorch, type CheckpointReadOptions } from './pytorch.js';
import { SafetensorsFile } from './safetensors.js';
import { isZip } from './zip.js';

export type CheckpointFormat = 'pytorch' | 'safetensors';

export interface Checkpoint {
  format: CheckpointFormat;
  source: string;
  stateDict: StateDict;
  metadata: Record<string, string>;
}

export type { CheckpointReadOptions };

export function readCheckpoint(bytes: Uint8Array, source = 'checkpoint', opts: CheckpointReadOptions = {}): Checkpoint {
  if (isZip(bytes) || isLegacyTorchFile(bytes)) {
    return { format: 'pytorch', source, stateDict: normalizeKeys(readPytorch(bytes, source, opts)), metadata: {} };
  }
  if (bytes.byteLength >= 8 && bytes[8] === 0x7b /* '{' */) {
    const f = SafetensorsFile.parse(bytes, source);
    return { format: 'safetensors', source, stateDict: normalizeKeys(f.toStateDict()), metadata: f.metadata };
  }
  throw new CheckpointError(`${source}: not a checkpoint: neither a PyTorch zip file nor safetensors`);
}

/** Strips a `module.` prefix carried by every key (a DataParallel-wrapped model's state dict). */
export function normalizeKeys(sd: StateDict): StateDict {
  const keys = [...sd.keys()];
  if (keys.length > 0 && keys.every((k) => k.startsWith('module.'))) {
    return new Map([...sd].map(([k, v]) => [k.slice('module.'.length), v]));
  }
  return sd;
}
