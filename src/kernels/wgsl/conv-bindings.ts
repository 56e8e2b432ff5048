/** The bindings every direct conv kernel declares after its Params: input, weight, output, bias. */
export const convBindingsWgsl = (bias: boolean): string => /* wgsl */ `
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
${bias ? '@group(0) @binding(4) var<storage, read> bias: array<f32>;' : ''}`;
