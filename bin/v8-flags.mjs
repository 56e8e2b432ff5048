/**
 * V8 flags the `mobileclip` command runs with. Node 20's V8 (11.3) has WebAssembly relaxed SIMD only
 * behind a flag, and the CPU backend's multiply-adds are fused (f32x4.relaxed_madd, one FMA) only
 * with it: its GEMMs run ~25 % faster than with multiply, then add. Later Node versions have relaxed
 * SIMD on, and this returns no flag there. The probe is the smallest module using relaxed_madd:
 *   (module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))
 */
const RELAXED_MADD_PROBE = Uint8Array.from(atob('AGFzbQEAAAABCAFgA3t7ewF7AwIBAAoNAQsAIAAgASAC/YUCCw=='), (c) => c.charCodeAt(0));

/** ['--experimental-wasm-relaxed-simd'] on Node 20 (where the flag exists and is needed), else []. */
export function v8Flags() {
  if (WebAssembly.validate(RELAXED_MADD_PROBE)) return [];
  return process.versions.node.split('.')[0] === '20' ? ['--experimental-wasm-relaxed-simd'] : [];
}
