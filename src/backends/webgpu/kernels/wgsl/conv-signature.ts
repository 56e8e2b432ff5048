import { type KernelSignature, type ParamType, input, output } from '../../kernel.js';

/** The interface every direct conv kernel shares: its params, then input, weight, output and bias. */
export const convSignature = (params: Readonly<Record<string, ParamType>>, bias: boolean): KernelSignature => ({
  params,
  bindings: { x: input(), wt: input(), y: output(), ...(bias && { bias: input() }) },
});
