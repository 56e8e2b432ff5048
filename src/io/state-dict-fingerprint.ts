/**
 * A fingerprint of a checkpoint's weights: every key, dtype and shape, and the first and last 4 KiB
 * of each tensor's bytes, hashed (two FNV-1a lanes, 64 bits). Cheap at load (~2 MB hashed for a
 * 300-tensor model) and the same for the same weights in either file format (a .pt and its
 * safetensors conversion), different for other weights: what an index records of the model that
 * made it. Not a cryptographic hash: it tells checkpoints apart, it does not defend against forgery.
 */
import type { StateDict } from './host-tensor.js';

const SAMPLE = 4096;

export function fingerprintStateDict(sd: StateDict): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  const byte = (b: number) => {
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995) ^ (h2 >>> 15);
  };
  const text = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      byte(c & 255);
      byte(c >>> 8);
    }
  };
  for (const key of [...sd.keys()].sort()) {
    const t = sd.get(key)!;
    text(`${key}\0${t.dtype}\0${t.shape.join(',')}\0`);
    const d = t.data;
    const head = Math.min(SAMPLE, d.length);
    for (let i = 0; i < head; i++) byte(d[i]);
    for (let i = Math.max(head, d.length - SAMPLE); i < d.length; i++) byte(d[i]);
  }
  const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}
