/**
 * What a downloaded file must be before it is cached or used: a checkpoint parses as safetensors
 * (header and every tensor's bytes inside the file) or as a torch.save zip (its directory), a
 * config as a JSON object, a vocabulary as a gzip stream that inflates to its stated size. An
 * HTML error page served with status 200, a body cut short (also one longer than the
 * Content-Length it came with: the client stops there), a damaged header: each is refused here,
 * so it never enters the cache. A flipped byte inside tensor data parses; only a checksum (the
 * hub's sha256 ETag) catches that.
 */
import { SafetensorsFile } from './safetensors.js';
import { ZipArchive } from './zip.js';
import { isLegacyTorchFile } from './pytorch.js';
import { parseJsonBounded } from './json.js';
import { gunzipBounded } from './gzip.js';
import { SIZE_LIMITS } from './size-limits.js';

export type DownloadKind = 'checkpoint' | 'config' | 'vocabulary' | 'image' | 'other';

/** The largest body accepted of each kind (decoded bytes: a gzip Content-Encoding counts after inflating). */
export const DOWNLOAD_LIMITS: Record<DownloadKind, number> = { ...SIZE_LIMITS, other: SIZE_LIMITS.any };

export class DownloadContentError extends Error {
  override name = 'DownloadContentError';
}

/** The file's first bytes as text a person can read in an error ("<!DOCTYPE html>…"). */
export function describeStart(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 48), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '·')).join('');
  return bytes.byteLength === 0 ? 'it is empty' : `it begins ${JSON.stringify(head)}`;
}

export function checkDownloaded(kind: DownloadKind, bytes: Uint8Array, source: string): void {
  const fail = (what: string, why: string): never => {
    throw new DownloadContentError(`not ${what}: ${why}`);
  };
  if (kind === 'checkpoint') {
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
      try {
        new ZipArchive(bytes, source);
      } catch (e) {
        fail('a checkpoint', `a damaged torch.save zip (${(e as Error).message})`);
      }
      return;
    }
    if (isLegacyTorchFile(bytes)) return;
    if (bytes.byteLength >= 9 && bytes[8] === 0x7b) {
      try {
        SafetensorsFile.parse(bytes, source);
      } catch (e) {
        fail('a checkpoint', `damaged safetensors (${(e as Error).message})`);
      }
      return;
    }
    fail('a checkpoint (safetensors or a torch.save zip)', describeStart(bytes));
  } else if (kind === 'config') {
    let json: unknown;
    try {
      json = parseJsonBounded(new TextDecoder('utf-8', { fatal: true }).decode(bytes), source);
    } catch (e) {
      fail('a JSON config', `${(e as Error).message.replace(`${source}: `, '')}; ${describeStart(bytes)}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('a JSON config', 'not a JSON object');
  } else if (kind === 'vocabulary') {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) fail('a gzipped vocabulary', describeStart(bytes));
    try {
      gunzipBounded(bytes, SIZE_LIMITS.vocabulary, 'vocabulary');
    } catch (e) {
      fail('a vocabulary', `it ${(e as Error).message}`);
    }
  }
}
