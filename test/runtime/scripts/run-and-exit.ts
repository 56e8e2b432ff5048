// Spawned by exit.test.ts: computes on the GPU, then returns from the module. The process must exit
// on its own (with or without gpu.destroy()).
import { createGpu } from '../../../src/backends/webgpu/node.js';
import { linear } from '../../../src/ops/index.js';

const gpu = await createGpu();
const y = linear(gpu.upload(new Float32Array(8).fill(1), [2, 4]), gpu.upload(new Float32Array(12).fill(1), [3, 4]));
const out = await y.read();
console.log(`result ${Array.from(out).join(',')}`);
if (process.argv.includes('--destroy')) gpu.destroy();
