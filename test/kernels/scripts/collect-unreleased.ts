/**
 * Run by cpu-resident.test.ts in a child process with --expose-gc: tensors dropped without
 * dispose() give their blocks of the kernels' shared memory back once collected, and a tensor still
 * held keeps its block and its values. Prints one JSON line.
 */
import { CpuBackend } from '../../../src/backends/cpu/cpu-backend.js';
import { wasmKernels } from '../../../src/backends/cpu/wasm-kernels.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const kernels = wasmKernels();
if (!kernels?.shared) throw new Error('expected the kernels on a shared memory (Node has SharedArrayBuffer)');
const cpu = new CpuBackend();
const start = kernels.scratchAt;
const held = cpu.upload(Float32Array.from({ length: 1000 }, (_, i) => i), [1000]);
const afterHeld = kernels.scratchAt;
(() => {
  // Twenty 1 MB tensors outside any scope, never disposed, dropped.
  for (let i = 0; i < 20; i++) cpu.upload(new Float32Array(1 << 18).fill(i), [1 << 18]);
})();
const grown = kernels.scratchAt;
for (let i = 0; i < 20 && kernels.scratchAt > afterHeld; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 20)); // finalizers run as tasks after a collection
}
const values = await held.readFloat();
console.log(JSON.stringify({ start, afterHeld, grown, afterCollect: kernels.scratchAt, heldIntact: values.every((v, i) => v === i) }));
